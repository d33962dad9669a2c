"""`bninit gpu-check`'s packing probe: how K seeds of one network best share one GPU. For
K = 1, 4, 15 (the cuda profile; ResNet-18 with the CIFAR stem, batch 128 per seed) three ways:

    processes   K processes, each training one seed alone (a sweep with runs_per_gpu = K)
    vmap        one process, K networks stacked with torch.func (bninit.bench.gpu.packed_training)
    fused       one process, one fused network (bninit.bench.gpu.fused)

For each: the training images per second of all K seeds together (after warm-up steps), the peak
GPU memory (all K processes together for `processes`), and for K = 4 the largest difference of
each seed's first losses from the same seed trained alone, one after the other, in a process of
its own. It measures; nothing in a run's training changes with it. Each measurement runs in a
process of its own:

    python -m bninit.bench.gpu.packing SPEC_JSON     # prints one JSON line last
"""

import json
import subprocess
import sys
import tempfile
import time

import torch

from bninit.bench.gpu.packed_training import TRAINERS, SeedData, seed_network, train_steps
from bninit.bench.loops import barrier, synthetic_data
from bninit.bench.rows import default_settings
from bninit.config import RunConfig
from bninit.run.fastpath import FastPath

METHODS = ("processes", "vmap", "fused")


# ---------------------------------------------------------------- in the measuring process


def peak_mib(device: torch.device) -> float | None:
    return torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def train_packed(spec: dict, method: str, seeds: list[int], fast: FastPath, device) -> dict:
    """Seeds `seeds` trained together by `method` (alone: one seed) for spec["steps"] steps;
    images/s over the steps after the warm-up, peak memory, the first losses of each seed."""
    images, labels = synthetic_data(spec["pool"], seed=1)
    models = [seed_network(spec["arch"], s, images) for s in seeds]
    data = SeedData(images, labels, seeds, spec["batch_size"], spec["steps"], device)
    trainer = TRAINERS[method](models, fast, device)
    clock = {}

    def on_step(t: int) -> None:
        if t == spec["warmup"]:
            sync(device)
            barrier(spec)  # K processes start their timed steps together
            clock["start"] = time.perf_counter()

    losses = train_steps(trainer, data, spec["steps"], on_step)
    seconds = time.perf_counter() - clock["start"]
    timed = (spec["steps"] - spec["warmup"]) * spec["batch_size"] * len(seeds)
    return {
        "train_ips": timed / seconds,
        "peak_mem_mib": peak_mib(device),
        "losses": losses[: spec["loss_steps"]].T.tolist(),  # per seed
    }


