"""`bninit demo`: sweep, collect and report in one command, shrunk to seconds."""

import json
import re
import subprocess
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from bninit.cli.demo import DEFAULT_OUT


@pytest.mark.slow
def test_demo_trains_collects_and_reports(cli, tmp_path):
    done = cli("demo", "--jobs", "1", "seeds=2", "epochs=1", "-o", "out", timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    frame = pd.read_csv(tmp_path / "out" / "demo.csv")
    assert len(frame) == 8 and set(frame["status"]) == {"done"}  # 4 cells x 2 seeds
    assert sorted(frame["bn"].unique()) == ["base", "ours"] and sorted(frame["seed"].unique()) == [1, 2]
    for row in frame.itertuples():  # each row is its run's result.json
        saved = json.loads((Path(row.run_dir) / "result.json").read_text())
        assert row.test_acc_at_best_val == pytest.approx(saved["test_acc_at_best_val"])
    report = tmp_path / "out" / "demo"
    stats = pd.read_csv(report / "stats.csv")
    assert len(stats) == 4
    base = frame[frame["bn"] == "base"].set_index("seed")["test_acc_at_best_val"].sort_index()
    for cell in stats.itertuples():  # every number per cell, from the CSV's own accuracies
        runs = frame[(frame["bn"] == cell.bn) & (frame["gamma"] == cell.gamma)]
        acc = runs.set_index("seed")["test_acc_at_best_val"].sort_index()
        assert cell.n == 2 and cell.mean == pytest.approx(acc.mean()) and cell.std == pytest.approx(acc.std())
        if cell.bn == "ours" and (acc - base).nunique() > 1:  # a t-test needs spread in the diffs
            assert cell.p == pytest.approx(sps.ttest_rel(acc, base, alternative="greater").pvalue)
            assert cell.mean_diff == pytest.approx((acc - base).mean())
    plots = {p.name.removeprefix("digits_resnet20-") for p in (report / "plots").iterdir()}
    figures = {"acc_vs_gamma.png", "paired_diffs.png", "bn_scale.png"}
    assert plots == figures | {"curves.png", "curves.csv", "grid.png", "grid.csv"}
    for name in figures | {"curves.png", "grid.png"}:  # decodable pictures with something drawn
        image = mpimg.imread(report / "plots" / f"digits_resnet20-{name}")
        assert min(image.shape[:2]) > 100 and len(np.unique(image[..., :3].reshape(-1, 3), axis=0)) > 20
    base_row = f"| BASE | 1 | 1 | {base.mean():.2f} ± {base.std():.2f} (2) |"  # any underline aside
    for text in (done.stdout, (report / "report.md").read_text()):  # printed, and written
        line = next(line for line in text.splitlines() if line.startswith("| BASE | 1 | 1 |"))
        assert re.sub(r"</?ins>", "", line) == base_row
    assert "demo finished in" in done.stdout
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
