"""Every error path is one line: impossible or unwritable dirs (exit 2), a full disk while
writing a checkpoint or result (exit 1, the last good checkpoint stays, no temp file), and a
run's own log (train.log) with every line it printed and the traceback of a crash."""

import errno
import json
import os
import subprocess
import sys

import pytest

from bninit.run.train import run
from bninit.store.rundir import CHECKPOINT, ERROR, RESULT, load_checkpoint, run_dir
from bninit.sweep.task import RunError, run_task


def disk_full_on(monkeypatch, name: str, after: int = 0) -> None:
    """The atomic writer's fsync of `name`'s temp file fails with ENOSPC (after `after` good ones).

    It stands for a full disk: with delayed allocation (ext4, XFS) the space a write needs is only
    claimed when the data is flushed, so a full disk shows first as ENOSPC from fsync."""
    import bninit.atomic

    real, seen = os.fsync, {"n": 0}

    def fsync(fd):
        if f".{name}." in os.readlink(f"/proc/self/fd/{fd}"):
            seen["n"] += 1
            if seen["n"] > after:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd)

    monkeypatch.setattr(bninit.atomic.os, "fsync", fsync)


@pytest.mark.parametrize(
    "args",
    [
        ["runs_dir=/dev/null/runs"],
        ["data_dir=/dev/null/data", "dataset=cifar10"],
        ["runs_dir={file}/runs"],
    ],
)
def test_impossible_dirs_are_one_line_exit_2(cli, tmp_path, args):
    (tmp_path / "plain").write_text("a file, not a dir\n")
    result = cli("train", "epochs=1", *(a.format(file=tmp_path / "plain") for a in args))
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("bninit train: error: ") and "is not a directory" in line


def test_a_sweep_into_an_impossible_runs_dir_is_one_line_exit_2(cli):
    result = cli("sweep", "demo", "seeds=1", "epochs=1", "runs_dir=/dev/null/runs")
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert "runs_dir '/dev/null/runs'" in line and "Traceback" not in result.stdout


@pytest.mark.slow
def test_disk_full_at_a_checkpoint_stops_the_run_and_keeps_the_last_good_one(make_cfg, monkeypatch):
    cfg = make_cfg("epochs=3")
    disk_full_on(monkeypatch, CHECKPOINT, after=1)  # epoch 1's checkpoint is written, epoch 2's not
    with pytest.raises(RunError, match="No space left on device") as caught:
        run_task(cfg)
    assert caught.value.exit_code == 1 and len(str(caught.value).splitlines()) == 1
    out = run_dir(cfg)
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]  # the temp file is gone
    assert load_checkpoint(out)["epoch"] == 1  # the last good checkpoint still loads
    error = json.loads((out / ERROR).read_text())
    assert "No space left on device" in error["error"] and error["log"] == str(out / "train.log")
    log = (out / "train.log").read_text()
    assert "epoch   1/3" in log and "Traceback" in log and "OSError" in log
    monkeypatch.undo()
    assert run_task(cfg)["status"] == "done"  # room again: it resumes
    assert "resuming" in (out / "train.log").read_text()


def test_disk_full_at_the_result_leaves_the_last_checkpoint(make_cfg, monkeypatch):
    cfg = make_cfg("epochs=1")
    disk_full_on(monkeypatch, RESULT)
    with pytest.raises(RunError, match="No space left on device"):
        run_task(cfg)
    out = run_dir(cfg)
    assert not (out / RESULT).exists() and load_checkpoint(out)["epoch"] == 1
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.slow
def test_disk_full_on_the_command_line_is_one_line_exit_1(tmp_path):
    # the disk fills while the first checkpoint is flushed (ENOSPC from fsync, see disk_full_on)
    script = f"""
import errno, os, sys
import bninit.atomic
real = os.fsync
def fsync(fd):
    if ".checkpoint.pt." in os.readlink(f"/proc/self/fd/{{fd}}"):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    return real(fd)
bninit.atomic.os.fsync = fsync
from bninit.cli.main import main
sys.exit(main(["train", "epochs=1", "runs_dir={tmp_path / "runs"}"]))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("bninit train: error: run failed: No space left on device")
    assert "train.log" in line


def test_train_log_holds_every_line_across_resumes(make_cfg, capsys):
    cfg = make_cfg("epochs=2")
    run(cfg, stop_after_epoch=1)
    run(cfg)
    printed = capsys.readouterr().out.splitlines()
    log = (run_dir(cfg) / "train.log").read_text().splitlines()
    assert [line for line in log if not line.startswith("--- ")] == printed
    assert sum(line.startswith("--- ") for line in log) == 2  # one header per session
    assert any(line.startswith(f"resuming {run_dir(cfg)} after epoch 1/2") for line in log)


def test_quiet_runs_log_only(make_cfg, capsys):
    cfg = make_cfg("epochs=1")
    run(cfg, echo=False)
    assert capsys.readouterr().out == ""
    assert "epoch   1/1" in (run_dir(cfg) / "train.log").read_text()
