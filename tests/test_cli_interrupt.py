"""Every exit path of a single run and of the demo: Ctrl-C (SIGINT to the process group) and
SIGTERM after the first checkpoint give one line saying how to resume and exit 130 / 143, no
traceback; the run resumes from that checkpoint to the numbers of an uninterrupted run. The runs
are 1000 epochs long, so they cannot finish before the signal; the resume and the uninterrupted
run stop one epoch after the checkpoint (run's stop_after_epoch). Two trains of one run: the
second stops with one line (exit 2); a sweep skips the run another process holds."""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from bninit.config.compose import compose_run_config
from bninit.run.train import run
from bninit.store.rundir import load_checkpoint, run_dir
from checkpoints import measured
from conftest import BNINIT, like_a_terminal

pytestmark = pytest.mark.slow
LONG = "epochs=1000"  # far more than trains before the signal, on any machine, however busy
ENV = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}


def start(args, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [BNINIT, *args],
        cwd=cwd,
        env=ENV,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=like_a_terminal,
    )


def wait_for(path: Path, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert path.exists(), f"{path} did not appear in {timeout}s"


def stop(proc: subprocess.Popen, sig: int, to_group: bool) -> tuple[str, str]:
    if to_group:
        os.killpg(proc.pid, sig)  # what Ctrl-C in a terminal does
    else:
        os.kill(proc.pid, sig)
    return proc.communicate(timeout=120)


def resumes_exactly(tmp_path: Path, overrides: list[str]) -> None:
    """The interrupted run (in tmp_path/runs) resumes from its checkpoint: one epoch further it
    has the numbers and weights of the same run uninterrupted (in a fresh runs dir)."""
    cfg = compose_run_config([f"runs_dir={tmp_path / 'runs'}", *overrides])
    out_dir = run_dir(cfg)
    epochs = load_checkpoint(out_dir)["epoch"] + 1
    assert run(cfg, stop_after_epoch=epochs, echo=False)["status"] == "interrupted"
    assert f"resuming {out_dir} after epoch {epochs - 1}/1000" in (out_dir / "train.log").read_text()
    clean = compose_run_config([f"runs_dir={tmp_path / 'clean'}", *overrides])
    run(clean, stop_after_epoch=epochs, echo=False)
    assert measured(out_dir) == measured(run_dir(clean))


SIGNALS = [(signal.SIGINT, True, 130), (signal.SIGTERM, False, 143)]


@pytest.mark.parametrize("sig, to_group, code", SIGNALS)
def test_an_interrupted_train_says_how_to_resume_and_resumes_exactly(tmp_path, sig, to_group, code):
    overrides = [LONG, "gamma=0.5", "seed=2"]
    args = ["train", *overrides, "runs_dir=runs"]
    out_dir = run_dir(compose_run_config([f"runs_dir={tmp_path / 'runs'}", *overrides]))
    proc = start(args, tmp_path)
    wait_for(out_dir / "checkpoint.pt")
    out, err = stop(proc, sig, to_group)
    assert proc.returncode == code, err
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert lines == [
        "bninit: interrupted; to resume, run the same command again: bninit train epochs=1000 gamma=0.5 "
        "seed=2 runs_dir=runs (finished runs are kept, interrupted ones continue from their last checkpoint)"
    ]
    assert not (out_dir / "run.lock").exists() and not (out_dir / "result.json").exists()
    resumes_exactly(tmp_path, overrides)


@pytest.mark.parametrize("sig, to_group, code", SIGNALS[1:])
def test_an_interrupted_demo_says_how_to_resume_and_its_run_resumes_exactly(tmp_path, sig, to_group, code):
    args = ["demo", "--jobs", "1", "seeds=1", LONG, "gamma=0.5", "runs_dir=runs"]
    overrides = [LONG, "gamma=0.5", "seed=1"]
    out_dir = run_dir(compose_run_config([f"runs_dir={tmp_path / 'runs'}", *overrides]))
    proc = start(args, tmp_path)
    wait_for(out_dir / "checkpoint.pt")
    out, err = stop(proc, sig, to_group)
    assert proc.returncode == code, err
    assert "Traceback" not in out + err
    assert (
        err.strip()
        .splitlines()[-1]
        .startswith(
            "bninit: interrupted; to resume, run the same command again: bninit demo --jobs 1 seeds=1"
        )
    )
    assert not (out_dir / "run.lock").exists() and not (out_dir / "result.json").exists()
    resumes_exactly(tmp_path, overrides)


def test_a_second_train_of_a_running_run_stops_in_one_line_and_a_sweep_skips_it(tmp_path):
    # a run that outlasts the second train and the sweep on any machine; it is stopped at the end
    overrides = [LONG, "gamma=0.5"]
    out_dir = run_dir(compose_run_config([f"runs_dir={tmp_path / 'runs'}", *overrides]))
    first = start(["train", *overrides], tmp_path)
    try:
        wait_for(out_dir / "run.lock")
        second = subprocess.run(
            [BNINIT, "train", *overrides], cwd=tmp_path, env=ENV, text=True, capture_output=True, timeout=300
        )
        assert second.returncode == 2
        assert second.stderr.strip().splitlines() == [
            f"bninit train: error: {out_dir.relative_to(tmp_path)} is being run by pid {first.pid} "
            f"on {os.uname().nodename}"
        ]
        sweep = subprocess.run(
            [BNINIT, "train", "-m", *overrides],
            cwd=tmp_path,
            env=ENV,
            text=True,
            capture_output=True,
            timeout=300,
        )
        assert sweep.returncode == 0, sweep.stderr
        assert "1 runs in 1 cells; 0 done, 1 running, 0 failed, 0 pending" in sweep.stdout
        record = json.loads((tmp_path / "runs" / ".hydra" / "multirun" / "outcome.json").read_text())
        assert record["skipped"] == [str(out_dir.resolve())] and record["running"] == record["skipped"]
    finally:
        stop(first, signal.SIGTERM, False)
