"""Which of its jobs SLURM still holds (`bninit.sweep.slurm.live_jobs`), without a cluster or root:
fake `squeue` / `sacct` executables on PATH print what the real ones print, or fail as they do."""

import getpass
import os
import stat
from pathlib import Path

import pytest

from bninit.errors import UserError
from bninit.sweep import slurm

# `squeue -h -r -o "%i %T"` as a real cluster prints it: one array task per line, its state. A job
# stays listed for a while after it ends (MinJobAge) in a final state; those will never run again.
SQUEUE_OUT = """\
12_1 PENDING
12_2 RUNNING
12_3 REQUEUED
12_4 COMPLETING
12_5 COMPLETED
12_6 CANCELLED
12_7 TIMEOUT
12_8 FAILED
12_9 NODE_FAIL
12_10 OUT_OF_MEMORY
12_11 SUSPENDED
12_12 PREEMPTED
13_0 RUNNING
"""


def fake_command(bin_dir: Path, name: str, script: str) -> None:
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / name).write_text(f"#!/bin/sh\n{script}\n")
    (bin_dir / name).chmod(stat.S_IRWXU)


@pytest.fixture
def on_path(tmp_path, monkeypatch) -> Path:
    """A folder first on PATH for the fake executables."""
    bin_dir = tmp_path / "bin"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return bin_dir


def test_only_jobs_that_may_still_run_are_held(on_path, tmp_path):
    # records its arguments (one a line), then lists the queue
    record = f"printf '%s\\n' \"$@\" > {tmp_path / 'args'}"
    fake_command(on_path, "squeue", f"{record}\ncat <<EOF\n{SQUEUE_OUT}EOF")
    asked = {f"12_{i}" for i in range(1, 13)} | {"99_0"}  # 99_0: never listed (long gone)
    held = slurm.live_jobs(asked)
    # pending, running, requeued, completing (still on its node) and suspended (resumed later)
    # jobs may still write their run; ended ones and unlisted ones will not.
    assert held == {"12_1", "12_2", "12_3", "12_4", "12_11"}
    args = (tmp_path / "args").read_text().splitlines()  # one argument a line
    assert args == ["-h", "-r", "-u", getpass.getuser(), "-o", "%i %T"]
    assert slurm.live_jobs({"13_0"}) == {"13_0"} and slurm.live_jobs(set()) == set()


def test_a_failing_squeue_is_one_line_naming_its_error(on_path):
    # squeue's own words and exit status when slurmctld is down or unreachable
    fake_command(
        on_path,
        "squeue",
        'echo "slurm_load_jobs error: Unable to contact slurm controller (connect failure)" >&2\nexit 1',
    )
    with pytest.raises(UserError) as err:
        slurm.live_jobs({"12_1"})
    message = str(err.value)
    assert "\n" not in message
    assert message == (
        "squeue failed, cannot tell which jobs SLURM holds: "
        "slurm_load_jobs error: Unable to contact slurm controller (connect failure)"
    )
    with pytest.raises(UserError, match="squeue failed"):  # the same while waiting for jobs
        slurm.wait_for({"12_1"}, poll_s=0)


def test_no_squeue_at_all_is_one_line(monkeypatch, tmp_path):
    """SLURM's client tools not installed (a login node without them, a laptop)."""
    monkeypatch.setenv("PATH", str(tmp_path))  # no squeue anywhere
    with pytest.raises(UserError) as err:
        slurm.live_jobs({"12_1"})
    assert str(err.value).startswith("squeue failed, cannot tell which jobs SLURM holds: ")
    assert "squeue" in str(err.value).split(": ", 1)[1] and "\n" not in str(err.value)


def test_wait_for_returns_once_the_jobs_have_ended(on_path, tmp_path):
    # the queue changes between polls: RUNNING twice, then COMPLETED (counted in a file)
    count = tmp_path / "polls"
    fake_command(
        on_path,
        "squeue",
        f"n=$(cat {count} 2>/dev/null || echo 0); echo $((n + 1)) > {count}\n"
        f'if [ "$n" -lt 2 ]; then echo "12_1 RUNNING"; else echo "12_1 COMPLETED"; fi',
    )
    slurm.wait_for({"12_1"}, poll_s=0)
    assert count.read_text().strip() == "3"


def test_without_accounting_sacct_is_probed_once_and_said_in_one_line(on_path, capsys):
    # sacct on a cluster without slurmdbd: its error and exit status 1
    fake_command(
        on_path,
        "sacct",
        'echo "sacct: error: Problem talking to the database: Connection refused" >&2\nexit 1',
    )
    assert slurm.sacct_available() is False
    assert capsys.readouterr().out == slurm.SACCT_NOTE + "\n"
    fake_command(on_path, "sacct", "exit 0")  # accounting answers
    assert slurm.sacct_available() is True and capsys.readouterr().out == ""
