"""`bninit gpu-check`'s packing probe: how K seeds of one network best share one GPU. For
K = 1, 4, 15 (the cuda profile; ResNet-18 with the CIFAR stem, batch 128 per seed) three ways:

    processes   K processes, each training one seed alone (a sweep with runs_per_gpu = K)
    vmap        one process, K networks stacked with torch.func (bninit.bench.gpu.packed_training)
    fused       one process, one fused network (bninit.bench.gpu.fused)

For each: the training images per second of all K seeds together (after warm-up steps), the peak
GPU memory (all K processes together for `processes`), and for K = 4 the largest difference of
each seed's first losses from the same seed trained alone, one after the other, in a process of
its own. It measures; nothing in a run's training changes with it. The measurements run in
processes of their own (bninit.bench.gpu.packing_worker): the seeds alone, the fused network, the
vmapped one, and the K processes (forked from one, which never touches the GPU itself).
"""

import json
import subprocess
import sys
import time

METHODS = ("processes", "vmap", "fused")


# ---------------------------------------------------------------- the step (gpu-check's process)


def start(spec: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bninit.bench.gpu.packing_worker", json.dumps(spec)],
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


def speeds(rows: list[dict]) -> str:
    return ", ".join(
        f"K={r['k']} " + (f"{r['train_ips']:.0f} img/s" if r["status"] == "ok" else "FAILED") for r in rows
    )


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
        progress(f"[packing] {method}: {speeds(out['rows'][-len(ks) :])}")
        record(out)
    [result] = finish([start({**base, "runs": [["processes", seeds(k)] for k in ks]})], deadline)
    out["rows"] += rows_of("processes", ks, result["runs"], alone_losses, sizes)
    progress(f"[packing] processes: {speeds(out['rows'][-len(ks) :])}")
    one = next(
        (r for r in out["rows"] if r["method"] == "processes" and r["k"] == 1 and r["status"] == "ok"), None
    )
    for r in out["rows"]:
        if r["status"] == "ok" and one:
            r["x_one_seed"] = r["train_ips"] / one["train_ips"]
    return out
