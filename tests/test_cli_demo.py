"""`bninit demo`: sweep, collect and report in one command, shrunk to seconds."""

import subprocess
from pathlib import Path

import pandas as pd
import pytest

from bninit.cli.demo import DEFAULT_OUT


@pytest.mark.slow
def test_demo_trains_collects_and_reports(cli, tmp_path):
    done = cli("demo", "--jobs", "1", "seeds=2", "epochs=1", "-o", "out", timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    frame = pd.read_csv(tmp_path / "out" / "demo.csv")
    assert len(frame) == 8 and set(frame["status"]) == {"done"}  # 4 cells x 2 seeds
    assert sorted(frame["bn"].unique()) == ["base", "ours"] and sorted(frame["seed"].unique()) == [1, 2]
    report = tmp_path / "out" / "demo"
    assert {"report.md", "report.tex", "stats.csv"} <= {p.name for p in report.iterdir()}
    plots = {p.name.removeprefix("digits_resnet20-") for p in (report / "plots").iterdir()}
    figures = {"acc_vs_gamma.png", "paired_diffs.png", "bn_scale.png"}
    assert plots == figures | {"curves.png", "curves.csv", "grid.png", "grid.csv"}
    assert "| BASE | 1 | 1 |" in done.stdout and "demo finished in" in done.stdout
    assert done.stdout.rstrip().endswith("is not here")  # no reference beside it: one line says so
    again = cli("demo", "--jobs", "1", "seeds=2", "epochs=1", "-o", "out", timeout=600)
    assert again.returncode == 0 and "8 done" in again.stdout and "epoch " not in again.stdout


def test_demo_rejects_bad_options_in_one_line(cli, tmp_path):
    for args, message in (
        (["--jobs", "0"], "--jobs '0': must be a whole number >= 1"),
        (["--fast"], "unknown option '--fast'"),
    ):
        done = cli("demo", *args)
        assert done.returncode == 2 and message in done.stderr and done.stderr.count("\n") == 1
    assert not (tmp_path / "runs").exists() and not (tmp_path / "results").exists()


def test_the_demos_default_outputs_are_ignored_by_git():
    """`scripts/demo.sh` leaves `git status` clean: its CSV, report and runs land in ignored dirs."""
    repo = Path(__file__).resolve().parents[1]
    paths = [f"{DEFAULT_OUT}/demo.csv", f"{DEFAULT_OUT}/demo/report.md", "runs/digits/x/seed=1/result.json"]
    done = subprocess.run(
        ["git", "check-ignore", "--no-index", *paths], cwd=repo, capture_output=True, text=True
    )
    assert done.stdout.split() == paths
