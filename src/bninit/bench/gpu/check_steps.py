"""`bninit gpu-check`'s steps, in the order they run: the default run's speed at fp32, tf32 and
bf16 against the GPU's peak (precision), determinism, the packing probe (bninit.bench.gpu.packing),
the mini sweep through the `bninit` command (bninit.bench.gpu.mini_sweep) and the side-by-side
loop against the reference (bninit.bench.loops). Each takes the step's Context (its own deadline)
and `record`, which it may call with what it has so far (a step cut at its budget keeps that),
and returns what it measured (a dict for the JSON). Its measurements run in processes of their
own: bninit.bench.worker (a loop, an epoch, determinism) and bninit.bench.gpu.packing."""

import sys
import time
from dataclasses import dataclass, field

from bninit.bench.gpu import mini_sweep, packing, peak
from bninit.bench.gpu.worker_calls import measure, measure_rows
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


PRECISION_ROWS = ("fp32", "tf32", "bf16")


@dataclass
class Context:
    """What a step knows: the device, the profile's sizes, its torch threads, its deadline."""

    device: str  # "cuda" (the one visible GPU) or "cpu"
    profile: dict
    threads: int
    deadline: float  # time.monotonic() by which the step has to be done
    gpu_info: dict = field(default_factory=dict)

    @property
    def bf16(self) -> bool:
        return self.gpu_info.get("bf16", True)

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


def bench_rows(ctx: Context, jobs: list[tuple], sizes: dict, tag: str, out: dict, record) -> list[dict]:
    """Each job through run_workers, within the step's deadline; a row that fails or has no time
    left says so and the next one runs; out["rows"] is recorded after each."""
    deadline = ctx.deadline
    rows = out["rows"] = []
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
        record(out)
    return rows


def step_precision(ctx: Context, record) -> dict:
    """The default run at fp32 (IEEE), tf32 and bf16: one full synthetic CIFAR-10 epoch each,
    projected to a 180-epoch run and a 15-seed cell, and set against the GPU's peak."""
    sizes = ctx.profile["epoch"]
    name = ctx.gpu_info.get("name") if ctx.gpu else None
    peaks = peak.peak_tflops(name)
    out = {
        "arch": ctx.profile["arch"],
        "batch_size": ctx.profile["batch_size"],
        "sizes": sizes,
        "eval_test": default_settings()["eval_test"],
        "peak_source": peak.PEAK_SOURCE if peaks else f"no datasheet peak listed for {name or 'a CPU'}",
        "arithmetic": peak.run_arithmetic(peak.NOMINAL_GFLOP_PER_IMAGE),
        "rows": [],
    }
    spec = {
        "device": ctx.device,
        "arch": ctx.profile["arch"],
        "batch_size": ctx.profile["batch_size"],
        "threads": ctx.threads,
        "precisions": [],
        **sizes,
    }
    for precision in PRECISION_ROWS:
        reason = skip_reason(ctx, {"precision": precision})
        if reason:
            out["rows"].append({"precision": precision, "status": "skipped", "note": reason})
        else:
            spec["precisions"].append(precision)
    for row in measure_rows("epoch", spec):  # one process, each precision's figures as they come
        if row["status"] == "ok":
            row.update(precision_figures(row, out["eval_test"], (peaks or {}).get(row["precision"])))
            progress(
                f"[precision] {row['precision']}: {row['train_ips']:.0f} train img/s; 180-epoch run "
                f"~{hms(row['run_180_epochs_s'])}, 15-seed cell ~{hms(row['cell_15_seeds_s'])}"
            )
        else:
            progress(f"[precision] {row['precision']}: FAILED: {row['error']}")
        out["rows"].append(row)
        out["rows"].sort(key=lambda r: PRECISION_ROWS.index(r["precision"]))
        record(out)
    return out


def precision_figures(row: dict, eval_test: str, peak_tflops: float | None) -> dict:
    """One precision's measured epoch -> its projections and its speed against the peak."""
    eval_images = row["val_images"] + row["test_images"]
    figures = projection(
        row["train_images"], row["train_s"], eval_images, row["val_s"] + row["test_s"], eval_test
    )
    return {
        **figures,
        "measured_epoch_s": row["train_s"] + row["val_s"] + row["test_s"],
        **peak.against_peak(figures["train_ips"], peak.NOMINAL_GFLOP_PER_IMAGE, peak_tflops),
    }


def step_determinism(ctx: Context, record) -> dict:
    spec = {
        "device": ctx.device,
        "arch": ctx.profile["arch"],
        "batch_size": ctx.profile["batch_size"],
        "threads": ctx.threads,
        **ctx.profile["determinism"],
    }
    out = measure("determinism", spec, ctx.left())
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


def step_packing(ctx: Context, record) -> dict:
    sizes = ctx.profile["packing"]
    keys = ("arch", "batch_size", "pool", "steps", "warmup", "loss_steps", "precision")
    base = {"device": ctx.device, "threads": ctx.threads, **{k: sizes[k] for k in keys}}
    out = packing.probe(base, sizes, ctx.deadline, record, progress)
    out["memory"] = "cuda max_memory_allocated" if ctx.gpu else "not measured on the CPU"
    if not ctx.gpu:
        out["note"] = "CPU at tiny sizes (a narrow ResNet-18, a few images per seed): not GPU figures"
    return out


def step_sweep(ctx: Context, record) -> dict:
    return mini_sweep.mini_sweep(ctx.profile["sweep"], ctx.deadline, progress, ctx.gpu, record)


def step_loop(ctx: Context, record) -> dict:
    sizes = ctx.profile["loop"]
    out = {"arch": ctx.profile["arch"], "batch_size": ctx.profile["batch_size"], "sizes": sizes}
    rows = bench_rows(ctx, loop_jobs(LOOP_ROWS, default_settings()), sizes, "loop", out, record)
    ref = rows[0] if rows[0]["status"] == "ok" else None
    for r in rows:
        if r["status"] == "ok":
            r["train_x_ref"] = r["train_ips"] / ref["train_ips"] if ref else None
    return out


STEP_FUNCTIONS = {
    "precision": step_precision,
    "determinism": step_determinism,
    "packing": step_packing,
    "sweep": step_sweep,
    "loop": step_loop,
}
