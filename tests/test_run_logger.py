"""`logger=tensorboard`: event files per run, read back with TensorBoard's own reader (values,
steps, hparams), a resumed run without duplicate steps, and the same numbers and directory as a
run without logging."""

import json
from pathlib import Path

import pytest

from bninit.config.compose import compose_run_config
from bninit.errors import UserError
from bninit.run import logger as run_logger
from bninit.run.train import run
from bninit.store.rundir import run_dir

ABSENT = "tensorboard is not installed (pip install 'bninit[tensorboard]')"


def test_logger_is_placement_and_checked(make_cfg):
    plain, logged = make_cfg(), make_cfg("logger=tensorboard")
    assert run_dir(plain) == run_dir(logged) and plain.identity() == logged.identity()
    with pytest.raises(UserError, match="logger='wandb' is not allowed: allowed: none, tensorboard"):
        compose_run_config(["logger=wandb"])


def test_without_tensorboard_one_line_says_how_to_install_and_nothing_is_written(make_cfg, monkeypatch):
    # tensorboard not installed: `pip install bninit` without the [tensorboard] extra
    monkeypatch.setattr(run_logger.importlib.util, "find_spec", lambda name: None)
    cfg = make_cfg("logger=tensorboard")
    with pytest.raises(UserError) as err:
        run(cfg)
    assert (
        str(err.value)
        == "logger=tensorboard needs the tensorboard package: pip install 'bninit[tensorboard]'"
    )
    assert not Path(cfg.runs_dir).exists()


def read_events(directory: Path):
    accumulator = pytest.importorskip(
        "tensorboard.backend.event_processing.event_accumulator",
        reason=ABSENT,
    )
    events = accumulator.EventAccumulator(str(directory))
    events.Reload()
    return events


def hparams_of(events) -> dict:
    from tensorboard.plugins.hparams import plugin_data_pb2

    content = events.PluginTagToContent("hparams")["_hparams_/session_start_info"]
    start = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info
    return {name: getattr(value, value.WhichOneof("kind")) for name, value in start.hparams.items()}


@pytest.mark.slow
def test_event_files_hold_every_epoch_once_with_the_runs_numbers_even_resumed(make_cfg, tmp_path):
    pytest.importorskip(
        "tensorboard", reason="tensorboard is not installed (pip install 'bninit[tensorboard]')"
    )
    from torch.utils.tensorboard import SummaryWriter

    plain = run(make_cfg("epochs=3", f"runs_dir={tmp_path / 'plain'}"), echo=False)
    cfg = make_cfg("epochs=3", "logger=tensorboard", f"runs_dir={tmp_path / 'logged'}")
    assert run(cfg, stop_after_epoch=1, echo=False)["status"] == "interrupted"
    out = run_dir(cfg)
    with SummaryWriter(str(out)) as crashed:  # an attempt that logged epoch 2, then died unsaved
        crashed.add_scalar("val_acc", -1.0, 2)
    logged = run(cfg, echo=False)

    # the same numbers and the same place as without logging (wall times aside)
    def numbers(result):
        return [{k: v for k, v in e.items() if k != "seconds"} for e in result["history"]]

    assert (
        numbers(logged) == numbers(plain) and logged["test_acc_at_best_val"] == plain["test_acc_at_best_val"]
    )
    assert Path(logged["run_dir"]).relative_to(tmp_path / "logged") == Path(plain["run_dir"]).relative_to(
        tmp_path / "plain"
    )
    assert not list(Path(plain["run_dir"]).glob("events.out.tfevents.*"))

    events = read_events(out)
    history = json.loads((out / "result.json").read_text())["history"]
    for tag in ("val_acc", "train_loss", "train_acc", "lr", "bn_scale_mean"):
        scalars = events.Scalars(tag)
        assert [s.step for s in scalars] == [1, 2, 3], tag  # each epoch once, the crashed 2 purged
        assert [s.value for s in scalars] == pytest.approx([e[tag] for e in history], rel=1e-6), tag
    best = [max(e["val_acc"] for e in history[: i + 1]) for i in range(3)]
    assert [s.value for s in events.Scalars("best_val_acc")] == pytest.approx(best, rel=1e-6)
    assert "test_acc" not in events.Tags()["scalars"]  # eval_test=at_best: no per-epoch test
    hparams = hparams_of(events)
    assert hparams["seed"] == cfg.seed and hparams["bn"] == "ours" and hparams["gamma"] == pytest.approx(0.1)
    assert set(hparams) == {*cfg.identity(), "seed"}
