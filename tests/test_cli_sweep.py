"""Real multiruns through the installed `bninit` on digits with tiny settings: the expected run
dirs, each once; skip on rerun; kill + rerun resumes exactly; joblib and submitit_local."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from bninit.config.compose import compose_run_config
from bninit.run.train import run
from bninit.store.collect import find_run_dirs
from bninit.store.rundir import load_checkpoint, run_dir
from checkpoints import kill_after_a_new_checkpoint, measured

BNINIT = shutil.which("bninit", path=str(Path(sys.executable).parent)) or "bninit"

pytestmark = pytest.mark.slow
NUMBERS = ("best_epoch", "best_val_acc", "test_acc_at_best_val", "final_test_acc", "md5_seed")


def bninit(*args, cwd, timeout=300):
    """The installed command, one torch thread (as the in-process tests), like a user runs it."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run([BNINIT, *args], cwd=cwd, env=env, text=True, capture_output=True, timeout=timeout)


def expected_dirs(root, *overrides_per_run):
    return sorted(run_dir(compose_run_config([f"runs_dir={root}", *o])).resolve() for o in overrides_per_run)


def test_train_multirun_runs_each_run_once_then_skips_them(tmp_path):
    result = bninit("train", "-m", "seed=1,2", "gamma=0.1,0.5", "epochs=1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    runs = tmp_path / "runs"
    want = expected_dirs(runs, *[[f"seed={s}", f"gamma={g}", "epochs=1"] for s in (1, 2) for g in (0.1, 0.5)])
    assert [d.resolve() for d in find_run_dirs(runs)] == want
    csv = pd.read_csv(runs / "multirun.csv")
    assert sorted(csv["run_dir"]) == [str(d) for d in want] and set(csv["status"]) == {"done"}
    for row in csv.itertuples():  # each run trained what its overrides asked, its row = its result
        saved = json.loads((Path(row.run_dir) / "result.json").read_text())
        assert (saved["config"]["seed"], saved["config"]["gamma"]) == (row.seed, row.gamma)
        assert saved["config"]["epochs"] == 1 and len(saved["history"]) == 1
        assert {k: getattr(row, k) for k in NUMBERS} == pytest.approx({k: saved[k] for k in NUMBERS})
    assert not (tmp_path / "multirun").exists() and not (tmp_path / "outputs").exists()
    stamps = [(d / "result.json").stat().st_mtime_ns for d in want]

    again = bninit("train", "-m", "seed=1,2", "gamma=0.1,0.5", "epochs=1", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "4 runs in 2 cells; 4 done" in again.stdout and "nothing to run" in again.stdout
    assert "epoch" not in again.stdout
    assert [(d / "result.json").stat().st_mtime_ns for d in want] == stamps


def test_dry_run_counts_and_trains_nothing(tmp_path):
    result = bninit("sweep", "demo", "--dry-run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "demo: 60 runs in 4 cells; 0 done, 0 running, 0 failed, 60 pending"
    # total: cells, done, running, failed, pending, damaged, eta
    assert lines[-1].split()[:9] == "total 4 cells 0 0 0 60 0 ?".split()
    assert not (tmp_path / "runs").exists()


def test_sweep_errors_are_one_line_exit_2(tmp_path):
    (tmp_path / "blocker").write_text("a file where a dir should be\n")
    for args, message in [
        (("sweep", "table9"), "bninit sweep: error: unknown preset 'table9'; known: ablation, alt, demo"),
        (("sweep", "demo", "gamm=0.1"), "bninit sweep: error: unknown config key 'gamm'"),
        (
            ("sweep", "demo", "seeds=1", "epochs=1", "runs_dir=blocker/runs"),
            "bninit sweep: error: runs_dir 'blocker/runs' is not writable",
        ),
    ]:
        result = bninit(*args, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(message), (args, lines)
    assert not (tmp_path / "runs").exists()


def test_killed_sweep_rerun_takes_the_dead_runs_lock_and_resumes_it_exactly(tmp_path):
    """A sweep killed mid-run leaves the run's checkpoint and the lock of a dead process; the same
    command takes it over and resumes it. The runs are 1000 epochs, so neither sweep can finish
    the run before it is killed; it is compared with the uninterrupted run stopped at the same epoch."""
    args = ("sweep", "demo", "seeds=2", "epochs=1000", "gamma=0.5")
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
    overrides = ["epochs=1000", "gamma=0.5", "bn=ours", "seed=1"]
    first = run_dir(compose_run_config([f"runs_dir={tmp_path / 'runs'}", *overrides]))

    def killed_sweep() -> str:  # its stdout
        proc = subprocess.Popen(
            [BNINIT, *args], cwd=tmp_path, env=env, text=True, stdout=subprocess.PIPE, start_new_session=True
        )
        return kill_after_a_new_checkpoint(proc, first)  # the worker dies mid-run

    killed_sweep()
    assert (first / "run.lock").exists() and not (first / "result.json").exists()
    epoch = load_checkpoint(first)["epoch"]
    rerun = killed_sweep()
    assert (
        f"resuming {first.relative_to(tmp_path)} after epoch {epoch}/1000"
        in (first / "train.log").read_text()
    )
    assert "epoch " not in rerun  # a sweep's epochs go to the run's log
    resumed = measured(first)
    clean = compose_run_config([f"runs_dir={tmp_path / 'clean'}", *overrides])
    run(clean, stop_after_epoch=resumed["epoch"], echo=False)
    assert resumed == measured(run_dir(clean))


def test_joblib_two_workers_collect_every_run_once(tmp_path):
    result = bninit(
        "sweep",
        "demo",
        "seeds=2",
        "epochs=1",
        "gamma=0.1,0.5",
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=2",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "launching 4 runs (joblib launcher)" in result.stdout
    frame = pd.read_csv(tmp_path / "runs" / "demo.csv")
    assert len(frame) == 4 and frame["run_dir"].is_unique and set(frame["status"]) == {"done"}
    assert sorted(zip(frame["gamma"], frame["seed"], strict=True)) == [(0.1, 1), (0.1, 2), (0.5, 1), (0.5, 2)]
    for row in frame.itertuples():  # two workers at once: each row still its own run's result
        saved = json.loads((Path(row.run_dir) / "result.json").read_text())
        assert (saved["config"]["seed"], saved["config"]["gamma"]) == (row.seed, row.gamma)
        assert {k: getattr(row, k) for k in NUMBERS} == pytest.approx({k: saved[k] for k in NUMBERS})
    assert not list((tmp_path / "runs").rglob("run.lock"))
    assert [p.name for p in (tmp_path / "runs" / ".hydra").iterdir()] == ["demo"]


def test_submitit_local_runs_a_small_sweep(tmp_path):
    result = bninit(
        "sweep",
        "demo",
        "seeds=1",
        "epochs=1",
        "bn=base,ours",
        "gamma=1.0,0.5",
        "hydra/launcher=submitit_local",
        "hydra.launcher.timeout_min=10",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(tmp_path / "runs" / "demo.csv")
    assert sorted(frame["bn"]) == ["base", "ours"] and set(frame["status"]) == {"done"}
    assert "launching 2 runs (submitit_local launcher)" in result.stdout
    # each run was its own submitit job that completed, and trained in its own run dir
    jobs = [d for d in (tmp_path / "runs" / ".hydra" / "demo" / ".submitit").iterdir() if d.name.isdigit()]
    assert len(jobs) == 2
    for job in jobs:
        assert "Job completed successfully" in (job / f"{job.name}_0_log.out").read_text()
    for path in frame["run_dir"]:
        assert "epoch   1/1" in (Path(path) / "train.log").read_text()
        result_json = json.loads((Path(path) / "result.json").read_text())
        row = frame[frame["run_dir"] == path].iloc[0]
        assert result_json["test_acc_at_best_val"] == pytest.approx(row["test_acc_at_best_val"])
