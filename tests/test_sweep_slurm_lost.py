"""The SLURM submitter gives up on a job that ended without a result: squeue no longer lists it and
sacct says nothing about it for SILENT_POLLS polls. Fake `squeue` and `sacct` on PATH stand in
for a cluster without accounting (no SLURM needed)."""

import os
import stat
from pathlib import Path

import pytest

from bninit.sweep import slurm


@pytest.fixture
def fake_slurm(tmp_path, monkeypatch):
    """squeue lists the ids written to `held` (RUNNING); sacct answers only its header."""
    bin_dir, held = tmp_path / "bin", tmp_path / "held"
    bin_dir.mkdir()
    scripts = {
        "squeue": f'#!/bin/sh\nwhile read id; do echo "$id RUNNING"; done < {held}\n',
        "sacct": "#!/bin/sh\necho 'JobID|State|NodeList'\n",
    }
    for name, text in scripts.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(stat.S_IRWXU)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")

    def hold(*job_ids: str) -> None:
        held.write_text("".join(f"{j}\n" for j in job_ids))

    return hold


def test_a_job_gone_from_squeue_is_lost_after_silent_polls(fake_slurm):
    fake_slurm("12_1")
    silent: dict[str, int] = {}
    for _ in range(slurm.SILENT_POLLS - 1):
        assert slurm.lost_jobs({"12_1", "12_2"}, {}, silent) == set()
    assert slurm.lost_jobs({"12_1", "12_2"}, {}, silent) == {"12_2"}
    # sacct's word about a job (any state) keeps it from being lost: submitit reads it
    assert slurm.lost_jobs({"12_3"}, {"12_3": {"State": "COMPLETED"}}, {}, polls=1) == set()


def test_bninits_watcher_ends_a_lost_job_instead_of_waiting_forever(fake_slurm):
    fake_slurm("7_0")
    watcher = slurm.BninitWatcher(sacct=False, polls=2, delay_s=0)
    for job in ("7_0", "7_1"):
        watcher.register_job(job)
    watcher.update()
    assert not watcher.is_done("7_1", mode="cache")  # one silent poll: not yet
    watcher.update()
    assert watcher.is_done("7_1", mode="cache") and watcher.get_state("7_1", mode="cache") == slurm.LOST
    assert not watcher.is_done("7_0", mode="cache")  # still queued: waited for


def test_only_the_jobs_bninit_submits_while_it_waits_use_its_watcher(fake_slurm, tmp_path):
    """Another submitit user of the process keeps submitit's own watcher: it still asks sacct and
    never calls a job lost; bninit's watcher serves SlurmJob only inside watching_bninit_jobs."""
    from submitit import SlurmJob
    from submitit.slurm.slurm import SlurmInfoWatcher

    fake_slurm()  # squeue lists nothing: job 9_0 is gone, sacct says nothing about it
    own = SlurmJob.watcher
    other = SlurmInfoWatcher(delay_s=0)  # e.g. a library that watches its own jobs
    other.register_job("9_0")
    with slurm.watching_bninit_jobs(sacct=False, polls=1) as watcher:
        assert SlurmJob(folder=tmp_path / "%j", job_id="9_1").watcher is watcher
        watcher.update()
        other.update()
        assert watcher.get_state("9_1", mode="cache") == slurm.LOST
        assert other._make_command()[0] == "sacct" and not other.is_done("9_0", mode="cache")
    assert SlurmJob.watcher is own and SlurmInfoWatcher.update is not slurm.BninitWatcher.update
    assert SlurmJob(folder=tmp_path / "%j", job_id="9_2").watcher is own
    assert "9_1" not in own._registered


def test_the_lost_job_is_one_line_naming_it_and_its_log(tmp_path):
    class UncompletedJobError(RuntimeError):  # submitit.core.utils' error, by name
        pass

    err = UncompletedJobError(
        f"Job 12_3 (task: 0) with path {tmp_path}/x_result.pkl\nhas not produced any output"
    )
    line = slurm.lost_job_line(err, tmp_path)
    log = Path(tmp_path) / ".submitit" / "12_3" / "12_3_0_log.err"
    assert line == f"SLURM job 12_3 ended without a result (log: {log}); its run counts as failed"
    assert slurm.lost_job_line(ValueError("Job 1"), tmp_path) is None
