"""`bninit gpu-check`'s five steps. Each takes the run's Context and a deadline and returns
what it measured (a dict for the JSON); its measurements run in processes of their own
(bninit.bench.worker): the benchmark's loops (bninit.bench.loops), an epoch and determinism
(bninit.bench.gpu_measure), and the `bninit` command (the mini sweep, bninit.bench.gpu_sweep)."""

import json
import subprocess
import sys
import time
from dataclasses import dataclass, field

from bninit.bench import gpu_sweep
from bninit.bench.rows import (
    CIFAR10,
    best_round,
    cell_seconds,
    default_settings,
    hms,
    loop_jobs,
    projected_seconds,
)
from bninit.bench.workers import WorkerFailed, run_workers

# bninit's option rows beside its default (fp32, channels_last, at_best): loop_jobs adds it.
LOOP_ROWS = [
    ("NCHW", {"channels_last": False}),
    ("bf16", {"precision": "bf16"}),
    ("compile", {"compile": True}),
]


@dataclass
class Context:
    device: str  # "cuda" (the one visible GPU) or "cpu"
    profile: dict
    threads: int
    deadline: float  # time.monotonic() by which everything has to be done
    bf16: bool = True
    report: dict = field(default_factory=dict)

    @property
    def gpu(self) -> bool:
        return self.device == "cuda"

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def spec(self, sizes: dict) -> dict:
        """A bench worker's spec: this device, the profile's network, `sizes`."""
        keys = ("train_images", "eval_images", "repeats", "warmup_batches")
        return {
            "device": self.device,
            "arch": self.profile["arch"],
            "batch_size": self.profile["batch_size"],
            "threads": self.threads,
            "augment": "flip",
            **{k: sizes[k] for k in keys},
        }


def progress(message: str) -> None:
    print(f"gpu_check: {message}", file=sys.stderr, flush=True)


def projection(
    train_images: int, train_s: float, eval_images: int, eval_s: float, eval_test: str, concurrent: int = 1
) -> dict:
    """Measured images/s -> one CIFAR-10 epoch, a 180-epoch run and a 15-seed cell (bench's
    arithmetic: 45k train + 5k val per epoch, the test set per epoch or twice at the end)."""
    train_ips, eval_ips = train_images / train_s, eval_images / eval_s
    size = CIFAR10
    per_epoch_eval = size["val"] + (size["test"] if eval_test == "every_epoch" else 0)
    run_s = projected_seconds(train_ips, eval_ips, eval_test)
    return {
        "train_ips": train_ips,
        "eval_ips": eval_ips,
        "epoch_s": size["train"] / train_ips + per_epoch_eval / eval_ips,
        "run_180_epochs_s": run_s,
        "cell_15_seeds_s": cell_seconds(run_s, concurrent),
    }


# ---------------------------------------------------------------- the steps


def skip_reason(ctx: Context, settings: dict) -> str | None:
    if settings.get("compile") and not ctx.gpu:
        return "skipped on CPU: inductor takes minutes to compile here"
    if settings.get("precision") == "bf16" and not ctx.bf16:
        return "skipped: this GPU has no bf16 support (torch.cuda.is_bf16_supported() is false)"
    return None


