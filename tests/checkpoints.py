"""A run's checkpoint read back for the resume tests: what it has measured so far, and a command
killed once its run has checkpointed past an epoch (the runs are long, so it never finishes first)."""

import os
import signal
import subprocess
import time
from pathlib import Path

from bninit.store.rundir import CHECKPOINT, load_checkpoint


def measured(out_dir: Path) -> dict:
    """What a run's checkpoint holds of its measurements: the epochs done, the history without the
    clock, the best epoch and the weights."""
    state = load_checkpoint(out_dir)
    return {
        "epoch": state["epoch"],
        "history": [{k: v for k, v in h.items() if k != "seconds"} for h in state["history"]],
        "best": (state["best_epoch"], state["best_val_acc"], state["test_acc_at_best_val"]),
        "weights": {k: v.tolist() for k, v in state["model"].items()},
    }


def kill_after_a_new_checkpoint(proc: subprocess.Popen, out_dir: Path, timeout: float = 240) -> str:
    """SIGKILL the process group of `proc` (started with start_new_session) once it has written a
    checkpoint in `out_dir` (a new file: a checkpoint replaces the last one whole); its stdout."""
    path = out_dir / CHECKPOINT
    before = path.stat().st_ino if path.exists() else None
    deadline = time.monotonic() + timeout
    try:
        while not path.exists() or path.stat().st_ino == before:
            assert time.monotonic() < deadline, f"no new checkpoint in {out_dir} in {timeout}s"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate(timeout=60)
    return out or ""
