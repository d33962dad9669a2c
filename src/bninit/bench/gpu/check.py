"""One command for everything a GPU must show: the default run's speed at fp32, tf32 and bf16
against the GPU's peak (a 180-epoch CIFAR-10 run and a 15-seed cell projected from it),
determinism, how 15 seeds best share the GPU, a mini sweep through the real CLI, and bninit's
loop against a reference-style one. On one CUDA GPU it finishes within its budget (450 s).

    bninit gpu-check                  # JSON + Markdown under results/gpu
    bninit gpu-check --out DIR        # under DIR

Steps, in this order (each in a process of its own with its own time budget; one that fails or
overruns is recorded as such, and the next one runs; the JSON and Markdown are rewritten as each
step ends, so a killed command keeps every finished step's figures):
  precision    one full synthetic CIFAR-10 epoch (45k train) + evaluation (5k val, 10k test) with
               the default options at precision=fp32 (IEEE), tf32 and bf16: train images/s, the
               180-epoch run and 15-seed cell projected, TFLOP/s against the GPU's datasheet peak
  determinism  the same seed twice with deterministic=true and =false: identical? how far apart?
  packing      K = 1, 4, 15 seeds at once: K processes, torch.func vmap, a fused network
  sweep        8 short runs through `bninit train -m` (joblib, runs_per_gpu=2), GPU slot claiming,
               then `bninit collect` and `bninit report`
  loop         `bninit bench`'s side-by-side loop: the reference-style loop (PIL + DataLoader)
               against bninit's default, NCHW, bf16 and compile
Without CUDA every step runs on the CPU at tiny sizes: not GPU figures, and the console, the JSON
("gpu": false) and the Markdown say so. With several GPUs one is used (--gpu).
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import torch

from bninit.atomic import write_text
from bninit.bench.gpu.budget import run_budgeted
from bninit.bench.gpu.check_markdown import markdown
from bninit.bench.gpu.check_steps import progress
from bninit.bench.gpu.sizes import PROFILES
from bninit.bench.parser import OneLineParser
from bninit.bench.rows import machine

STEPS = ("precision", "determinism", "packing", "sweep", "loop")
NOT_GPU = (
    "not GPU figures: no CUDA device was used, every step ran on the CPU at tiny sizes "
    "to exercise this command; run it on a GPU for the figures"
)


def allowed_seconds(own_s: float, left_s: float) -> float | None:
    """A step's budget: its own, or what is left of the whole budget if less; None (skip it)
    when under a quarter of its own is left."""
    allowed = min(own_s, left_s)
    return allowed if allowed >= own_s / 4 else None


def run_step(name: str, context: dict, own_s: float, left_s: float) -> dict:
    allowed = allowed_seconds(own_s, left_s)
    if allowed is None:
        note = f"skipped: {max(0, int(left_s))} s of the budget left for it, it needs ~{own_s:.0f} s"
        progress(f"[{name}] {note}")
        return {"status": "skipped", "note": note, "seconds": 0.0}
    progress(f"[{name}] starting ({allowed:.0f} s allowed)")
    out = run_budgeted(name, context, allowed)
    if out["status"] == "cut":
        progress(f"[{name}] CUT at its budget ({allowed:.0f} s)")
    return out


# ---------------------------------------------------------------- the command


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"'{text}' is not allowed: a number of seconds > 0")
    return value


def step_list(text: str) -> list[str]:
    names = [s.strip() for s in text.split(",")]
    bad = [s for s in names if s not in STEPS]
    if bad or not names:
        raise argparse.ArgumentTypeError(
            f"'{','.join(bad) or text}' is not a step; allowed: {', '.join(STEPS)}"
        )
    return [s for s in STEPS if s in names]


def gpu_index(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"'{text}' is not allowed: a GPU index 0, 1, ...")
    return int(text)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = OneLineParser(
        prog="bninit gpu-check",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--device",
        choices=("auto", "cuda", "cpu"),
        default="auto",
        help="auto (default): the GPU if there is one, else the CPU at tiny sizes",
    )
    p.add_argument("--gpu", type=gpu_index, default=0, help="which GPU when there are several (default 0)")
    p.add_argument(
        "--budget",
        type=seconds,
        help="seconds for all steps (default: the steps' budgets' sum, cuda 450, cpu 630)",
    )
    p.add_argument("--steps", type=step_list, default=list(STEPS), help=f"comma list of: {', '.join(STEPS)}")
    p.add_argument(
        "--out", default="results/gpu", help="folder for the JSON and Markdown (default results/gpu)"
    )
    args = p.parse_args(argv)
    cuda = torch.cuda.is_available()
    if args.device == "cuda" and not cuda:
        p.error("--device cuda: no CUDA device is available here; allowed: auto, cpu")
    if (args.device != "cpu" and cuda) and args.gpu >= torch.cuda.device_count():
        p.error(
            f"--gpu {args.gpu}: there are {torch.cuda.device_count()} CUDA device(s); "
            f"allowed: 0..{torch.cuda.device_count() - 1}"
        )
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        p.error(f"--out {args.out}: cannot create the folder ({err.strerror}); allowed: a writable folder")
    if not os.access(out, os.W_OK):
        p.error(f"--out {args.out}: not writable; allowed: a writable folder")
    args.device = (
        "cuda" if args.device == "auto" and cuda else "cpu" if args.device == "auto" else args.device
    )
    return args


def select_gpu(index: int) -> dict:
    """Make GPU `index` the only one the steps' processes see (CUDA_VISIBLE_DEVICES); what it is."""
    count = torch.cuda.device_count()
    visible = os.environ.get("CUDA_VISIBLE_DEVICES", "")
    ids = [s.strip() for s in visible.split(",")] if visible else [str(i) for i in range(count)]
    os.environ["CUDA_VISIBLE_DEVICES"] = ids[index]
    info = {
        "index": index,
        "of": count,
        "cuda_visible_devices": ids[index],
        "name": f"GPU {index}",
        "bf16": True,
    }
    # asked in a child process (the only GPU it sees), so that this process never initialises
    # CUDA and holds no context or memory on the GPU while the steps measure
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "bninit.bench.worker", "gpu-info", "{}"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        info.update(json.loads(proc.stdout.strip().splitlines()[-1]))
    except (subprocess.TimeoutExpired, IndexError, ValueError) as err:
        info["error"] = f"could not query the GPU: {type(err).__name__}: {err}"
        progress(info["error"])
    return info


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    gpu = args.device == "cuda"
    profile = PROFILES[args.device]
    budget = args.budget or sum(profile["budget_s"].values())
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    paths = [Path(args.out) / f"gpu-check-{args.device}-{stamp}.{ext}" for ext in ("json", "md")]
    threads = torch.get_num_threads() if gpu else 1  # CPU: one thread per run, steadiest when shared
    report = {
        "gpu": gpu,
        "note": None if gpu else NOT_GPU,
        "device": args.device,
        "machine": machine(torch.device("cpu"), threads),
        "budget_s": budget,
        "command": " ".join(["bninit gpu-check", *(argv if argv is not None else sys.argv[1:])]),
        "profile": profile,
        "steps": {},
    }
    if gpu:
        report["gpu_info"] = select_gpu(args.gpu)
        report["machine"]["device"] = f"cuda:{args.gpu} ({report['gpu_info']['name']})"
        progress(
            f"GPU {args.gpu} of {report['gpu_info']['of']}: {report['gpu_info']['name']}"
            + ("; the others are left unused" if report["gpu_info"]["of"] > 1 else "")
        )
    else:
        progress(f"NO CUDA DEVICE: {NOT_GPU}")
    context = {
        "device": args.device,
        "profile": profile,
        "threads": threads,
        "gpu_info": report.get("gpu_info", {}),
    }
    start = time.monotonic()
    for name in args.steps:
        left = budget - (time.monotonic() - start)
        report["steps"][name] = run_step(name, context, profile["budget_s"][name], left)
        report["wall_s"] = time.monotonic() - start
        save(report, paths)  # after every step: a killed command keeps what was measured
    for name in STEPS:
        report["steps"].setdefault(name, {"status": "skipped", "note": "not asked for (--steps)"})
    save(report, paths)
    print(paths[1].read_text())
    if not gpu:
        print(f"NOTE: {NOT_GPU}.")
    failed = [n for n, s in report["steps"].items() if s["status"] in ("failed", "cut")]
    print(
        f"wrote {paths[0]} and {paths[1]} ({report['wall_s']:.0f} s"
        + (f"; failed or cut: {', '.join(failed)})" if failed else ")")
    )
    return 0


def save(report: dict, paths: list[Path]) -> None:
    """The JSON, then the Markdown made from it (atomically, each). A Markdown writer that trips
    over an unforeseen shape of figures costs the Markdown alone, never the steps still to run."""
    write_text(paths[0], json.dumps(report, indent=2) + "\n")
    try:
        text = markdown(report)
    except (KeyError, TypeError, ValueError, IndexError) as err:
        text = f"# bninit GPU check\n\nno Markdown ({type(err).__name__}: {err}); see {paths[0].name}\n"
    write_text(paths[1], text)
