"""A run on a real full filesystem: a 2 MiB tmpfs holds the run dir, so the first checkpoint
(~3 MiB for resnet20: weights, best weights, momentum) cannot be written. No fault is faked here;
tests/test_run_faults.py fakes ENOSPC at each write, this checks the kernel's own."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from bninit.store.rundir import CHECKPOINT, ERROR, RESULT


@pytest.fixture
def full_disk(tmp_path):
    """A 2 MiB tmpfs at tmp_path/small (root only), unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    mountpoint = tmp_path / "small"
    mountpoint.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mountpoint)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


@pytest.mark.slow
def test_a_full_filesystem_fails_the_run_in_one_line_with_nothing_half_written(full_disk, cli):
    args = ("train", "epochs=2", f"runs_dir={full_disk / 'runs'}")
    failed = cli(*args)
    assert failed.returncode == 1, failed.stderr
    (run,) = (full_disk / "runs").glob("digits/resnet20/*/seed=1")
    assert failed.stderr.splitlines() == [
        f"bninit train: error: run failed: No space left on device (traceback in {run / 'train.log'})"
    ]
    names = {p.name for p in run.iterdir()}
    assert CHECKPOINT not in names and RESULT not in names  # nothing half-written
    assert not [n for n in names if n.endswith(".tmp")]  # and no temp file left taking the space
    assert "No space left on device" in json.loads((run / ERROR).read_text())["error"]
    assert "OSError" in (run / "train.log").read_text()
    # room again (the same filesystem grown): the same command finishes the run
    subprocess.run(["mount", "-o", "remount,size=32m", str(full_disk)], check=True)
    done = cli(*args)
    assert done.returncode == 0, done.stderr
    assert json.loads((Path(run) / RESULT).read_text())["status"] == "done"
