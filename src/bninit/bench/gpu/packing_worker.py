"""The packing probe's measuring process (bninit.bench.gpu.packing starts it):

    python -m bninit.bench.gpu.packing_worker SPEC_JSON     # prints one JSON line last

spec["runs"] lists (method, seeds): "alone", "vmap" or "fused" trains the seeds together in this
process (bninit.bench.gpu.packed_training), one run after the other; "processes" trains each
seed alone in a process of its own, all at once (forked from this one, which never touches the
GPU itself, so that each child makes its own CUDA context, as K runs of a sweep do)."""

import json
import multiprocessing
import sys
import tempfile
import time

import torch

from bninit.bench.gpu.packed_training import TRAINERS, SeedData, seed_network, train_steps
from bninit.bench.loops import barrier, synthetic_data
from bninit.bench.rows import default_settings
from bninit.config import RunConfig
from bninit.run.fastpath import FastPath


def peak_mib(device: torch.device) -> float | None:
    return torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def free(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


def fast_path(spec: dict, device: torch.device) -> FastPath:
    """bninit's default fast path at spec["precision"], its backend flags set."""
    fast = FastPath.for_run(RunConfig(**{**default_settings(), "precision": spec["precision"]}), device)
    fast.set_backend_flags()
    return fast


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


def failure(err: Exception) -> dict:
    lines = str(err).strip().splitlines()
    return {"status": "failed", "error": f"{type(err).__name__}: {lines[0] if lines else ''}"}


def one_seed_process(spec: dict, seed: int, conn) -> None:
    """A forked child: seed `seed` alone, its timed steps started with its siblings'."""
    try:
        torch.set_num_threads(spec["threads"])
        device = torch.device(spec["device"])
        result = {"status": "ok", **train_packed(spec, "alone", [seed], fast_path(spec, device), device)}
    except Exception as err:  # sent to the parent, which records it
        result = failure(err)
    conn.send(result)
    conn.close()


def processes(spec: dict, seeds: list[int]) -> dict:
    """Each of `seeds` alone in a forked process of its own, all at once; their figures summed."""
    fork = multiprocessing.get_context("fork")
    k = len(seeds)
    with tempfile.TemporaryDirectory(prefix="gpu-check-packing-") as folder:
        child_spec = {**spec, "threads": max(1, spec["threads"] // k), "barrier": folder, "concurrent": k}
        pipes, procs = [], []
        for rank, seed in enumerate(seeds):
            mine, theirs = fork.Pipe(duplex=False)
            proc = fork.Process(target=one_seed_process, args=({**child_spec, "rank": rank}, seed, theirs))
            proc.start()
            theirs.close()
            pipes.append(mine)
            procs.append(proc)
        results = []
        for pipe, proc in zip(pipes, procs, strict=True):
            try:
                results.append(pipe.recv())
            except EOFError:  # died without a word (killed, or a crash in C)
                proc.join()
                results.append({"status": "failed", "error": f"a process ended with exit {proc.exitcode}"})
        for proc in procs:
            proc.join()
    failed = [r["error"] for r in results if r["status"] != "ok"]
    if failed:
        return {"status": "failed", "error": failed[0]}
    mem = [r["peak_mem_mib"] for r in results]
    return {
        "status": "ok",
        "train_ips": sum(r["train_ips"] for r in results),
        "peak_mem_mib": None if None in mem else sum(mem),
        "peak_mem_mib_per_process": mem,
        "losses": [r["losses"][0] for r in results],
    }


def measure(spec: dict) -> dict:
    """Each of spec["runs"] (method, seeds) in turn: its figures, or its error (one that fails,
    e.g. out of GPU memory, is recorded and the next one runs)."""
    torch.set_num_threads(spec["threads"])
    device = torch.device(spec["device"])
    fast = None
    out = []
    for method, seeds in spec["runs"]:
        if method == "processes":  # before anything here touches the GPU
            out.append(processes(spec, seeds))
            continue
        fast = fast or fast_path(spec, device)
        free(device)
        try:
            out.append({"status": "ok", **train_packed(spec, method, seeds, fast, device)})
        except (RuntimeError, ValueError) as err:  # torch.OutOfMemoryError is a RuntimeError
            out.append(failure(err))
    return {"runs": out}


if __name__ == "__main__":
    print(json.dumps(measure(json.loads(sys.argv[1]))), flush=True)
