"""Files a user keeps (checkpoints, results) are whole or absent, even when a stopping signal
arrives while they are written."""

import os
import signal

import pytest
import torch

from bninit.atomic import atomic_write


class Requeued(SystemExit):
    """What submitit's handler does on a SLURM time limit: requeue the job, then exit from the
    handler (the real failure this stands for: a checkpoint torn by SIGUSR2, the run failed)."""


def _exit_from_handler(signum, frame):
    raise Requeued(signum)


@pytest.mark.parametrize("signum", [signal.SIGUSR2, signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_a_checkpoint_write_arrives_once_the_file_is_whole(tmp_path, signum):
    path = tmp_path / "checkpoint.pt"
    weights = torch.arange(200_000, dtype=torch.float32)

    def write(handle):
        os.kill(os.getpid(), signum)  # arrives mid-write: a handler would run at the next line
        torch.save({"weights": weights, "epoch": 7}, handle)

    previous = signal.signal(signum, _exit_from_handler)
    try:
        with pytest.raises(Requeued):
            atomic_write(path, write)
    finally:
        signal.signal(signum, previous)
    saved = torch.load(path)
    assert saved["epoch"] == 7 and torch.equal(saved["weights"], weights)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.pt"]  # no temp file left


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path):
    path = tmp_path / "result.json"
    atomic_write(path, lambda handle: handle.write(b'{"old": 1}'))

    def fail(handle):  # the disk fills halfway through the write (ENOSPC from write(2))
        handle.write(b'{"new"')
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        atomic_write(path, fail)
    assert path.read_bytes() == b'{"old": 1}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.json"]
