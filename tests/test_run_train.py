"""One run end to end: result record, determinism, skip when done, exact resume."""

import json
from pathlib import Path

import pytest
import yaml

from bninit.run.train import run
from bninit.store.identity import record_hash
from bninit.store.rundir import load_checkpoint, method_tag, run_dir

NUMBERS = ("best_epoch", "best_val_acc", "test_acc_at_best_val", "final_test_acc", "md5_seed")


def without_timing(history):
    return [{k: v for k, v in epoch.items() if k != "seconds"} for epoch in history]


def test_two_epoch_run_writes_a_self_describing_result(make_cfg):
    cfg = make_cfg("seed=3", "eval_test=every_epoch")  # test accuracy in every epoch's history
    result = run(cfg)
    out = run_dir(cfg)
    on_disk = json.loads((out / "result.json").read_text())
    assert on_disk == result and result["status"] == "done"
    assert result["config"] == cfg.to_dict() and result["seed"] == 3
    assert result["md5_seed"] == int(__import__("hashlib").md5(b"3").hexdigest()[-8:], 16)
    history = result["history"]
    assert [h["epoch"] for h in history] == [1, 2]
    val = [h["val_acc"] for h in history]
    best = val.index(max(val)) + 1  # first epoch on ties
    assert result["best_epoch"] == best and result["best_val_acc"] == max(val)
    assert result["test_acc_at_best_val"] == history[best - 1]["test_acc"]
    assert result["final_test_acc"] == history[-1]["test_acc"]
    # accuracies are counts of the 144 validation / 360 test images, in percent
    assert all(round(h["val_acc"] * 144 / 100, 6).is_integer() for h in history)
    assert all(round(h["test_acc"] * 360 / 100, 6).is_integer() for h in history)
    # the BN scales start at gamma 0.1 and learn at lr / c = 0.001: two epochs move them little
    assert all(0.09 < h["bn_scale_mean"] < 0.11 for h in history)
    # cosine schedule over 2 epochs, per epoch: 0.1, then 0.1 * (1 + cos(pi / 2)) / 2
    assert [h["lr"] for h in history] == pytest.approx([0.1, 0.05])
    assert {"torch", "python", "bninit"} <= set(result["versions"]) and result["device"] == "cpu"
    assert yaml.safe_load((out / "config.yaml").read_text()) == cfg.to_dict()
    assert not (out / "checkpoint.pt").exists()


def test_run_dir_is_derived_from_the_config(make_cfg):
    cfg = make_cfg("seed=4", "gamma=0.05")
    out = run_dir(cfg)
    assert out.name == "seed=4" and out.parent.name == f"{method_tag(cfg)}-{record_hash(cfg.identity())}"
    assert out.parent.name.startswith("ours-g0.05-c100-lr0.1-in_bn-")
    assert out.parents[1].name == "resnet20" and out.parents[2].name == "digits"
    assert run_dir(make_cfg("seed=5", "gamma=0.05")).parent == out.parent  # same cell
    assert run_dir(make_cfg("seed=4", "gamma=0.05", "device=cpu")) == out  # placement: same run
    assert run_dir(make_cfg("seed=4", "gamma=0.05", "momentum=0.8")).parent != out.parent


@pytest.mark.slow
def test_same_seed_gives_identical_numbers_and_another_seed_differs(make_cfg, tmp_path):
    first = run(make_cfg("seed=2"))
    second = run(make_cfg("seed=2", f"runs_dir={tmp_path / 'other'}"))
    other = run(make_cfg("seed=5"))
    assert [first[k] for k in NUMBERS] == [second[k] for k in NUMBERS]
    assert without_timing(first["history"]) == without_timing(second["history"])
    assert without_timing(first["history"]) != without_timing(other["history"])


def test_finished_run_is_skipped(make_cfg, capsys):
    cfg = make_cfg("seed=1", "epochs=1")
    first = run(cfg)
    capsys.readouterr()
    assert run(cfg) == first
    assert "already done" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.parametrize(
    "extra",
    [
        (),
        ("input_norm=offline",),
        ("bn=rbn",),  # a variant's extra parameters (w_v, w_b) travel through the checkpoint too
        ("eval_test=every_epoch", "channels_last=false"),
        ("precision=bf16",),
    ],
)
def test_interrupted_run_resumes_to_exactly_the_uninterrupted_result(make_cfg, tmp_path, extra):
    cfg = make_cfg("seed=2", "epochs=3", *extra)
    stopped = run(cfg, stop_after_epoch=1)
    out = Path(stopped["run_dir"])
    assert stopped["status"] == "interrupted"
    assert (out / "checkpoint.pt").exists() and not (out / "result.json").exists()
    checkpoint = load_checkpoint(out)
    assert checkpoint["epoch"] == 1
    if cfg.eval_test == "at_best":  # the best-val weights travel with the checkpoint
        assert checkpoint["best_model"].keys() == checkpoint["model"].keys()
    resumed = run(cfg)
    clean = run(make_cfg("seed=2", "epochs=3", f"runs_dir={tmp_path / 'clean'}", *extra))
    assert [resumed[k] for k in NUMBERS] == [clean[k] for k in NUMBERS]
    assert without_timing(resumed["history"]) == without_timing(clean["history"])


@pytest.mark.parametrize("input_norm", ["fixed", "offline"])
def test_other_input_normalizations_train(make_cfg, input_norm):
    result = run(make_cfg(f"input_norm={input_norm}", "bn=base", "epochs=2"))
    assert result["config"]["input_norm"] == input_norm and result["best_val_acc"] > 50
