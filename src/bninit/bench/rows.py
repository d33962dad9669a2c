"""The benchmark's rows: a 180-epoch CIFAR-10 run and a 15-seed cell projected from measured
speeds, the table printed, the machine described, and bninit's default settings per row."""

import math
import os
import platform
import time
from pathlib import Path

import torch

from bninit.config import RunConfig

# The run a projection is for: CIFAR-10 with the paper's protocol (SPEC §3).
CIFAR10 = {"train": 45_000, "val": 5_000, "test": 10_000, "epochs": 180, "seeds": 15}


def projected_seconds(train_ips: float, eval_ips: float, eval_test: str) -> float:
    """Wall time of one 180-epoch CIFAR-10 run (45k train, 5k val, 10k test) at these speeds."""
    per_epoch_eval = CIFAR10["val"] + (CIFAR10["test"] if eval_test == "every_epoch" else 0)
    per_epoch = CIFAR10["train"] / train_ips + per_epoch_eval / eval_ips
    at_end = 2 * CIFAR10["test"] / eval_ips if eval_test == "at_best" else 0.0
    return CIFAR10["epochs"] * per_epoch + at_end


def cell_seconds(run_seconds: float, concurrent: int = 1) -> float:
    """A 15-seed cell run in waves of `concurrent` runs, each wave taking `run_seconds`."""
    return math.ceil(CIFAR10["seeds"] / concurrent) * run_seconds


def row(arch, loop, name, options, eval_test, results, concurrent=1) -> dict:
    train_ips = sum(r["train_ips"] for r in results)
    eval_ips = sum(r["eval_ips"] for r in results)
    run_s = projected_seconds(train_ips / concurrent, eval_ips / concurrent, eval_test)
    return {
        "arch": arch,
        "loop": loop,
        "options": name,
        "settings": options,
        "eval_test": eval_test,
        "concurrent": concurrent,
        "train_ips": train_ips,
        "eval_ips": eval_ips,
        "peak_mem_mib": max(r["peak_mem_mib"] for r in results),
        "model": results[0]["model"],
        "run_180_epochs_s": run_s,
        "cell_15_seeds_s": cell_seconds(run_s, concurrent),
    }


def best_round(arch: str, job: tuple, rounds: list[list[dict]]) -> dict:
    """The row for `job` from its fastest round (by training images/s), with every round's figure."""
    loop, label, settings, eval_test, _, k = job
    totals = [sum(r["train_ips"] for r in results) for results in rounds]
    best = max(range(len(rounds)), key=totals.__getitem__)
    return {
        **row(arch, loop, label, settings, eval_test, rounds[best], concurrent=k),
        "train_ips_per_round": totals,
    }


def hms(seconds: float) -> str:
    minutes = seconds / 60
    return f"{minutes:.1f} min" if minutes < 120 else f"{minutes / 60:.1f} h"


def print_table(rows: list[dict]) -> None:
    head = (
        f"{'arch':<14} {'loop':<9} {'options':<40} {'k':>2} {'train img/s':>11} {'x ref':>6} "
        f"{'eval img/s':>10} {'peak MiB':>9} {'180-ep run':>11} {'15-seed cell':>12} {'x ref':>6}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['arch']:<14} {r['loop']:<9} {r['options']:<40} {r['concurrent']:>2} "
            f"{r['train_ips']:>11.0f} {r['train_x_ref']:>6.2f} {r['eval_ips']:>10.0f} "
            f"{r['peak_mem_mib']:>9.0f} {hms(r['run_180_epochs_s']):>11} {hms(r['cell_15_seeds_s']):>12} "
            f"{r['cell_x_ref']:>6.2f}"
        )


def stream_ratios(rows: list[dict], default_row: dict) -> list[str]:
    """Per architecture, the replayed reference stream's training speed against the default
    stream's, both measured in this run with otherwise the default settings (single runs)."""
    lines = []
    for arch in dict.fromkeys(r["arch"] for r in rows):
        single = [r for r in rows if r["arch"] == arch and r["loop"] == "bninit" and r["concurrent"] == 1]
        default = next((r for r in single if r["settings"] == default_row), None)
        replay = next((r for r in single if r["settings"] == {**default_row, "stream": "reference"}), None)
        if default and replay:
            lines.append(
                f"{arch}: stream=reference trains at {replay['train_ips'] / default['train_ips']:.2f}x "
                f"the default stream ({replay['train_ips']:.0f} vs {default['train_ips']:.0f} img/s)"
            )
    return lines


def machine(device: torch.device, threads: int) -> dict:
    cpu = platform.processor()
    if Path("/proc/cpuinfo").exists():
        names = [
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    info = {
        "host": platform.node(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "threads": threads,
        "load_average": os.getloadavg(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "device": str(device),
        "date_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
    }
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info


def default_settings() -> dict:
    """bninit's default fast-path settings (RunConfig's), the keys an option row overrides."""
    defaults = RunConfig()
    return {
        k: getattr(defaults, k)
        for k in ("precision", "channels_last", "compile", "deterministic", "eval_test")
    }


def loop_jobs(options: list[tuple[str, dict]], default_row: dict) -> list[tuple]:
    """The reference loop's job, then one bninit job per option row (plus the default row first
    when no row is it): (loop, label, settings, eval_test, spec overrides, k)."""
    jobs = [("reference", "fp32 NCHW, PIL + DataLoader", {}, "every_epoch", {"loop": "reference"}, 1)]
    runs = [(name, {**default_row, **overrides}) for name, overrides in options]
    if all(settings != default_row for _, settings in runs):
        runs.insert(0, ("default", default_row))
    for name, settings in runs:
        label = f"{name} (= default)" if settings == default_row else name
        if name == "default":
            label = f"default ({describe(settings)})"
        jobs.append(
            ("bninit", label, settings, settings["eval_test"], {"loop": "bninit", "options": settings}, 1)
        )
    return jobs


def describe(settings: dict) -> str:
    parts = [
        settings["precision"],
        "channels_last" if settings["channels_last"] else "NCHW",
        settings["eval_test"],
    ]
    if settings["compile"]:
        parts.append("compile")
    if not settings["deterministic"]:
        parts.append("nondeterministic")
    return ", ".join(parts)
