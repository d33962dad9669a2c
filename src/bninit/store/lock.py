"""One owner per run dir: a lock file naming the owner (pid, host, SLURM job), kept fresh by a
heartbeat, taken over when its owner is gone.

A lock is stale (and is taken over) when its process is dead on this host, when its heartbeat is
older than STALE_AFTER_S (a process on another host, or one that vanished), or when it belongs to
this very SLURM job (a requeued job resumes its own run after preemption or timeout).

Taking a lock, taking one over and releasing one happen under an exclusive flock on the run dir
itself, so of several processes that find the same stale lock at the same moment exactly one wins:
the others then find the winner's fresh lock.
"""

import fcntl
import json
import os
import platform
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

LOCK = "run.lock"
HEARTBEAT_S = 30.0
STALE_AFTER_S = 180.0


class LockHeld(Exception):
    """The run dir belongs to a live owner; the message says who."""


def owner() -> dict:
    """Who we are: pid, host and (on SLURM) the job id, which a requeued job keeps."""
    job = os.environ.get("SLURM_JOB_ID")
    task = os.environ.get("SLURM_ARRAY_TASK_ID")
    return {
        "pid": os.getpid(),
        "host": platform.node(),
        "slurm_job": f"{job}_{task}" if job and task else job,
        "since": time.time(),
    }


def read_lock(directory: Path) -> dict | None:
    """The lock's owner record with its heartbeat age, or None when there is no lock."""
    path = Path(directory) / LOCK
    try:
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return None
    try:
        record = json.loads(path.read_text())
        if not isinstance(record, dict):
            raise ValueError("not a lock record")
        return {**record, "age_s": age}
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:  # damaged (e.g. empty after a crash): goes stale with age
        why = f"{type(err).__name__}: {err}".splitlines()[0]
        return {"pid": None, "host": None, "slurm_job": None, "age_s": age, "damaged": why}


def is_live(info: dict | None) -> bool:
    """Whether a lock record (from read_lock) names an owner that may still be running."""
    if info is None:
        return False
    if info.get("age_s", 0.0) > STALE_AFTER_S:
        return False
    if info.get("host") == platform.node() and info.get("pid"):
        return _pid_alive(info["pid"])
    return True


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_stale(info: dict | None, me: dict) -> bool:
    if info is None:
        return True
    if info.get("pid") == me["pid"] and info.get("host") == me["host"]:
        return True  # our own leftover (a pid reused by the same process)
    if me["slurm_job"] and info.get("slurm_job") == me["slurm_job"]:
        return True
    return not is_live(info)


@contextmanager
def _guard(directory: Path):
    """An exclusive flock on the run dir, held while a lock is judged, taken or released."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor drops the flock


def acquire(directory: Path) -> dict:
    """Create the lock (atomically, with its content) or take over a stale one; LockHeld if live."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path, me = directory / LOCK, owner()
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{LOCK}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(me, handle)
            handle.flush()
            os.fsync(handle.fileno())
        with _guard(directory):
            try:
                os.link(tmp, path)  # fails if a lock exists: creation and content in one step
                return me
            except FileExistsError:
                pass
            info = read_lock(directory)
            if not _is_stale(info, me):
                raise LockHeld(f"{directory} is being run by pid {info.get('pid')} on {info.get('host')}")
            os.replace(tmp, path)  # the stale lock becomes ours in one step, never absent
            return me
    finally:
        Path(tmp).unlink(missing_ok=True)


def release(directory: Path, me: dict) -> None:
    """Remove the lock if it is still ours."""
    with _guard(Path(directory)):
        info = read_lock(directory)
        if info is not None and info.get("pid") == me["pid"] and info.get("host") == me["host"]:
            (Path(directory) / LOCK).unlink(missing_ok=True)


@contextmanager
def run_lock(directory: Path, heartbeat_s: float = HEARTBEAT_S):
    """Hold the run dir's lock for the block, touching it every `heartbeat_s` seconds.

    Directories the lock had to create are removed again on the way out if nothing else was
    written in them (a run that fails on bad input leaves no run dir behind).
    """
    directory = Path(directory)
    created = [p for p in (directory, *directory.parents) if not p.exists()]
    me = acquire(directory)
    stop = threading.Event()

    def beat():
        while not stop.wait(heartbeat_s):
            try:
                os.utime(directory / LOCK)
            except OSError:
                return

    thread = threading.Thread(target=beat, name="bninit-lock-heartbeat", daemon=True)
    thread.start()
    try:
        yield me
    finally:
        stop.set()
        thread.join()
        release(directory, me)
        for path in created:  # deepest first
            try:
                path.rmdir()
            except OSError:
                break
