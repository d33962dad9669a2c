"""One owner per run dir: a lock that names its owner, goes stale when the owner dies, and is
taken over by exactly one newcomer."""

import json
import os
import platform
import subprocess
import sys

import pytest

from bninit.store import lock
from bninit.store.lock import LOCK, LockHeld, acquire, is_live, read_lock, release, run_lock


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

        deadline = time.monotonic() + 30  # a beat every 0.05 s: waits for one however busy the machine
        while read_lock(run)["age_s"] > 50 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert read_lock(run)["age_s"] < 50


def test_dirs_the_lock_made_are_removed_when_nothing_was_written(tmp_path):
    run = tmp_path / "runs" / "digits" / "resnet20" / "cell" / "seed=1"
    with pytest.raises(RuntimeError):
        with run_lock(run):
            raise RuntimeError("bad input")  # any error before the run's first file: a bad config
    assert not (tmp_path / "runs").exists()
    with run_lock(run):
        (run / "config.yaml").write_text("a: 1\n")
    assert (run / "config.yaml").exists() and not (run / LOCK).exists()


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


def _race(directory, barrier, rounds, wins):
    """One racer: every round, wait for the others, then try to take the round's stale lock."""
    for r in range(rounds):
        barrier.wait()
        try:
            acquire(directory / str(r))
            wins.put((r, os.getpid()))
        except LockHeld:
            pass
        barrier.wait()


def test_eight_processes_racing_for_a_stale_lock_one_wins_every_round(tmp_path):
    import multiprocessing

    rounds, racers = 40, 8
    dead = dead_pid()
    for r in range(rounds):
        write_lock(tmp_path / str(r), pid=dead)  # every round starts from a dead owner's lock
    ctx = multiprocessing.get_context("fork")
    barrier, wins = ctx.Barrier(racers), ctx.Queue()
    procs = [ctx.Process(target=_race, args=(tmp_path, barrier, rounds, wins)) for _ in range(racers)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=120)
        assert proc.exitcode == 0
    won = [wins.get(timeout=5) for _ in range(wins.qsize())]
    per_round = {r: [pid for rr, pid in won if rr == r] for r in range(rounds)}
    assert all(len(pids) == 1 for pids in per_round.values()), per_round
    for r, (pid,) in per_round.items():
        assert read_lock(tmp_path / str(r))["pid"] == pid  # the winner's lock is the one on disk
