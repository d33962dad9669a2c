"""Ctrl-C and SIGTERM on any command: one line saying how to resume, exit 130 (SIGTERM: 143), no
traceback. Every file a run writes is atomic and its lock is released on the way out, so the same
command resumes where it stopped.

Inside a SLURM job SIGTERM is left alone: submitit's jobs use it (with SIGUSR2) to requeue.
"""

import os
import shlex
import signal
import sys
from collections.abc import Callable
from pathlib import Path


def resume_line() -> str:
    again = shlex.join([Path(sys.argv[0]).name, *sys.argv[1:]])  # what the user typed
    return (
        f"bninit: interrupted; to resume, run the same command again: {again} (finished runs "
        "are kept, interrupted ones continue from their last checkpoint)"
    )


def interruptible(body: Callable[[], int], take_sigterm: bool | None = None) -> int:
    """body()'s exit code; on Ctrl-C (or SIGTERM, taken unless inside a SLURM job) the resume
    line and 128 + the signal's number."""
    if take_sigterm is None:
        take_sigterm = "SLURM_JOB_ID" not in os.environ
    received: list[int] = []
    line = resume_line()  # before Hydra takes over sys.argv

    def on_term(signum, frame):  # SIGTERM stops a command like Ctrl-C does
        received.append(signum)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term) if take_sigterm else None
    try:
        return body()
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut this line
        print(line, file=sys.stderr, flush=True)
        return 128 + (received[0] if received else signal.SIGINT)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
