"""The report's learning curves and gamma x lr grid: the CSV beside each PNG holds the numbers,
checked against hand computation on a tiny study on disk (tests/study_fixture.py)."""

import shutil

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from bninit.cli.main import main
from bninit.report.figures.at_a_glance import NO_RUNS
from bninit.report.figures.grid import grid_table
from bninit.report.make import write_report
from bninit.store.collect import collect_dir, write_csv
from study_fixture import ACCS, EPOCH_LR, LOSS, VAL, make_study


@pytest.fixture
def study(tmp_path):
    runs = make_study(tmp_path / "runs")
    csv = tmp_path / "study.csv"
    write_csv(collect_dir(runs), csv)
    return csv


def test_curves_csv_has_the_mean_band_and_best_epochs_of_each_cell(study, tmp_path):
    paths = write_report(study, tmp_path / "out")
    png, csv = (
        tmp_path / "out/plots/digits_resnet20-curves.png",
        tmp_path / "out/plots/digits_resnet20-curves.csv",
    )
    assert png in paths.plots and csv in paths.plots and paths.notes == []
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = pd.read_csv(csv)
    assert len(table) == 6 * 3  # 6 cells x 3 epochs
    cell = table[(table["label"] == "ours gamma=0.1 c=100") & (table["lr"] == 0.1)].set_index("epoch")
    for epoch in (1, 2, 3):
        val = [VAL[seed][epoch - 1] for seed in (1, 2, 3)]
        loss = [LOSS[seed][epoch - 1] for seed in (1, 2, 3)]
        row = cell.loc[epoch]
        assert row["n"] == 3
        assert row["val_acc_mean"] == pytest.approx(sum(val) / 3)
        assert row["val_acc_min"] == min(val) and row["val_acc_max"] == max(val)
        assert row["val_acc_std"] == pytest.approx(np.std(val, ddof=1))
        assert row["train_loss_mean"] == pytest.approx(sum(loss) / 3)
        assert row["epoch_lr_mean"] == pytest.approx(EPOCH_LR[epoch - 1])
    # epoch 1: (50 + 40 + 55) / 3, by hand
    assert cell.loc[1, "val_acc_mean"] == pytest.approx(48.3333333)
    # best val: seed 1 at epoch 3 (70), seed 2 at 2 (80), seed 3 at 2 (65 twice: the first)
    assert cell["n_best"].tolist() == [0, 2, 1]
    base = table[(table["label"] == "BASE") & (table["lr"] == 0.01)]
    assert base["epoch_lr_mean"].tolist() == pytest.approx([lr / 10 for lr in EPOCH_LR])


def test_grid_csv_has_each_cells_mean_difference_and_significance(study, tmp_path):
    paths = write_report(study, tmp_path / "out")
    csv = tmp_path / "out/plots/digits_resnet20-grid.csv"
    assert csv in paths.plots and csv.with_suffix(".png") in paths.plots
    table = pd.read_csv(csv)
    assert len(table) == 4  # 2 gammas x 2 lrs of the method; BASE is the reference
    for (bn, gamma, _c, lr), accs in ACCS.items():
        if bn == "base":
            continue
        base = ACCS[("base", 1.0, 1.0, lr)]
        row = table[(table["gamma"] == gamma) & (table["lr"] == lr)].iloc[0]
        diffs = np.subtract(accs, base)
        assert row["mean_diff"] == pytest.approx(diffs.mean())
        assert row["method"] == "ours c=100" and row["ref_label"] == "BASE" and row["n_pairs"] == 3
        p = sps.ttest_rel(accs, base, alternative="greater").pvalue
        assert row["p"] == pytest.approx(p)
        assert row["significant"] == (p <= 0.05)
    # by hand: gamma 0.1 lr 0.01 differs by 3, 3, 3.5 -> mean 3.1667, significant
    row = table[(table["gamma"] == 0.1) & (table["lr"] == 0.01)].iloc[0]
    assert row["mean_diff"] == pytest.approx(19 / 6) and row["significant"]
    assert not table[(table["gamma"] == 0.5) & (table["lr"] == 0.1)].iloc[0]["significant"]


def test_grid_carries_a_verdict_column_when_the_cells_have_one(tmp_path):
    from bninit.report.figures.grid import plot_grid

    cells = pd.DataFrame(
        {
            "block": ["b", "b", "b"],
            "method": ["ours c=100"] * 3,
            "gamma": [0.1, 0.5, 1.0],
            "lr": [0.1, 0.1, 0.1],
            "reference": ["BASE lr=0.1", "BASE lr=0.1", None],
            "ref_label": ["BASE", "BASE", None],
            "n_pairs": [3, 3, np.nan],
            "mean_diff": [0.5, -0.25, np.nan],
            "p": [0.01, 0.7, np.nan],
            "significant": [True, False, False],
            "verdict": ["consistent", "lower", None],
        }
    )
    table = grid_table(cells)
    assert table["verdict"].tolist() == ["consistent", "lower"] and len(table) == 2
    path = plot_grid(table, "b", tmp_path / "grid.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_without_the_run_dirs_the_report_says_curves_need_them(study, tmp_path, capsys):
    shutil.rmtree(tmp_path / "runs")
    paths = write_report(study, tmp_path / "out")
    names = [p.name for p in paths.plots]
    assert "digits_resnet20-curves.png" not in names and "digits_resnet20-grid.png" in names
    assert paths.notes == [NO_RUNS]
    assert main(["report", str(study), "-o", str(tmp_path / "cli"), "--format", "markdown"]) == 0
    err = capsys.readouterr().err
    assert err.count(NO_RUNS) == 1


def test_the_grid_shows_each_cells_verdict_against_a_reference(tmp_path):
    """The demo reference against a copy of itself in which one low-spread cell (gamma 0.05, std
    0.18) gained 2 points: that square is judged higher (its Welch p ~ 1e-15), the others consistent."""
    reference = "results/demo-reference/demo.csv"
    study = pd.read_csv(reference)
    shifted = (study["bn"] == "ours") & (study["gamma"] == 0.05)
    study.loc[shifted, "test_acc_at_best_val"] += 2.0
    study.to_csv(tmp_path / "study.csv", index=False)
    write_report(tmp_path / "study.csv", tmp_path / "out", reference=reference)
    grid = pd.read_csv(tmp_path / "out/plots/digits_resnet20-grid.csv").set_index("gamma")
    assert grid["verdict"].to_dict() == {0.05: "higher", 0.1: "consistent", 0.5: "consistent"}