def free(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


def measure(spec: dict) -> dict:
    """spec["runs"]: a list of (method, seeds); each one's figures or its error (one that fails,
    e.g. out of GPU memory, is recorded and the next one runs)."""
    torch.set_num_threads(spec["threads"])
    device = torch.device(spec["device"])
    fast = FastPath.for_run(RunConfig(**{**default_settings(), "precision": spec["precision"]}), device)
    fast.set_backend_flags()
    out = []
    for method, seeds in spec["runs"]:
        free(device)
        try:
            out.append({"status": "ok", **train_packed(spec, method, seeds, fast, device)})
        except (RuntimeError, ValueError) as err:  # torch.OutOfMemoryError is a RuntimeError
            out.append({"status": "failed", "error": f"{type(err).__name__}: {str(err).splitlines()[0]}"})
    return {"runs": out}


# ---------------------------------------------------------------- the step (gpu-check's process)


def start(spec: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bninit.bench.gpu.packing", json.dumps(spec)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(procs: list[subprocess.Popen], deadline: float) -> list[dict]:
    """Each process's result (its last stdout line), or RuntimeError with the first failure's
    last stderr line; all are killed once `deadline` (time.monotonic()) passes."""
    outputs = []
    try:
        for p in procs:
            outputs.append(p.communicate(timeout=max(0.1, deadline - time.monotonic())))
    except subprocess.TimeoutExpired:
        for p in procs:
            p.kill()
            p.wait()
        raise RuntimeError("out of its time budget") from None
    for p, (_, stderr) in zip(procs, outputs, strict=True):
        if p.returncode:
            lines = [line for line in stderr.splitlines() if line.strip()]
            raise RuntimeError(f"exit {p.returncode}: {lines[-1] if lines else 'no message'}")
    return [json.loads(stdout.strip().splitlines()[-1]) for stdout, _ in outputs]


def max_diff(losses: list[list[float]], alone: list[list[float]]) -> float:
    """The largest |difference| of seed i's losses (losses[i]) from the same seed alone (alone[i])."""
    return max(
        abs(a - b) for mine, ref in zip(losses, alone, strict=True) for a, b in zip(mine, ref, strict=True)
    )


def rows_of(method: str, ks: list[int], results: list[dict], alone: list[list[float]] | None, sizes) -> list:
    rows = []
    for k, result in zip(ks, results, strict=True):
        row = {"method": method, "k": k, **result}
        if result["status"] == "ok" and k == sizes["compare_k"] and alone is not None:
            row["max_loss_diff_vs_alone"] = max_diff(result["losses"], alone)
        rows.append(row)
    return rows


def probe(base: dict, sizes: dict, deadline: float, record, progress) -> dict:
    """The probe: seeds 1..compare_k alone (the losses to compare with), then each method for
    each K; `record(partial)` after each method, so a cut step keeps what it measured."""
    ks, seeds = sizes["ks"], lambda k: list(range(1, k + 1))
    out = {**base, "sizes": sizes, "methods": list(METHODS), "rows": []}
    [alone] = finish([start({**base, "runs": [["alone", [s]] for s in seeds(sizes["compare_k"])]})], deadline)
    alone_losses = (
        [r["losses"][0] for r in alone["runs"]] if all(r["status"] == "ok" for r in alone["runs"]) else None
    )
    out["alone_losses"] = alone_losses
    record(out)
    for method in ("fused", "vmap"):
        [result] = finish([start({**base, "runs": [[method, seeds(k)] for k in ks]})], deadline)
        out["rows"] += rows_of(method, ks, result["runs"], alone_losses, sizes)
        progress(
            f"[packing] {method}: "
            + ", ".join(f"K={r['k']} {r.get('train_ips', 0):.0f} img/s" for r in out["rows"][-len(ks) :])
        )
        record(out)
    for k in ks:
        with tempfile.TemporaryDirectory(prefix="gpu-check-packing-") as folder:
            specs = [
                {**base, "runs": [["alone", [rank + 1]]], "barrier": folder, "rank": rank, "concurrent": k}
                for rank in range(k)
            ]
            results = [r["runs"][0] for r in finish([start(s) for s in specs], deadline)]
        ok = all(r["status"] == "ok" for r in results)
        row = {"method": "processes", "k": k, "status": "ok" if ok else "failed"}
        if ok:
            mem = [r["peak_mem_mib"] for r in results]
            row.update(
                train_ips=sum(r["train_ips"] for r in results),
                peak_mem_mib=None if None in mem else sum(mem),
                peak_mem_mib_per_process=mem,
                losses=[r["losses"][0] for r in results],
            )
            if k == sizes["compare_k"] and alone_losses is not None:
                row["max_loss_diff_vs_alone"] = max_diff(row["losses"], alone_losses)
        else:
            row["error"] = next(r["error"] for r in results if r["status"] != "ok")
        out["rows"].append(row)
        progress(f"[packing] processes K={k}: {row.get('train_ips', 0):.0f} img/s")
        record(out)
    one = next(
        (r for r in out["rows"] if r["method"] == "processes" and r["k"] == 1 and r["status"] == "ok"), None
    )
    for r in out["rows"]:
        if r["status"] == "ok" and one:
            r["x_one_seed"] = r["train_ips"] / one["train_ips"]
    return out


if __name__ == "__main__":
    print(json.dumps(measure(json.loads(sys.argv[1]))), flush=True)
