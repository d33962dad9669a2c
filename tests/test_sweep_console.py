"""The sweep console: one line per run that finishes or fails (cell, seed, test accuracy or the
error, wall time) with done / failed / total and an ETA; no epoch lines from a sweep."""

import json
import re
from types import SimpleNamespace

import pytest

from bninit.store.rundir import ERROR, RESULT
from bninit.sweep import console as console_module
from bninit.sweep.console import SweepConsole


def test_a_line_per_finished_or_failed_run_with_progress(tmp_path, capsys):
    dirs = [tmp_path / "digits" / "resnet20" / "cell-abc" / f"seed={s}" for s in (1, 2, 3)]
    for d in dirs:
        d.mkdir(parents=True)
    (dirs[2] / ERROR).write_text('{"error": "old failure"}')  # from an earlier sweep: not news
    with SweepConsole("demo", dirs, poll_s=0.02, live=False):
        (dirs[0] / RESULT).write_text(
            json.dumps({"config": {}, "test_acc_at_best_val": 98.5, "wall_time_s": 75})
        )
        (dirs[1] / ERROR).write_text(json.dumps({"error": "RuntimeError: boom\nmore", "wall_time_s": 3}))
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    done = next(line for line in lines if line.startswith("done"))
    failed = next(line for line in lines if line.startswith("failed"))
    assert "cell-abc seed=1" in done and "test  98.50%" in done and "1m15s" in done
    assert "cell-abc seed=2" in failed and "RuntimeError: boom" in failed and "more" not in failed
    assert "3s" in failed
    assert re.search(r"\[2/3, 1 failed, ETA \d+s\]$", lines[-1])  # its value: the test below


def test_the_eta_is_elapsed_per_ended_run_times_the_runs_left(tmp_path, capsys, monkeypatch):
    """The clock is the console's own (monkeypatched), the polls are explicit: 4 runs, the first
    ends 10 min in (10 min a run, 3 left: 30m00s), the second 25 min in (12.5 min a run, 2 left:
    25m00s), the third fails 27.5 min in (9m10s a run = 550 s, 1 left: 9m10s)."""
    now = [1000.0]
    monkeypatch.setattr(console_module, "time", SimpleNamespace(monotonic=lambda: now[0]))
    dirs = [tmp_path / "c" / f"seed={s}" for s in (1, 2, 3, 4)]
    for d in dirs:
        d.mkdir(parents=True)
    with SweepConsole("demo", dirs, poll_s=3600, live=False) as console:
        for minutes, d in zip((10, 25, 27.5), dirs[:3], strict=True):
            now[0] = 1000.0 + 60 * minutes
            if d.name == "seed=3":  # a failed run has ended too
                (d / ERROR).write_text(json.dumps({"error": "RuntimeError: boom", "wall_time_s": 1}))
            else:
                record = {"config": {}, "test_acc_at_best_val": 90.0, "wall_time_s": 1}
                (d / RESULT).write_text(json.dumps(record))
            console.poll()
    etas = [line.rsplit("ETA ", 1)[1] for line in capsys.readouterr().out.splitlines()]
    assert etas == ["30m00s]", "25m00s]", "9m10s]"]


def test_the_live_bar_draws_and_stops(tmp_path, capsys):
    d = tmp_path / "c" / "seed=1"
    d.mkdir(parents=True)
    with SweepConsole("demo", [d], poll_s=0.02, live=True) as console:
        (d / RESULT).write_text(json.dumps({"config": {}, "test_acc_at_best_val": 97.0, "wall_time_s": 1}))
    assert console.done == 1 and "c seed=1" in capsys.readouterr().out


@pytest.mark.slow
def test_a_joblib_sweep_shows_runs_not_epochs(cli, tmp_path):
    result = cli(
        "sweep",
        "demo",
        "seeds=2",
        "epochs=2",
        "gamma=0.5",
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=2",
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert not [line for line in lines if line.startswith("epoch")]
    done = [line for line in lines if line.startswith("done ")]
    assert len(done) == 2 and {"seed=1", "seed=2"} == {line.split()[2] for line in done}
    assert "[2/2, 0 failed, ETA 0s]" in done[-1]
    assert len(lines) <= 6  # plan, launch, 2 runs, summary, collect
    logs = sorted((tmp_path / "runs").rglob("train.log"))
    assert len(logs) == 2 and all("epoch   2/2" in log.read_text() for log in logs)
