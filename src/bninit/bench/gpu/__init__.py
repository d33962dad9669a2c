"""`bninit gpu-check`: everything a GPU must show, in one command of at most 8 minutes, built over
the benchmark's loops (bninit.bench.loops, rows, workers) and bninit's own training code.

    check           the command: arguments, the steps in order, the files
    sizes           the sizes per device: the network, each step's budget and sizes
    budget          each step in a process of its own under its own time budget (cut, recorded)
    check_steps     the steps: precision, determinism, packing, sweep, loop
    measure         an epoch and the determinism runs, in a worker process
    peak            the GPUs' datasheet peaks and a 180-epoch run's arithmetic
    packing         the packing probe: K seeds as K processes, with torch.func vmap, fused;
                    packing_worker: its measuring process
    packed_training the three ways of training K seeds; fused: the fused network
    mini_sweep      the mini sweep through the `bninit` command, GPU slot claims
    worker_calls    a measurement in a bninit.bench.worker process, its JSON back
    check_markdown  the Markdown written beside the JSON
"""
