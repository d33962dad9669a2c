"""Placing parallel sweep workers: CPU threads per worker and one GPU per worker.

Hydra's joblib launcher starts n_jobs processes and assigns no device; submitit_local starts one
process per job. On CPU the workers split the cores (threads = cores // workers). With several
GPUs each worker process claims a GPU slot for its lifetime through a file lock per (GPU, slot)
(flock: the kernel drops it when the process exits, so nothing goes stale); `runs_per_gpu` slots
per GPU let k runs share one GPU; when every slot is claimed the job number picks a GPU.
"""

import fcntl
import os
import platform
import tempfile
from pathlib import Path

from bninit.run.threads import cpu_budget

_held: list = []  # open lock files: their flocks last as long as this process
_claimed: dict[str, int] = {}  # lock dir -> the GPU this process claimed there


# Launchers by the class their Hydra config instantiates (so a preset in conf/hydra/launcher that
# extends one, e.g. `cpu` over joblib, is placed like it).
LAUNCHER_KINDS = {
    "JoblibLauncher": "joblib",
    "LocalLauncher": "submitit_local",
    "SlurmLauncher": "submitit_slurm",
    "BasicLauncher": "basic",
}


def launcher_kind(target: str | None) -> str:
    """joblib | submitit_local | submitit_slurm | basic, from a launcher config's `_target_`."""
    return LAUNCHER_KINDS.get(str(target).rsplit(".", 1)[-1], "basic")


def cpu_cores() -> int:
    """The CPUs this process may use (its affinity mask, or its SLURM allocation)."""
    return cpu_budget()


def parallel_workers(launcher: str, launcher_cfg: dict, cores: int) -> int:
    """How many runs a launcher runs at once on this machine (for sharing its cores)."""
    if launcher == "joblib":
        n_jobs = int(launcher_cfg.get("n_jobs") or -1)
        return max(1, n_jobs if n_jobs > 0 else cores + 1 + n_jobs)
    if launcher == "submitit_local":
        if launcher_cfg.get("cpus_per_task"):
            return max(1, cores // int(launcher_cfg["cpus_per_task"]))
        return max(1, min(int(launcher_cfg.get("array_parallelism") or cores), cores))
    return 1


def cpu_threads(workers: int, cores: int) -> int:
    """Threads per worker so that workers x threads <= cores (at least one)."""
    return max(1, cores // max(1, workers))


def claim_gpu(n_devices: int, lock_dir: Path, fallback: int = 0, slots: int = 1) -> int:
    """Claim a free GPU slot for this process (flock on lock_dir/gpu-<id>[-<slot>].lock; the GPUs'
    first slots before any second one) and return its GPU index; if every slot is held by another
    live process, `fallback % n_devices`."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES", "")
    ids = visible.split(",") if visible else [str(i) for i in range(n_devices)]
    lock_dir.mkdir(parents=True, exist_ok=True)
    for slot, index in ((s, i) for s in range(slots) for i in range(n_devices)):
        name = f"gpu-{ids[index] if index < len(ids) else index}" + (f"-{slot}" if slot else "")
        handle = open(lock_dir / f"{name}.lock", "a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        _held.append(handle)
        return index
    return fallback % n_devices


def worker_gpu(n_devices: int, job_num: int, slots: int = 1) -> int:
    """This process's GPU: claimed once, then kept for every later job of the same worker."""
    lock_dir = Path(tempfile.gettempdir()) / f"bninit-gpus-{os.getuid()}-{platform.node()}"
    if str(lock_dir) not in _claimed:
        _claimed[str(lock_dir)] = claim_gpu(n_devices, lock_dir, fallback=job_num, slots=slots)
    return _claimed[str(lock_dir)]


def place(
    device: str, launcher: str, launcher_cfg: dict, job_num: int, runs_per_gpu: int = 1
) -> tuple[str, int | None]:
    """(device, torch threads or None) for one job of a multirun."""
    import torch

    threads = None
    if launcher in ("joblib", "submitit_local"):
        cores = cpu_cores()
        threads = cpu_threads(parallel_workers(launcher, launcher_cfg, cores), cores)
    if device == "auto" and torch.cuda.is_available() and torch.cuda.device_count() > 1:
        device = f"cuda:{worker_gpu(torch.cuda.device_count(), job_num, runs_per_gpu)}"
    return device, threads
