"""`bninit collect`: one CSV row per run dir, finished or not, with the schema the report reads."""

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from bninit.config import PLACEMENT_KEYS
from bninit.run.train import run
from bninit.seeds import md5_seed
from bninit.store.collect import RESULT_COLUMNS, collect_dir, find_run_dirs
from bninit.store.rundir import run_dir
from bninit.sweep.task import write_error


def test_rows_carry_config_numbers_and_status(make_cfg, tmp_path):
    done = make_cfg("epochs=1", "seed=1", "gamma=0.5")
    record = run(done)
    stopped = make_cfg("epochs=2", "seed=2")
    run(stopped, stop_after_epoch=1)
    failed = make_cfg("epochs=1", "seed=3", "bn=base")
    write_error(run_dir(failed), failed, RuntimeError("boom"))
    (tmp_path / "runs" / ".hydra" / "demo").mkdir(parents=True)  # bookkeeping is not a run

    frame = collect_dir(tmp_path / "runs")
    assert len(frame) == 3
    assert list(frame.columns[-len(RESULT_COLUMNS) :]) == list(RESULT_COLUMNS)
    assert not set(PLACEMENT_KEYS) - {"device"} & set(frame.columns)
    assert {"dataset", "arch", "bn", "gamma", "c", "lr", "input_norm", "epochs"} <= set(frame.columns)
    rows = {int(r.seed): r for r in frame.itertuples()}
    assert rows[1].status == "done" and rows[2].status == "interrupted" and rows[3].status == "failed"
    assert rows[1].test_acc_at_best_val == record["test_acc_at_best_val"]
    assert rows[1].best_epoch == record["best_epoch"] and rows[1].final_test_acc == record["final_test_acc"]
    assert rows[1].md5_seed == md5_seed(1) and rows[2].md5_seed == md5_seed(2)
    assert rows[1].bninit_version == record["versions"]["bninit"] and rows[1].device == "cpu"
    assert rows[2].epochs_done == 1 and rows[3].epochs_done == 0 and rows[3].bn == "base"
    assert rows[1].run_dir == str(run_dir(done).resolve())
    assert rows[1].cell == run_dir(done).parent.name
    assert json.loads((run_dir(failed) / "error.json").read_text())["error"] == "RuntimeError: boom"


def test_find_run_dirs_skips_hidden_bookkeeping(tmp_path):
    for path in ("digits/resnet20/a-1/seed=1", "digits/resnet20/a-1/seed=2", ".hydra/x/seed=9"):
        (tmp_path / path).mkdir(parents=True)
    assert [p.name for p in find_run_dirs(tmp_path)] == ["seed=1", "seed=2"]


def test_collect_cli_writes_the_csv(make_cfg, cli, tmp_path):
    run(make_cfg("epochs=1"))
    result = cli("collect", str(tmp_path / "runs"), "-o", str(tmp_path / "out" / "study.csv"))
    assert result.returncode == 0, result.stderr
    assert "collected 1 runs (1 done)" in result.stdout
    frame = pd.read_csv(tmp_path / "out" / "study.csv")
    assert frame["status"].tolist() == ["done"] and frame["epochs"].tolist() == [1]


def test_collect_a_missing_dir_is_one_line(cli, tmp_path):
    result = cli("collect", str(tmp_path / "nope"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"bninit collect: error: runs dir '{tmp_path / 'nope'}' does not exist or is not a directory"
    ]


@pytest.mark.slow
def test_a_failed_run_of_a_multirun_is_reported(cli, tmp_path):
    """digits trains; cifar10 has no data: its job fails (error.json), the others go on, the
    sweep exits 1, and the CSV (automatic and `bninit collect`) shows the failure."""
    (tmp_path / "empty").mkdir()
    result = cli("train", "-m", "dataset=digits,cifar10", "epochs=1", f"data_dir={tmp_path / 'empty'}")
    assert result.returncode == 1, result.stderr
    assert "1 of 2 runs failed" in result.stderr
    frame = pd.read_csv(tmp_path / "runs" / "multirun.csv")
    statuses = dict(zip(frame["dataset"], frame["status"], strict=True))
    assert statuses == {"digits": "done", "cifar10": "failed"}
    failed = frame.loc[frame["status"] == "failed", "run_dir"].item()
    assert "dataset 'cifar10' is missing" in json.loads(Path(failed, "error.json").read_text())["error"]
    collected = cli("collect", "runs")
    assert collected.returncode == 0
    assert sorted(pd.read_csv(io.StringIO(collected.stdout))["status"]) == ["done", "failed"]


def test_optional_keys_at_their_defaults_are_not_columns(make_cfg, tmp_path):
    """A digits study's CSV has no timm_model / folder_* columns (they name nothing there)."""
    from bninit.run.train import run
    from bninit.store.collect import collect_dir

    run(make_cfg("epochs=1"))
    frame = collect_dir(tmp_path / "runs")
    assert not {"timm_model", "folder_path", "folder_image_size", "folder_stored_size"} & set(frame.columns)
    assert {"dataset", "arch", "bn", "gamma", "linear_init", "augment"} <= set(frame.columns)


def test_a_study_of_both_streams_names_each_runs_stream(make_cfg, tmp_path):
    """Runs on the default stream leave `stream` out of their name; beside runs that set it, their
    rows say the stream they ran on."""
    run(make_cfg("epochs=1", "seed=1"))
    run(make_cfg("epochs=1", "seed=1", "stream=reference"))
    frame = collect_dir(tmp_path / "runs")
    assert sorted(frame["stream"]) == ["bninit", "reference"]
    alone = collect_dir(run_dir(make_cfg("epochs=1", "seed=1")))
    assert "stream" not in alone.columns  # a study of the default stream alone: no column
