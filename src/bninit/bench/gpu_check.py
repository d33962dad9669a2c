"""One command for everything a GPU must show: bninit's speed against a reference-style loop, the
time of a 180-epoch CIFAR-10 run, concurrent runs on one GPU, determinism, and a mini sweep
through the real CLI. On one CUDA GPU it finishes within its time budget (default 450 s).

    bninit gpu-check                  # JSON + Markdown under results/gpu
    bninit gpu-check --out DIR        # under DIR

Steps (each in processes of its own: one that fails records its error and the next one runs):
  loop         `bninit bench`'s side-by-side loop: the reference-style loop (PIL + DataLoader)
               against bninit's default, NCHW, bf16 and compile; train/eval images/s, x reference
  projection   one full synthetic CIFAR-10 epoch (45k train) + evaluation (5k val, 10k test) with
               the default options -> a 180-epoch run and a 15-seed cell
  concurrent   k = 1, 2, 4, 8 runs at once on the GPU: aggregate images/s, peak memory per run
  determinism  the same seed twice with deterministic=true and =false: identical? how far apart?
  sweep        8 short runs through `bninit train -m` (joblib, runs_per_gpu=2), GPU slot claiming,
               then `bninit collect` and `bninit report`
Without CUDA every step runs on the CPU at tiny sizes (under 2 minutes): not GPU figures, and the
console, the JSON ("gpu": false) and the Markdown say so. With several GPUs one is used (--gpu).
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
from bninit.bench.gpu_report import markdown
from bninit.bench.gpu_steps import STEP_FUNCTIONS, Context, progress
from bninit.bench.parser import OneLineParser
from bninit.bench.rows import machine

STEPS = ("loop", "projection", "concurrent", "determinism", "sweep")
NOT_GPU = (
    "not GPU figures: no CUDA device was used, every step ran on the CPU at tiny sizes "
    "to exercise this command; run it on a GPU for the figures"
)

# Sizes per device, in one place. cuda: what fits the budget on one GPU; cpu: tiny (the tests' path;
# a row's cap is generous there: a loaded 2-core machine takes ~30 s just to start a row's workers).
PROFILES = {
    "cuda": {
        "arch": "resnet18",
        "batch_size": 128,
        "budget_s": 450,
        "loop": {
            "train_images": 20480,
            "eval_images": 10240,
            "repeats": 2,
            "warmup_batches": 5,
            "row_s": 90,
            "compile_s": 240,
            "row_min_s": 20,
            "compile_min_s": 90,
        },
        "epoch": {"train": 45_000, "val": 5_000, "test": 10_000, "warmup_batches": 5},
        "concurrent": {
            "ks": [1, 2, 4, 8],
            "train_images": 10240,
            "eval_images": 5120,
            "repeats": 2,
            "warmup_batches": 5,
            "row_s": 60,
            "row_min_s": 20,
        },
        "determinism": {"train": 10240, "test": 2048, "epochs": 2},
        "sweep": {"seeds": 4, "epochs": 2, "n_jobs": 2, "runs_per_gpu": 2},
        # what each step needs at least: a step leaves this much to each step after it
        "min_s": {"loop": 60, "projection": 25, "concurrent": 40, "determinism": 25, "sweep": 45},
    },
    "cpu": {
        "arch": "resnet18-w8",
        "batch_size": 64,
        "budget_s": 110,
        "loop": {
            "train_images": 256,
            "eval_images": 256,
            "repeats": 1,
            "warmup_batches": 1,
            "row_s": 90,
            "compile_s": 0,
            "row_min_s": 4,
            "compile_min_s": 0,
        },
        "epoch": {"train": 1152, "val": 128, "test": 256, "warmup_batches": 1},
        "concurrent": {
            "ks": [1, 2],
            "train_images": 256,
            "eval_images": 128,
            "repeats": 1,
            "warmup_batches": 1,
            "row_s": 90,
            "row_min_s": 4,
        },
        "determinism": {"train": 256, "test": 128, "epochs": 2},
        "sweep": {"seeds": 2, "epochs": 1, "n_jobs": 2, "runs_per_gpu": 2},  # 4 runs: the machinery
        "min_s": {"loop": 10, "projection": 5, "concurrent": 6, "determinism": 5, "sweep": 25},
    },
}


def allowance(left_s: float, later_min_s: float, cap_s: float | None = None) -> float:
    """Seconds a step may take: what is left less what the later steps need, at most `cap_s`."""
    allowed = left_s - later_min_s
    return allowed if cap_s is None else min(allowed, cap_s)


def run_step(ctx: Context, name: str, later: list[str]) -> dict:
    min_s = ctx.profile["min_s"]
    allowed = allowance(ctx.left(), sum(min_s[s] for s in later))
    if allowed < min_s[name]:
        note = f"skipped: {max(0, int(allowed))} s of the budget left for it, it needs ~{min_s[name]} s"
        progress(f"[{name}] {note}")
        return {"status": "skipped", "note": note, "seconds": 0.0}
    progress(f"[{name}] starting ({allowed:.0f} s allowed)")
    start = time.monotonic()
    try:
        out = {"status": "ok", **STEP_FUNCTIONS[name](ctx, start + allowed)}
        if out.get("problems"):  # it ran, and what it checks is not right
            out.update(status="failed", error="; ".join(out["problems"]))
            progress(f"[{name}] FAILED: {out['error']}")
    except Exception as err:  # a failing step is recorded; the next one runs
        out = {"status": "failed", "error": f"{type(err).__name__}: {err}"}
        progress(f"[{name}] FAILED: {out['error']}")
    out["seconds"] = time.monotonic() - start
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
    p.add_argument("--budget", type=seconds, help="seconds for all steps (default: cuda 450, cpu 110)")
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
    budget = args.budget or profile["budget_s"]
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
    ctx = Context(
        args.device,
        profile,
        threads,
        time.monotonic() + budget,
        bf16=report.get("gpu_info", {}).get("bf16", True),
        report=report,
    )
    start = time.monotonic()
    for i, name in enumerate(args.steps):
        report["steps"][name] = run_step(ctx, name, args.steps[i + 1 :])
        report["wall_s"] = time.monotonic() - start
        save(report, paths)  # after every step: a crash keeps what was measured
    for name in STEPS:
        report["steps"].setdefault(name, {"status": "skipped", "note": "not asked for (--steps)"})
    save(report, paths)
    print(paths[1].read_text())
    if not gpu:
        print(f"NOTE: {NOT_GPU}.")
    failed = [n for n, s in report["steps"].items() if s["status"] == "failed"]
    print(
        f"wrote {paths[0]} and {paths[1]} ({report['wall_s']:.0f} s"
        + (f"; failed: {', '.join(failed)})" if failed else ")")
    )
    return 0


def save(report: dict, paths: list[Path]) -> None:
    write_text(paths[0], json.dumps(report, indent=2) + "\n")
    write_text(paths[1], markdown(report))
