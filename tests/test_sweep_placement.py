"""Sweep workers share the machine: CPU threads split the cores, each worker claims its own GPU
slot, and the launcher is recognised from its Hydra config."""

import subprocess
import sys

import pytest

from bninit.sweep import placement as workers


@pytest.mark.parametrize(
    ("launcher", "settings", "cores", "workers_", "threads"),
    [
        ("joblib", {"n_jobs": 2}, 2, 2, 1),
        ("joblib", {"n_jobs": 2}, 16, 2, 8),
        ("joblib", {"n_jobs": -1}, 16, 16, 1),
        ("joblib", {"n_jobs": 3}, 2, 3, 1),
        ("submitit_local", {"cpus_per_task": 4, "array_parallelism": 256}, 16, 4, 4),
        ("submitit_local", {"cpus_per_task": None, "array_parallelism": 256}, 8, 8, 1),
        ("basic", {}, 8, 1, 8),
    ],
)
def test_workers_split_the_cores(launcher, settings, cores, workers_, threads):
    n = workers.parallel_workers(launcher, settings, cores)
    assert n == workers_
    assert workers.cpu_threads(n, cores) == threads
    assert n * workers.cpu_threads(n, cores) <= max(cores, n)


def test_each_worker_claims_its_own_gpu(tmp_path, monkeypatch):
    """Fake 3 GPUs: three claims (flock per open file, as three worker processes would hold)
    get three different GPUs; a fourth falls back to its job number."""
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    claims = [workers.claim_gpu(3, tmp_path) for _ in range(3)]
    assert sorted(claims) == [0, 1, 2]
    assert workers.claim_gpu(3, tmp_path, fallback=7) == 7 % 3


def test_runs_per_gpu_gives_each_gpu_that_many_workers(tmp_path, monkeypatch):
    """Fake 2 GPUs with 2 slots each: four workers share them two by two (first slots first)."""
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    claims = [workers.claim_gpu(2, tmp_path, slots=2) for _ in range(4)]
    assert claims == [0, 1, 0, 1]
    assert workers.claim_gpu(2, tmp_path, fallback=5, slots=2) == 1


def test_a_gpu_is_free_again_when_its_worker_exits(tmp_path):
    code = (
        "import sys; from pathlib import Path; from bninit.sweep.placement import claim_gpu; "
        f"print(claim_gpu(2, Path({str(tmp_path)!r})))"
    )
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    second = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert first.stdout.strip() == second.stdout.strip() == "0"


def test_place_gives_a_worker_a_gpu_and_its_share_of_the_cores(monkeypatch):
    """The glue a job runs: with 2 (fake) GPUs device=auto becomes one of them, an explicit
    device is kept, and joblib workers split the cores."""
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setattr(workers, "cpu_cores", lambda: 7)
    device, threads = workers.place("auto", "joblib", {"n_jobs": 2}, job_num=5)
    assert device in ("cuda:0", "cuda:1")
    assert workers.place("auto", "joblib", {"n_jobs": 2}, job_num=6)[0] == device  # kept per worker
    assert threads == 3  # 7 cores for 2 workers: 3 each, none shared
    assert workers.place("cpu", "joblib", {"n_jobs": -2}, job_num=0) == ("cpu", 1)  # 6 workers on 7
    assert workers.place("cpu", "submitit_local", {"cpus_per_task": 2}, job_num=0) == ("cpu", 2)  # 3 x 2
    assert workers.place("cpu", "basic", {}, job_num=0) == ("cpu", None)


@pytest.mark.parametrize(
    ("target", "kind"),
    [
        ("hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher", "joblib"),
        ("hydra_plugins.hydra_submitit_launcher.submitit_launcher.LocalLauncher", "submitit_local"),
        ("hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher", "submitit_slurm"),
        ("hydra._internal.core_plugins.basic_launcher.BasicLauncher", "basic"),
    ],
)
def test_the_launcher_is_known_by_its_class_whatever_the_preset_is_called(target, kind):
    assert workers.launcher_kind(target) == kind
