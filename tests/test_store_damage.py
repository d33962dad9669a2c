"""Damage stays with its run: an unreadable result, config, error record, checkpoint or lock makes
that run `damaged` (one warning line naming the file) in collect, status and the report, and
training moves the file aside (kept) and runs the seed again from the start."""

import json

import pytest

from bninit.cli.main import main
from bninit.report.make import write_report
from bninit.run.train import run
from bninit.store.collect import collect_dir
from bninit.store.lock import LOCK
from bninit.store.rundir import CHECKPOINT, CONFIG, ERROR, RESULT, run_dir
from bninit.sweep.task import write_error
from test_report_analysis import cell_rows, run_row, write_csv

NUMBERS = ("best_epoch", "best_val_acc", "test_acc_at_best_val", "final_test_acc")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Six runs of 1-2 epochs, five of them then damaged in a different file each."""
    from bninit.config.compose import compose_run_config

    root = tmp_path_factory.mktemp("damage")
    make = lambda *o: compose_run_config([f"runs_dir={root / 'runs'}", "epochs=2", *o])  # noqa: E731
    dirs = {}
    for seed in (1, 2, 3):  # done: fine, bad result
        run(make("epochs=1", f"seed={seed}"), echo=False)
        dirs[seed] = run_dir(make("epochs=1", f"seed={seed}"))
    for seed in (4, 5):  # interrupted after epoch 1: bad checkpoint, bad config
        run(make(f"seed={seed}"), stop_after_epoch=1, echo=False)
        dirs[seed] = run_dir(make(f"seed={seed}"))
    failed = make("seed=6")
    write_error(run_dir(failed), failed, RuntimeError("boom"))  # a run whose training raised
    dirs[6] = run_dir(failed)
    dirs[7] = run_dir(make("seed=7"))  # a lock that is not a lock
    dirs[7].mkdir(parents=True)
    (dirs[7] / CONFIG).write_text((dirs[4] / CONFIG).read_text().replace("seed: 4", "seed: 7"))
    (dirs[7] / LOCK).write_bytes(b"\0\0\0")
    # what a crash or a full disk leaves when a file was written in place (not bninit's atomic way),
    # or a copy (rsync, scp) cut short
    (dirs[2] / RESULT).write_text('{"status": "done", "test_acc')  # truncated
    (dirs[3] / RESULT).write_bytes(b"\xff\xfe garbage")
    (dirs[4] / CHECKPOINT).write_bytes((dirs[4] / CHECKPOINT).read_bytes()[:1000])
    (dirs[5] / CONFIG).write_text("seed: [unclosed\n")
    (dirs[6] / ERROR).write_text("")
    return root, dirs


def test_collect_counts_each_damaged_run_and_warns_once_per_file(store, capsys):
    root, dirs = store
    frame = collect_dir(root / "runs")
    status = {int(r.seed): r.status for r in frame.itertuples()}
    assert status == {
        1: "done",
        2: "damaged",
        3: "damaged",
        4: "damaged",
        5: "damaged",
        6: "damaged",
        7: "damaged",
    }
    warnings = capsys.readouterr().err.splitlines()
    named = [
        dirs[2] / RESULT,
        dirs[3] / RESULT,
        dirs[4] / CHECKPOINT,
        dirs[5] / CONFIG,
        dirs[6] / ERROR,
        dirs[7] / LOCK,
    ]
    assert len(warnings) == len(named)
    for path in named:
        assert sum(str(path) in line for line in warnings) == 1
    assert all(line.startswith("bninit: warning: ") and "damaged" in line for line in warnings)
    damaged = frame[frame["status"] == "damaged"]
    assert set(damaged["dataset"]) == {"digits"} and set(damaged["arch"]) == {"resnet20"}


def test_collect_and_status_commands_go_on_past_damage(store, capsys, tmp_path):
    root, _ = store
    assert main(["collect", str(root / "runs"), "-o", str(tmp_path / "s.csv")]) == 0
    out = capsys.readouterr().out
    assert "collected 7 runs (1 done, 6 damaged)" in out
    assert main(["status", str(root / "runs")]) == 0
    captured = capsys.readouterr()
    header, *_, total = captured.out.splitlines()
    assert header.split()[3:8] == ["done", "running", "failed", "pending", "damaged"]
    assert total.split()[3:8] == ["1", "0", "0", "0", "6"]
    assert len(captured.err.splitlines()) == 6


def test_report_leaves_damaged_rows_out_with_a_warning(tmp_path):
    rows = cell_rows("base", 1.0, 1, 0.1, [90, 91, 92, 93])
    rows += [run_row("ours", 0.1, 100, 0.1, s, 91.0 + s) for s in (1, 2, 3)]
    rows += [run_row("ours", 0.1, 100, 0.1, 4, float("nan"), status="damaged")]
    paths = write_report(write_csv(tmp_path / "s.csv", rows), tmp_path / "out", plots=False)
    warnings = paths.markdown.read_text().split("## Warnings", 1)[1]
    assert "ours gamma=0.1 c=100 lr=0.1: seed(s) 4 damaged, left out" in warnings


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["checkpoint", "result"])
def test_train_moves_damage_aside_and_runs_the_seed_again(make_cfg, capsys, damage):
    cfg = make_cfg("seed=3")
    clean = run(make_cfg("seed=3", "runs_dir=" + str(run_dir(cfg).parents[4] / "clean")), echo=False)
    out = run_dir(cfg)
    if damage == "checkpoint":
        run(cfg, stop_after_epoch=1, echo=False)
        path, junk = out / CHECKPOINT, b"PK\x03\x04 torn"
    else:
        run(cfg, echo=False)
        path, junk = out / RESULT, b'{"test_acc_at_best_val": 9'
    path.write_bytes(junk)
    capsys.readouterr()
    again = run(cfg)
    err = capsys.readouterr()
    lines = [line for line in err.err.splitlines() if line.startswith("damaged:")]
    assert len(lines) == 1 and str(path) in lines[0] and "runs again from the start" in lines[0]
    (aside,) = out.glob(f"{path.name}.damaged-*")
    assert aside.read_bytes() == junk  # kept, never deleted
    assert "resuming" not in err.out and f"run {out}" in err.out
    assert {k: again[k] for k in NUMBERS} == {k: clean[k] for k in NUMBERS}
    assert json.loads((out / RESULT).read_text())["test_acc_at_best_val"] == clean["test_acc_at_best_val"]
    assert lines[0] in (out / "train.log").read_text()
