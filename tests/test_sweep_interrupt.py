"""Interrupting a sweep is safe: Ctrl-C (SIGINT to the process group) or SIGTERM (to bninit only)
stops it with one line saying how to resume and exit 130 / 143; the same command then finishes
the study with every (cell, seed) done exactly once."""

import fcntl
import os
import signal
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

from bninit.config.compose import compose_run_config
from bninit.store.rundir import run_dir
from conftest import BNINIT, like_a_terminal

ARGS = (
    "sweep",
    "demo",
    "seeds=3",
    "epochs=3",
    "gamma=0.5",
    "hydra/launcher=joblib",
    "hydra.launcher.n_jobs=2",
)


@contextmanager
def run_dir_held(directory: Path):
    """Hold the exclusive flock a job takes on its run dir while it takes the run's lock
    (bninit.store.lock): that job waits until the block ends, so the sweep cannot finish first."""
    directory.mkdir(parents=True)
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@pytest.mark.slow
@pytest.mark.parametrize("sig, to_group, code", [(signal.SIGINT, True, 130), (signal.SIGTERM, False, 143)])
def test_interrupted_sweep_exits_with_one_line_and_the_same_command_finishes_it(
    tmp_path, sig, to_group, code
):
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
    runs = tmp_path / "runs"
    waiting = run_dir(compose_run_config([f"runs_dir={runs}", "epochs=3", "gamma=0.5", "seed=3"]))
    with run_dir_held(waiting):  # seed 3 waits: the signal comes while the sweep has work left
        proc = subprocess.Popen(
            [BNINIT, *ARGS],
            cwd=tmp_path,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=like_a_terminal,
        )
        deadline = time.monotonic() + 240
        while not list(runs.rglob("result.json")) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert list(runs.rglob("result.json")), "no run finished in time"
        if to_group:
            os.killpg(proc.pid, sig)  # what Ctrl-C in a terminal does: every process of the group
        else:
            os.kill(proc.pid, sig)
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[-1].startswith(
        "bninit: interrupted; to resume, run the same command again: bninit sweep demo"
    )
    assert "Traceback" not in err + out
    assert not list(runs.rglob("*.tmp"))
    finished = {p: p.stat().st_mtime_ns for p in runs.rglob("result.json")}

    again = subprocess.run(
        [BNINIT, *ARGS], cwd=tmp_path, env=env, text=True, capture_output=True, timeout=300
    )
    assert again.returncode == 0, again.stderr
    assert f"3 runs in 1 cells; {len(finished)} done" in again.stdout
    frame = pd.read_csv(runs / "demo.csv")
    assert len(frame) == 3 and set(frame["status"]) == {"done"}
    assert frame.groupby(["cell", "seed"]).size().eq(1).all()
    assert {p: p.stat().st_mtime_ns for p in finished} == finished  # nothing finished ran again
    assert waiting / "result.json" not in finished and (waiting / "result.json").exists()
