"""One owner per run dir, and sweep workers that share the cores and the GPUs."""

import json
import os
import platform
import subprocess
import sys

import pytest

from bninit import lock, workers
from bninit.lock import LOCK, LockHeld, acquire, is_live, read_lock, release, run_lock


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def write_lock(directory, **owner):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / LOCK).write_text(json.dumps({"host": platform.node(), "slurm_job": None, **owner}))


def test_lock_names_its_owner_and_goes_away(tmp_path):
    run = tmp_path / "run"
    with run_lock(run):
        info = read_lock(run)
        assert info["pid"] == os.getpid() and info["host"] == platform.node()
        assert is_live(info)
    assert not (run / LOCK).exists()


def test_a_live_owner_keeps_the_run(tmp_path):
    run = tmp_path / "run"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        write_lock(run, pid=sleeper.pid)
        with pytest.raises(LockHeld, match=f"pid {sleeper.pid} on {platform.node()}"):
            acquire(run)
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_dead_owners_lock_is_taken_over(tmp_path):
    run = tmp_path / "run"
    write_lock(run, pid=dead_pid())
    me = acquire(run)
    assert read_lock(run)["pid"] == os.getpid()
    release(run, me)
    assert not (run / LOCK).exists()


def test_a_lock_without_heartbeat_is_stale_on_any_host(tmp_path):
    run = tmp_path / "run"
    write_lock(run, pid=1, host="another-node")
    assert is_live(read_lock(run))  # another host, fresh heartbeat: assume it runs
    old = os.path.getmtime(run / LOCK) - lock.STALE_AFTER_S - 10
    os.utime(run / LOCK, (old, old))
    assert not is_live(read_lock(run))
    release(run, acquire(run))


def test_a_requeued_slurm_job_takes_its_own_lock_back(tmp_path, monkeypatch):
    run = tmp_path / "run"
    write_lock(run, pid=1, host="node-that-was-preempted", slurm_job="4242_3")
    monkeypatch.setenv("SLURM_JOB_ID", "4242")
    monkeypatch.setenv("SLURM_ARRAY_TASK_ID", "3")
    me = acquire(run)
    assert read_lock(run)["slurm_job"] == "4242_3" and me["pid"] == os.getpid()


def test_heartbeat_keeps_the_lock_fresh(tmp_path):
    run = tmp_path / "run"
    with run_lock(run, heartbeat_s=0.05):
        old = os.path.getmtime(run / LOCK) - 100
        os.utime(run / LOCK, (old, old))
        import time

        time.sleep(0.3)
        assert read_lock(run)["age_s"] < 50


def test_dirs_the_lock_made_are_removed_when_nothing_was_written(tmp_path):
    run = tmp_path / "runs" / "digits" / "resnet20" / "cell" / "seed=1"
    with pytest.raises(RuntimeError):
        with run_lock(run):
            raise RuntimeError("bad input")
    assert not (tmp_path / "runs").exists()
    with run_lock(run):
        (run / "config.yaml").write_text("a: 1\n")
    assert (run / "config.yaml").exists() and not (run / LOCK).exists()


@pytest.mark.parametrize(("launcher", "settings", "cores", "workers_", "threads"), [
    ("joblib", {"n_jobs": 2}, 2, 2, 1),
    ("joblib", {"n_jobs": 2}, 16, 2, 8),
    ("joblib", {"n_jobs": -1}, 16, 16, 1),
    ("joblib", {"n_jobs": 3}, 2, 3, 1),
    ("submitit_local", {"cpus_per_task": 4, "array_parallelism": 256}, 16, 4, 4),
    ("submitit_local", {"cpus_per_task": None, "array_parallelism": 256}, 8, 8, 1),
    ("basic", {}, 8, 1, 8),
])
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
    code = ("import sys; from pathlib import Path; from bninit.workers import claim_gpu; "
            f"print(claim_gpu(2, Path({str(tmp_path)!r})))")
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
    device, threads = workers.place("auto", "joblib", {"n_jobs": 2}, job_num=5)
    assert device in ("cuda:0", "cuda:1")
    assert workers.place("auto", "joblib", {"n_jobs": 2}, job_num=6)[0] == device  # kept per worker
    assert threads == max(1, workers.cpu_cores() // 2)
    assert workers.place("cpu", "basic", {}, job_num=0) == ("cpu", None)


def test_a_damaged_lock_goes_stale_with_age_and_is_taken_over(tmp_path):
    """An empty run.lock (a crash mid-write) blocks only while it is fresh."""
    run = tmp_path / "seed=1"
    run.mkdir()
    (run / LOCK).write_text("")
    assert is_live(read_lock(run))
    old = os.path.getmtime(run / LOCK) - lock.STALE_AFTER_S - 10
    os.utime(run / LOCK, (old, old))
    assert not is_live(read_lock(run))
    me = acquire(run)
    assert me["pid"] == os.getpid() and read_lock(run)["pid"] == os.getpid()
    release(run, me)
    assert read_lock(run) is None
