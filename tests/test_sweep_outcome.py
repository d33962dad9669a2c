"""The sweep tells the command line what happened: outcome.json in the sweep's own dir lists the
planned, skipped, done, failed and interrupted run dirs and the CSV(s); the exit code comes from it.
A run whose failure could not even be recorded (a full disk while writing error.json) is lost:
the sweep exits 1 with one line."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from bninit.sweep.outcome import lost, outcome_record
from conftest import BNINIT

OLD_RUNS = Path(__file__).parent / "data" / "old_runs"


def bninit(*args, cwd, env=None, timeout=300):
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1", **(env or {})}
    return subprocess.run([BNINIT, *args], cwd=cwd, env=env, text=True, capture_output=True, timeout=timeout)


def test_the_outcome_reads_each_run_from_disk_and_trusts_the_launcher_on_failures(tmp_path):
    runs = tmp_path / "runs"
    shutil.copytree(OLD_RUNS, runs)
    planned = {d: str(runs) for d in sorted(runs.glob("*/*/*/seed=*"))}
    interrupted = next(d for d in planned if "g0.5" in str(d))
    record = outcome_record("demo", planned, [], [], "finished")
    assert (len(record["done"]), len(record["failed"]), record["interrupted"]) == (3, 1, [str(interrupted)])
    assert len(lost(record)) == 2  # a finished sweep that left a run interrupted lost it
    # The launcher said the interrupted one failed (its error.json could not be written): failed.
    record = outcome_record("demo", planned, [], [interrupted], "finished")
    assert len(record["failed"]) == 2 and record["interrupted"] == []
    assert lost(outcome_record("demo", planned, [], [], "interrupted")) == record["failed"][:1]


@pytest.mark.slow
def test_a_multirun_over_two_runs_dirs_writes_a_csv_into_each(tmp_path):
    result = bninit("train", "-m", "runs_dir=a,b", "epochs=1", "gamma=0.5", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for name in ("a", "b"):
        frame = pd.read_csv(tmp_path / name / "multirun.csv")
        assert len(frame) == 1 and frame["status"].tolist() == ["done"]
        assert frame["run_dir"][0].startswith(str(tmp_path / name))
        assert f"collected 1 runs (1 done) -> {tmp_path / name / 'multirun.csv'}" in result.stdout
    assert not (tmp_path / "runs" / "multirun.csv").exists()
    record = json.loads((tmp_path / "runs" / ".hydra" / "multirun" / "outcome.json").read_text())
    assert record["csv"] == [str(tmp_path / "a" / "multirun.csv"), str(tmp_path / "b" / "multirun.csv")]
    assert len(record["done"]) == 2 and record["failed"] == [] and record["ended"] == "finished"


# A full disk as a worker process meets it: the checkpoint and the error record cannot be flushed
# (ENOSPC from fsync, as tests/test_run_faults.py's disk_full_on explains).
DISK_FULL = """
import errno, os
real = os.fsync
def fsync(fd):
    path = os.readlink(f"/proc/self/fd/{fd}")
    if ".checkpoint.pt." in path or ".error.json." in path:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    return real(fd)
os.fsync = fsync
"""


@pytest.mark.slow
def test_a_full_disk_while_recording_a_failure_fails_a_joblib_sweep(tmp_path):
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(DISK_FULL)  # every process of the sweep, workers too
    args = (
        "sweep",
        "demo",
        "seeds=2",
        "epochs=1",
        "gamma=0.5",
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=2",
    )
    result = bninit(*args, cwd=tmp_path, env={"PYTHONPATH": str(hook)})
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("bninit sweep: error: 2 of 2 runs failed")
    record = json.loads((tmp_path / "runs" / ".hydra" / "demo" / "outcome.json").read_text())
    assert len(record["failed"]) == 2 and record["done"] == []
    assert not list((tmp_path / "runs").rglob("error.json"))  # not even the failure was recorded
