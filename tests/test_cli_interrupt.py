"""Every exit path of a single run and of the demo: Ctrl-C (SIGINT to the process group) and
SIGTERM after the first checkpoint give one line saying how to resume and exit 130 / 143, no
traceback; the same command resumes to the numbers of an uninterrupted run. Two trains of one run:
the second stops with one line (exit 2); a sweep skips the run another process holds."""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from bninit.config.compose import compose_run_config
from bninit.run.train import run
from bninit.store.rundir import run_dir
from conftest import BNINIT

pytestmark = pytest.mark.slow
NUMBERS = ("best_epoch", "best_val_acc", "test_acc_at_best_val", "final_test_acc", "md5_seed")
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


def clean_numbers(tmp_path: Path, overrides: list[str]) -> dict:
    """The same run, uninterrupted, in a fresh runs dir."""
    result = run(compose_run_config([f"runs_dir={tmp_path / 'clean'}", *overrides]), echo=False)
    return {k: result[k] for k in NUMBERS}


SIGNALS = [(signal.SIGINT, True, 130), (signal.SIGTERM, False, 143)]


@pytest.mark.parametrize("sig, to_group, code", SIGNALS)
def test_an_interrupted_train_says_how_to_resume_and_resumes_exactly(tmp_path, sig, to_group, code):
    overrides = ["epochs=3", "gamma=0.5", "seed=2"]
    args = ["train", *overrides, "runs_dir=runs"]
    out_dir = run_dir(compose_run_config([f"runs_dir={tmp_path / 'runs'}", *overrides]))
    proc = start(args, tmp_path)
    wait_for(out_dir / "checkpoint.pt")
    out, err = stop(proc, sig, to_group)
    assert proc.returncode == code, err
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert lines == [
        "bninit: interrupted; to resume, run the same command again: bninit train epochs=3 gamma=0.5 "
        "seed=2 runs_dir=runs (finished runs are kept, interrupted ones continue from their last checkpoint)"
    ]
    assert not (out_dir / "run.lock").exists() and not (out_dir / "result.json").exists()

    again = subprocess.run(
        [BNINIT, *args], cwd=tmp_path, env=ENV, text=True, capture_output=True, timeout=300
    )
    assert again.returncode == 0, again.stderr
    assert "resuming" in (out_dir / "train.log").read_text()
    resumed = json.loads((out_dir / "result.json").read_text())
    assert {k: resumed[k] for k in NUMBERS} == clean_numbers(tmp_path, overrides)


@pytest.mark.parametrize("sig, to_group, code", SIGNALS[1:])
def test_an_interrupted_demo_says_how_to_resume_and_its_run_resumes_exactly(tmp_path, sig, to_group, code):
    args = ["demo", "--jobs", "1", "seeds=1", "epochs=3", "gamma=0.5", "runs_dir=runs"]
    overrides = ["epochs=3", "gamma=0.5", "seed=1"]
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
    subprocess.run([BNINIT, *args], cwd=tmp_path, env=ENV, text=True, capture_output=True, timeout=300)
    resumed = json.loads((out_dir / "result.json").read_text())
    assert "resuming" in (out_dir / "train.log").read_text()
    assert {k: resumed[k] for k in NUMBERS} == clean_numbers(tmp_path, overrides)


def test_a_second_train_of_a_running_run_stops_in_one_line_and_a_sweep_skips_it(tmp_path):
    # long enough to outlast the second train and the sweep on a fast idle machine (30 epochs had
    # finished before the sweep started); it is stopped at the end
    overrides = ["epochs=400", "gamma=0.5"]
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
