"""One benchmark measurement in a process of its own (fair timing, its own peak memory, its own
CUDA context), started by `bninit bench` and `bninit gpu-check`:

    python -m bninit.bench.worker KIND SPEC_JSON

KIND: speed (one loop configuration, bninit.bench.loops), epoch / determinism
(bninit.bench.gpu.measure), claim (hold a GPU slot, bninit.bench.gpu.mini_sweep) or gpu-info (what the
one visible GPU is). The result is the last line on stdout, as JSON. Each kind imports only what
it needs (a claim holder never imports torch).
"""

import json
import sys


def speed(spec: dict) -> dict:
    from bninit.bench.loops import worker

    return worker(spec)


def epoch(spec: dict) -> dict:
    from bninit.bench.gpu.measure import measure

    return measure("epoch", spec)


def determinism(spec: dict) -> dict:
    from bninit.bench.gpu.measure import measure

    return measure("determinism", spec)


def claim(spec: dict) -> None:
    from bninit.bench.gpu.mini_sweep import hold_claim

    hold_claim(spec)  # prints its slot itself, then holds it until released


def gpu_info(spec: dict) -> dict:
    """Name, memory, compute capability, bf16 support and CUDA version of the visible GPU 0."""
    import torch

    p = torch.cuda.get_device_properties(0)
    return {
        "name": p.name,
        "memory_gib": round(p.total_memory / 2**30, 1),
        "capability": f"{p.major}.{p.minor}",
        "bf16": torch.cuda.is_bf16_supported(),
        "cuda": torch.version.cuda,
    }


KINDS = {"speed": speed, "epoch": epoch, "determinism": determinism, "claim": claim, "gpu-info": gpu_info}


def main(argv: list[str]) -> int:
    kind, spec = argv[0], json.loads(argv[1])
    out = KINDS[kind](spec)
    if out is not None:
        print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
