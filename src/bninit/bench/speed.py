"""Side-by-side speed benchmark: a reference-style loop against bninit's own loop.

    bninit bench                     # CPU: resnet20 + a narrow resnet18, a few minutes
    bninit bench --device cuda       # GPU: resnet18 full width, every option, k = 1, 2, 4
    bninit bench accuracy            # does the fast path change accuracy? (bninit.bench.accuracy)

(a) "reference": written like the paper's code: CIFAR-shaped PIL images through torchvision
    transforms (random horizontal flip, as the paper for CIFAR, ToTensor, Normalize), a
    DataLoader with num_workers=0, fp32 NCHW, loss.item() every step, the test set evaluated
    every epoch (batch = training batch).
(b) "bninit": bninit.run.steps.train_epoch / bninit.run.steps.accuracy themselves (the code a run uses),
    uint8 tensors on the device, with each fast-path option (bninit.run.fastpath) on and off, in a
    process that keeps freed memory (bninit.host_memory) as every bninit run does; one row
    leaves that out.

Both train the same network (bninit's input BN + the architecture, initialised by bninit) on the
same synthetic uint8 data with the same batch size. Each configuration runs in its own process
(fair timing, its own peak memory); k concurrent runs start their timed part together. The table
is printed and written, with the machine, as JSON under results/bench/.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import torch

from bninit.atomic import write_text
from bninit.bench import accuracy
from bninit.bench.loops import check_arch
from bninit.bench.parser import OneLineParser
from bninit.bench.rows import (
    CIFAR10,
    best_round,
    default_settings,
    describe,
    loop_jobs,
    machine,
    print_table,
    stream_ratios,
)
from bninit.bench.workers import run_workers

# bninit's option sets per device: (row name, RunConfig overrides). The first is the loop alone.
CPU_OPTIONS = [
    ("plain", {"channels_last": False, "eval_test": "every_epoch"}),
    ("channels_last", {"channels_last": True}),
    # the default's settings on the replayed reference stream (torch's global generator, 0..1)
    ("reference_stream", {"channels_last": True, "stream": "reference"}),
    ("bf16", {"channels_last": False, "precision": "bf16"}),
    ("channels_last+bf16", {"channels_last": True, "precision": "bf16"}),
    # the default loop without bninit.host_memory's setting: what reusing freed memory gives
    ("channels_last+malloc_as_is", {"channels_last": True, "keep_freed_memory": False}),
]
GPU_OPTIONS = [
    ("plain", {"channels_last": False, "eval_test": "every_epoch"}),
    ("channels_last", {"channels_last": True}),
    ("reference_stream", {"channels_last": True, "stream": "reference"}),
    ("bf16", {"precision": "bf16"}),
    ("fp16", {"precision": "fp16"}),
    ("bf16+nondeterministic", {"precision": "bf16", "deterministic": False}),
    ("bf16+nondeterministic+compile", {"precision": "bf16", "deterministic": False, "compile": True}),
]
GPU_CONCURRENT = {"precision": "bf16", "deterministic": False}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["accuracy"]:
        return accuracy.main(argv[1:])
    p = OneLineParser(
        prog="bninit bench",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--device", default="auto", help="auto | cpu | cuda (default auto)")
    p.add_argument("--archs", help="comma list (cpu default: resnet20,resnet18-w16; cuda: resnet18)")
    p.add_argument("--train-images", type=int, help="timed training images (cpu 1024, cuda 20480)")
    p.add_argument("--eval-images", type=int, help="timed evaluation images (cpu 2048, cuda 10240)")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--warmup-batches", type=int, default=3)
    p.add_argument("--repeats", type=int, default=3, help="timed passes per configuration; the best counts")
    p.add_argument(
        "--rounds",
        type=int,
        help="times the whole list of configurations is run, one after "
        "the other; each row shows its best round (cpu default 2: a shared machine's slow "
        "spells then cannot favour one loop; cuda 1)",
    )
    p.add_argument(
        "--threads",
        type=int,
        help="CPU threads per run (cpu default 1: steadiest on a shared machine; cuda default all cores)",
    )
    p.add_argument(
        "--concurrent",
        type=k_values,
        help="k values for concurrent runs, a comma list (cpu "
        "default 2 where there are 2+ cores, cuda 1,2,4; 0: none)",
    )
    p.add_argument("--options", help="comma list of option rows to run (default all)")
    p.add_argument("--out", default="results/bench", help="folder for the JSON (default results/bench)")
    args = p.parse_args(argv)

    load_at_start = os.getloadavg()  # a shared machine: other load slows every row down
    device = torch.device(
        "cuda"
        if args.device == "auto" and torch.cuda.is_available()
        else "cpu"
        if args.device == "auto"
        else args.device
    )
    gpu = device.type == "cuda"
    archs = (args.archs or ("resnet18" if gpu else "resnet20,resnet18-w16")).split(",")
    for arch in archs:
        check_arch(arch)
    options = GPU_OPTIONS if gpu else CPU_OPTIONS
    if args.options:
        wanted = args.options.split(",")
        options = [o for o in options if o[0] in wanted]
    cpu_ks = [2] if (os.cpu_count() or 1) >= 2 else []
    ks = [k for k in (args.concurrent if args.concurrent is not None else [1, 2, 4] if gpu else cpu_ks) if k]
    args.threads = args.threads or (torch.get_num_threads() if gpu else 1)
    args.rounds = args.rounds or (1 if gpu else 2)
    base = {
        "device": str(device),
        "batch_size": args.batch_size,
        "warmup_batches": args.warmup_batches,
        "threads": args.threads,
        "augment": "flip",
        "repeats": args.repeats,
        "rounds": args.rounds,
        "train_images": args.train_images or (20480 if gpu else 1024),
        "eval_images": args.eval_images or (10240 if gpu else 2048),
    }
    default_row = default_settings()
    rows = []
    for arch in archs:
        spec = {**base, "arch": arch}
        jobs = loop_jobs(options, default_row)
        for k in ks:
            settings = {**default_row, **GPU_CONCURRENT} if gpu else default_row
            jobs.append(
                (
                    "bninit",
                    f"{describe(settings)} (k runs)",
                    settings,
                    settings["eval_test"],
                    {"loop": "bninit", "options": settings, "threads": max(1, args.threads // k)},
                    k,
                )
            )
        measured = [[] for _ in jobs]  # per job, one list of worker results per round
        for round_ in range(args.rounds):  # round by round, so slow spells hit every job alike
            for job, results in zip(jobs, measured, strict=True):
                loop, label, _, _, overrides, k = job
                results.append(run_workers({**spec, **overrides}, k))
                ips = sum(r["train_ips"] for r in results[-1])
                print(
                    f"  round {round_ + 1}/{args.rounds}  {arch}  {loop}  {label}  k={k}: "
                    f"{ips:.0f} train img/s",
                    file=sys.stderr,
                    flush=True,
                )
        arch_rows = [best_round(arch, job, results) for job, results in zip(jobs, measured, strict=True)]
        ref = arch_rows[0]
        for r in arch_rows:
            r["train_x_ref"] = r["train_ips"] / ref["train_ips"]
            r["run_x_ref"] = ref["run_180_epochs_s"] / r["run_180_epochs_s"]
            r["cell_x_ref"] = ref["cell_15_seeds_s"] / r["cell_15_seeds_s"]
        rows += arch_rows
    print_table(rows)
    ratios = stream_ratios(rows, default_row)
    for line in ratios:
        print(line)
    report = {
        "machine": {**machine(device, args.threads), "load_average_at_start": load_at_start},
        "settings": base,
        "projection": CIFAR10,
        "bninit_defaults": default_row,
        "rows": rows,
        "stream_ratios": ratios,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"bench-{device.type}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}.json"
    write_text(path, json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {path}")
    return 0


def k_values(text: str) -> list[int]:
    """--concurrent's comma list of non-negative integers."""
    parts = text.split(",")
    if not all(part.strip().isdigit() for part in parts):
        raise argparse.ArgumentTypeError(f"'{text}': expected a comma list of whole numbers >= 0, e.g. 1,2,4")
    return [int(part) for part in parts]
