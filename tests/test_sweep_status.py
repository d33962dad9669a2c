"""`bninit status`: per cell, done / running / failed / pending, and the time left."""

import json
import platform
import subprocess
import sys

import pytest

from bninit.config.compose import compose_run_config
from bninit.run.train import run
from bninit.store.collect import collect_dir, run_status
from bninit.store.lock import LOCK
from bninit.store.rundir import run_dir
from bninit.sweep.status import format_duration, status_table
from bninit.sweep.task import write_error


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """One cell with every status: seeds 1-2 done, 3 interrupted after 1 of 2 epochs, 4 failed,
    5 running (locked by a live process)."""
    runs = tmp_path_factory.mktemp("study") / "runs"
    cfgs = {s: compose_run_config([f"runs_dir={runs}", "epochs=2", f"seed={s}"]) for s in range(1, 6)}
    run(cfgs[1])
    run(cfgs[2])
    run(cfgs[3], stop_after_epoch=1)
    write_error(run_dir(cfgs[4]), cfgs[4], RuntimeError("CUDA out of memory"))
    live = run_dir(cfgs[5])
    live.mkdir(parents=True)
    (live / "config.yaml").write_text(run_dir(cfgs[1]).joinpath("config.yaml").read_text())
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    (live / LOCK).write_text(json.dumps({"pid": sleeper.pid, "host": platform.node()}))
    yield cfgs
    sleeper.kill()
    sleeper.wait()


def test_each_status_is_told_apart(study):
    assert [run_status(run_dir(study[s])) for s in range(1, 6)] == [
        "done",
        "done",
        "interrupted",
        "failed",
        "running",
    ]


def test_status_table_counts_and_eta(study):
    frame = collect_dir(study[1].runs_dir)
    table = status_table(frame)
    assert len(table) == 1
    row = table.iloc[0]
    assert (row["done"], row["running"], row["failed"], row["pending"]) == (2, 1, 1, 1)
    done = frame[frame["status"] == "done"]
    per_epoch = (done["wall_time_s"] / done["epochs_done"]).mean()
    left = (2 - 1) + 2 + 2  # interrupted after 1 of 2, failed (restarts), running (from config)
    assert row["eta_s"] == pytest.approx(left * per_epoch)


@pytest.mark.slow
def test_status_cli_prints_the_table(study, cli):
    result = cli("status", str(study[1].runs_dir))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:7] == ["dataset", "arch", "cell", "done", "running", "failed", "pending"]
    assert lines[1].split()[3:7] == ["2", "1", "1", "1"]
    assert lines[-1].split()[:3] == ["total", "1", "cells"]


def test_durations_read_well():
    assert [format_duration(s) for s in (5, 125, 7300, float("nan"))] == ["5s", "2m05s", "2h01m", "?"]
