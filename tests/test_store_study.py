"""`bninit.load_study(path) -> (runs, epochs)` on a runs directory and on a collected CSV."""

import shutil

import pytest
import torch

import bninit
from bninit.config import RunConfig
from bninit.errors import UserError
from bninit.store.collect import collect_dir, write_csv
from bninit.store.rundir import CONFIG, run_dir, write_yaml
from bninit.store.study import HISTORY_COLUMNS
from study_fixture import ACCS, VAL, make_study

N_RUNS = sum(len(accs) for accs in ACCS.values())  # 18


def test_a_runs_directory_gives_a_row_per_run_and_a_row_per_epoch(tmp_path):
    root = make_study(tmp_path / "runs")
    runs, epochs = bninit.load_study(root)
    assert len(runs) == N_RUNS and (runs["status"] == "done").all()
    assert len(epochs) == N_RUNS * 3
    assert list(epochs.columns[-len(HISTORY_COLUMNS) :]) == list(HISTORY_COLUMNS)
    one = epochs[(epochs["bn"] == "ours") & (epochs["gamma"] == 0.1) & (epochs["lr"] == 0.1)]
    for seed in (1, 2, 3):  # the history as result.json holds it
        mine = one[one["seed"] == seed].sort_values("epoch")
        assert mine["val_acc"].tolist() == VAL[seed] and mine["epoch"].tolist() == [1, 2, 3]
    assert one["epoch_lr"].tolist()[:3] == pytest.approx([0.1, 0.075, 0.025])  # the schedule
    assert set(one["lr"]) == {0.1}
    acc = runs[(runs["bn"] == "base") & (runs["lr"] == 0.01)].sort_values("seed")["test_acc_at_best_val"]
    assert acc.tolist() == ACCS[("base", 1.0, 1.0, 0.01)]


def test_an_unfinished_run_gives_its_epochs_so_far(tmp_path):
    root = tmp_path / "runs"
    cfg = RunConfig(seed=4, epochs=3, runs_dir=str(root))
    out = run_dir(cfg)
    out.mkdir(parents=True)
    write_yaml(out / CONFIG, cfg.to_dict())
    history = [{"epoch": 1, "lr": 0.1, "train_loss": 1.5, "val_acc": 42.0, "test_acc": None}]
    state = {"epoch": 1, "best_epoch": 1, "best_val_acc": 42.0, "test_acc_at_best_val": None}
    torch.save({**state, "elapsed": 3.0, "history": history}, out / "checkpoint.pt")
    runs, epochs = bninit.load_study(root)
    assert runs["status"].tolist() == ["interrupted"]
    assert epochs[["epoch", "epoch_lr", "train_loss", "val_acc"]].values.tolist() == [[1, 0.1, 1.5, 42.0]]


def test_a_csv_reads_histories_while_its_run_dirs_are_there_and_says_so_when_not(tmp_path):
    root = make_study(tmp_path / "runs")
    csv = tmp_path / "study.csv"
    write_csv(collect_dir(root), csv)
    runs, epochs = bninit.load_study(csv)
    assert len(runs) == N_RUNS and len(epochs) == N_RUNS * 3
    shutil.rmtree(root)
    with pytest.warns(UserWarning, match="no per-epoch histories.*load_study\\(RUNS_DIR\\)"):
        runs, epochs = bninit.load_study(csv)
    assert len(runs) == N_RUNS and epochs.empty and "val_acc" in epochs.columns


def test_bad_paths_are_one_line_errors(tmp_path):
    with pytest.raises(UserError, match="no such runs directory or CSV"):
        bninit.load_study(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="no runs in it"):
        bninit.load_study(tmp_path / "empty")
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    with pytest.raises(UserError, match="missing column\\(s\\) seed, status, run_dir"):
        bninit.load_study(tmp_path / "other.csv")
    assert "load_study" in bninit.__all__ and bninit.load_study.__doc__
