"""The submitting side of a SLURM sweep: which of its runs SLURM still holds, a quiet console.

A sweep submitted through hydra-submitit-launcher leaves one folder per array task in
<sweep dir>/.submitit/<job id>/, holding the pickled submission (the launcher called with the job's
overrides). When the submitting command dies and is started again, the runs whose jobs are still
pending, running or requeued in SLURM are left to those jobs: nothing is submitted twice.
"""

import getpass
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from submitit.slurm.slurm import SlurmInfoWatcher, SlurmJob

from bninit.errors import UserError

# squeue lists jobs until they end; these states mean the job will not run (again).
ENDED = {
    "BOOT_FAIL",
    "CANCELLED",
    "COMPLETED",
    "DEADLINE",
    "FAILED",
    "NODE_FAIL",
    "OUT_OF_MEMORY",
    "PREEMPTED",  # ended by preemption, not requeued (a requeued job is PENDING again)
    "TIMEOUT",
    "SPECIAL_EXIT",
}
SACCT_NOTE = (
    "slurm: sacct is not available (no SLURM accounting): job status comes from squeue, "
    "the run dirs and submitit's result files"
)


def is_slurm_launcher(launcher_cfg) -> bool:
    """Whether a hydra.launcher config submits to SLURM (submitit_slurm or a preset of it)."""
    return str(launcher_cfg.get("_target_", "")).endswith(".SlurmLauncher")


def live_jobs(job_ids: set[str]) -> set[str]:
    """The ids among `job_ids` (e.g. "12_3" for an array task) that SLURM still holds."""
    if not job_ids:
        return set()
    try:
        out = subprocess.run(
            ["squeue", "-h", "-r", "-u", getpass.getuser(), "-o", "%i %T"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as err:
        detail = getattr(err, "stderr", None) or str(err)
        raise UserError(f"squeue failed, cannot tell which jobs SLURM holds: {detail.strip()}") from None
    held = {
        line.split()[0]
        for line in out.splitlines()
        if len(line.split()) == 2 and line.split()[1] not in ENDED
    }
    return job_ids & held


def submission_overrides(submitit_dir: Path, job_id: str) -> tuple[str, ...]:
    """The overrides a submitted job runs with (its pickled call of the launcher).

    hydra-submitit-launcher submits `launcher(sweep_overrides, job_dir_key, job_num, ...)`: the
    first argument is the job's override list (tests/test_sweep_slurm.py checks that signature)."""
    import submitit

    job = submitit.SlurmJob(folder=submitit_dir / "%j", job_id=job_id)
    return tuple(job.submission().args[0])


def queued_runs(sweep_dir: Path) -> dict[tuple[str, ...], str]:
    """{overrides: job id} for every job submitted from `sweep_dir` that SLURM still holds."""
    submitit_dir = Path(sweep_dir) / ".submitit"
    if not submitit_dir.is_dir():
        return {}
    submitted = {p.name for p in submitit_dir.iterdir() if (p / f"{p.name}_submitted.pkl").exists()}
    return {submission_overrides(submitit_dir, job): job for job in sorted(live_jobs(submitted))}


def wait_for(job_ids: set[str], poll_s: float = 5.0) -> None:
    """Return once SLURM no longer holds any of `job_ids`."""
    while live_jobs(job_ids):
        time.sleep(poll_s)


def sacct_works() -> bool:
    """Whether sacct answers here (it fails on a cluster without accounting)."""
    try:
        probe = subprocess.run(
            ["sacct", "-n", "-X", "-o", "JobID", "-j", "1"], capture_output=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def sacct_available() -> bool:
    """Probe sacct once. Without accounting, submitit's sacct call on every status poll fails, and
    each failure prints sacct's error and a warning: say so in one line instead; bninit's watcher
    then skips those calls and goes by the result files its jobs write (what submitit waits for)."""
    if sacct_works():
        return True
    print(SACCT_NOTE, flush=True)
    return False


# A job SLURM no longer holds that left no result: submitit would wait for it forever without
# accounting. Marked with this state (not one of submitit's "incomplete" ones) it counts as ended.
LOST = "LOST"
SILENT_POLLS = 3  # sacct polls without a word about a job no longer queued before it is lost


def lost_jobs(
    job_ids: set[str], info: dict[str, dict], silent: dict[str, int], polls: int = SILENT_POLLS
) -> set[str]:
    """The jobs among `job_ids` squeue no longer lists and sacct (`info`, what it answered) has
    said nothing about for `polls` polls in a row; `silent` counts the polls, per job."""
    held = live_jobs(job_ids)
    lost = set()
    for job in job_ids:
        silent[job] = 0 if job in held or info.get(job) else silent.get(job, 0) + 1
        if silent[job] >= polls:
            lost.add(job)
    return lost


class BninitWatcher(SlurmInfoWatcher):
    """submitit's SLURM status watcher for bninit's own jobs: sacct only where it works, and a job
    that squeue no longer lists and sacct says nothing about ends as LOST (the wait for its result
    then fails instead of lasting forever). Used only inside `watching_bninit_jobs`."""

    def __init__(self, sacct: bool, polls: int = SILENT_POLLS, delay_s: int = 600) -> None:
        super().__init__(delay_s=delay_s)
        self.sacct, self.polls, self.silent = sacct, polls, {}

    def update(self) -> None:
        if self.sacct:
            super().update()
        for job in lost_jobs(self._registered - self._finished, self._info_dict, self.silent, self.polls):
            self._info_dict[job] = {"JobID": job, "State": LOST}
            self._finished.add(job)
        self._last_status_check = time.time()


@contextmanager
def watching_bninit_jobs(sacct: bool, polls: int = SILENT_POLLS) -> Iterator[BninitWatcher]:
    """While bninit's sweep submits and waits, the SLURM jobs it creates report to a BninitWatcher;
    submitit's own watcher is back afterwards, for any other submitit user of the process
    (tests/test_sweep_slurm_lost.py checks both)."""
    watcher, own = BninitWatcher(sacct, polls), SlurmJob.watcher
    SlurmJob.watcher = watcher
    try:
        yield watcher
    finally:
        SlurmJob.watcher = own


def lost_job_line(err: Exception, sweep_dir: Path) -> str | None:
    """One line for submitit's error about a job that ended without a result, naming the job and
    its log; None for any other error."""
    if type(err).__name__ != "UncompletedJobError":
        return None
    words = str(err).split()
    job = words[1] if len(words) > 1 and words[0] == "Job" else "?"
    log = Path(sweep_dir) / ".submitit" / job / f"{job}_0_log.err"
    return f"SLURM job {job} ended without a result (log: {log}); its run counts as failed"
