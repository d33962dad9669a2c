"""The paths only a CUDA GPU takes: mixed precision with fp32 BN statistics, deterministic kernels
giving equal runs, and GPU slots for runs_per_gpu. Skipped, with the reason, on a machine without
one (conftest.py registers the `gpu` marker)."""

import math
from collections import Counter

import pandas as pd
import pytest
import torch

from bninit.config.compose import compose_run_config
from bninit.run.train import run
from bninit.store.rundir import load_checkpoint, run_dir
from bninit.sweep.placement import claim_gpu

pytestmark = pytest.mark.gpu


def _numbers(result: dict) -> dict:
    """A result record without what depends on the clock or the path."""
    history = [{k: v for k, v in h.items() if k != "seconds"} for h in result["history"]]
    skip = {"wall_time_s", "run_dir", "history"}
    return {**{k: v for k, v in result.items() if k not in skip}, "history": history}


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_mixed_precision_on_cuda_trains_with_finite_numbers_and_fp32_bn(make_cfg, precision):
    cfg = make_cfg("epochs=2", "device=cuda", f"precision={precision}")
    run(cfg, stop_after_epoch=1)
    state = load_checkpoint(run_dir(cfg))
    for weights in (state["model"], state["best_model"]):
        floats = {k: v.dtype for k, v in weights.items() if v.is_floating_point()}
        assert set(floats.values()) == {torch.float32}, floats
    running_var = state["model"]["net.bn1.running_var"]
    assert torch.isfinite(running_var).all() and not torch.equal(running_var, torch.ones_like(running_var))
    result = run(cfg)
    assert result["config"]["precision"] == precision and result["device"] != "cpu"
    for epoch in result["history"]:
        assert math.isfinite(epoch["train_loss"]) and epoch["train_loss"] < math.log(10) * 2, epoch
        assert round(epoch["val_acc"] * 144 / 100, 6).is_integer()  # a count of the 144 val images
    assert round(result["test_acc_at_best_val"] * 360 / 100, 6).is_integer()


def test_deterministic_cuda_runs_are_equal(tmp_path, make_cfg):
    """deterministic=true (the default): the same run twice on the GPU gives the same numbers."""
    first = run(make_cfg("epochs=2", "device=cuda"))
    second = run(compose_run_config([f"runs_dir={tmp_path / 'again'}", "epochs=2", "device=cuda"]))
    assert _numbers(first) == _numbers(second)


def test_runs_per_gpu_two_gives_every_visible_gpu_two_slots(tmp_path, monkeypatch):
    """The real GPU count: 2 x n workers claim two slots on each GPU, one more gets the fallback."""
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    n = torch.cuda.device_count()
    claims = [claim_gpu(n, tmp_path, slots=2) for _ in range(2 * n)]
    assert Counter(claims) == {gpu: 2 for gpu in range(n)}
    assert claim_gpu(n, tmp_path, fallback=2 * n + 1, slots=2) == (2 * n + 1) % n


@pytest.mark.slow
def test_a_gpus_sweep_with_two_runs_per_gpu_runs_on_the_gpu(cli, tmp_path):
    result = cli("sweep", "demo", "seeds=2", "epochs=1", "hydra/launcher=gpus", "runs_per_gpu=2")
    assert result.returncode == 0, result.stderr
    assert "launching 2 runs (joblib launcher)" in result.stdout
    frame = pd.read_csv(tmp_path / "runs" / "demo.csv")
    assert set(frame["status"]) == {"done"} and "cpu" not in set(frame["device"])