def bench_rows(ctx: Context, jobs: list[tuple], sizes: dict, deadline: float, tag: str) -> list[dict]:
    """Each job through run_workers, within the deadline; a row that fails or has no time
    left says so and the next one runs."""
    rows = []
    for job in jobs:
        loop, label, settings, _, overrides, k = job
        heavy = "compile" if settings.get("compile") else "row"
        left = deadline - time.monotonic()
        reason = skip_reason(ctx, settings)
        if reason is None and left < sizes[f"{heavy}_min_s"]:
            reason = f"skipped: {left:.0f} s of the budget left, the row needs ~{sizes[f'{heavy}_min_s']} s"
        if reason:
            rows.append(
                {"loop": loop, "options": label, "concurrent": k, "status": "skipped", "note": reason}
            )
            progress(f"[{tag}] {loop} {label} k={k}: {reason}")
            continue
        threads = max(1, ctx.threads // k)
        try:
            results = run_workers(
                {**ctx.spec(sizes), **overrides, "threads": threads},
                k,
                timeout=min(sizes[f"{heavy}_s"], left),
            )
        except (WorkerFailed, Exception) as err:  # one row's failure, recorded
            rows.append(
                {"loop": loop, "options": label, "concurrent": k, "status": "failed", "error": str(err)}
            )
            progress(f"[{tag}] {loop} {label} k={k}: FAILED: {err}")
            continue
        row = best_round(ctx.profile["arch"], job, [results])
        row.update(
            status="ok",
            train_ips_per_run=[r["train_ips"] for r in results],
            peak_mem_mib_per_run=[r["peak_mem_mib"] for r in results],
        )
        rows.append(row)
        progress(f"[{tag}] {loop} {label} k={k}: {row['train_ips']:.0f} train img/s")
    return rows


def step_loop(ctx: Context, deadline: float) -> dict:
    sizes = ctx.profile["loop"]
    rows = bench_rows(ctx, loop_jobs(LOOP_ROWS, default_settings()), sizes, deadline, "loop")
    ref = rows[0] if rows[0]["status"] == "ok" else None
    for r in rows:
        if r["status"] == "ok":
            r["train_x_ref"] = r["train_ips"] / ref["train_ips"] if ref else None
    return {
        "arch": ctx.profile["arch"],
        "batch_size": ctx.profile["batch_size"],
        "sizes": sizes,
        "rows": rows,
    }


def step_projection(ctx: Context, deadline: float) -> dict:
    sizes = ctx.profile["epoch"]
    spec = {
        "device": ctx.device,
        "arch": ctx.profile["arch"],
        "batch_size": ctx.profile["batch_size"],
        "threads": ctx.threads,
        **sizes,
    }
    out = measure("epoch", spec, deadline - time.monotonic())
    eval_test = default_settings()["eval_test"]
    out["measured_epoch_s"] = out["train_s"] + out["val_s"] + out["test_s"]
    out.update(
        projection(
            out["train_images"],
            out["train_s"],
            out["val_images"] + out["test_images"],
            out["val_s"] + out["test_s"],
            eval_test,
        )
    )
    progress(
        f"[projection] epoch of {out['train_images']} images: {out['train_s']:.1f} s; "
        f"180-epoch run ~{hms(out['run_180_epochs_s'])}"
    )
    return {
        "arch": ctx.profile["arch"],
        "batch_size": ctx.profile["batch_size"],
        "eval_test": eval_test,
        **out,
    }


def step_concurrent(ctx: Context, deadline: float) -> dict:
    sizes = ctx.profile["concurrent"]
    default = default_settings()
    jobs = [
        (
            "bninit",
            f"default, {k} at once",
            default,
            default["eval_test"],
            {"loop": "bninit", "options": default},
            k,
        )
        for k in sizes["ks"]
    ]
    rows = bench_rows(ctx, jobs, sizes, deadline, "concurrent")
    done = [r for r in rows if r["status"] == "ok"]
    best = max(done, key=lambda r: r["train_ips"])["concurrent"] if done else None
    memory = "cuda max_memory_allocated" if ctx.gpu else "cpu peak resident set (ru_maxrss)"
    return {"arch": ctx.profile["arch"], "sizes": sizes, "rows": rows, "best_k": best, "memory": memory}


def step_determinism(ctx: Context, deadline: float) -> dict:
    spec = {
        "device": ctx.device,
        "arch": ctx.profile["arch"],
        "batch_size": ctx.profile["batch_size"],
        "threads": ctx.threads,
        **ctx.profile["determinism"],
    }
    out = measure("determinism", spec, deadline - time.monotonic())
    det, nondet = out["deterministic"], out["nondeterministic"]
    progress(
        f"[determinism] deterministic=true: {'identical' if det['identical'] else 'DIFFERENT'}; "
        f"false: {'identical' if nondet['identical'] else 'different'}, "
        f"{out['speedup_nondeterministic']:.2f}x the speed"
    )
    if ctx.gpu and not det["identical"]:
        out["note"] = (
            "deterministic=true is not bit-reproducible here: cudnn.deterministic does not "
            "cover adaptive_avg_pool2d's backward on CUDA (torchvision's ResNets pool with it)"
        )
    if not ctx.gpu:
        out["note"] = "on CPU the switch changes nothing (it sets cudnn's flags only)"
    return {"arch": ctx.profile["arch"], "seed": 1, **ctx.profile["determinism"], **out}


def step_sweep(ctx: Context, deadline: float) -> dict:
    return gpu_sweep.mini_sweep(ctx.profile["sweep"], deadline, progress, ctx.gpu)


STEP_FUNCTIONS = {
    "loop": step_loop,
    "projection": step_projection,
    "concurrent": step_concurrent,
    "determinism": step_determinism,
    "sweep": step_sweep,
}


class StepFailed(Exception):
    pass


def measure(step: str, spec: dict, timeout: float) -> dict:
    """bninit.bench.gpu_measure's `step` in a process of its own; its JSON line."""
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "bninit.bench.worker", step, json.dumps(spec)],
            capture_output=True,
            text=True,
            timeout=max(1.0, timeout),
        )
    except subprocess.TimeoutExpired:
        raise StepFailed(f"timed out after {timeout:.0f} s (the budget)") from None
    if proc.returncode:
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        raise StepFailed(f"exit {proc.returncode}: {lines[-1] if lines else 'no message'}")
    return json.loads(proc.stdout.strip().splitlines()[-1])
