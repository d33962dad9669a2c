"""The fast path (bninit.run.fastpath + the loop in bninit.run.train): it changes how fast a run is, not
what it measures: the same test accuracy at best val, exact resume, fp32 BN statistics."""

import platform
import subprocess
import sys

import pytest
import torch

from bninit.config import RunConfig, dataset_options
from bninit.data import load_dataset
from bninit.data.batches import train_batches
from bninit.errors import UserError
from bninit.run import train
from bninit.run.fastpath import FastPath
from bninit.run.steps import accuracy
from bninit.run.train import run, train_epoch
from bninit.store.rundir import load_checkpoint, run_dir

CUDA, CPU = torch.device("cuda"), torch.device("cpu")


def _numbers(result: dict) -> dict:
    """A result record without what depends on the clock or the path."""
    skip = {"wall_time_s", "run_dir"}
    history = [{k: v for k, v in h.items() if k != "seconds"} for h in result["history"]]
    return {**{k: v for k, v in result.items() if k not in skip}, "history": history}


def _val_accuracy_peaking_at(monkeypatch, cfg: RunConfig, best: int) -> list[float]:
    """Make the run's validation accuracy peak at epoch `best` whatever the weights: 100 there,
    half the measured value elsewhere (the test accuracy stays measured). Returns the list the
    measured validation accuracies are appended to, one per epoch."""
    test_size = len(load_dataset(cfg.dataset, cfg.data_dir, **dataset_options(cfg)).test_y)
    measured = []

    def peaking(model, x, y, *args):
        acc = accuracy(model, x, y, *args)
        if len(y) == test_size:
            return acc
        measured.append(acc)
        return 100.0 if len(measured) == best else acc / 2

    monkeypatch.setattr(train, "accuracy", peaking)
    return measured


@pytest.mark.slow
def test_at_best_gives_the_same_test_accuracy_as_every_epoch(make_cfg, monkeypatch):
    """at_best tests the copy of the best-val weights: the best epoch is made one whose test
    accuracy differs from the last epoch's, so the final weights would give another number."""
    every = run(make_cfg("epochs=3", "eval_test=every_epoch"))
    tests = [h["test_acc"] for h in every["history"]]
    assert every["test_acc_at_best_val"] == tests[every["best_epoch"] - 1]
    assert every["final_test_acc"] == tests[-1]
    changed = [epoch for epoch, acc in enumerate(tests[:-1], 1) if acc != tests[-1]]
    assert changed, f"training never changed the test accuracy: {tests}"

    cfg = make_cfg("epochs=3", "eval_test=at_best")
    measured = _val_accuracy_peaking_at(monkeypatch, cfg, best=changed[0])
    at_best = run(cfg)
    assert (at_best["best_epoch"], at_best["best_val_acc"]) == (changed[0], 100.0)
    assert at_best["test_acc_at_best_val"] == tests[changed[0] - 1] != at_best["final_test_acc"]
    assert at_best["final_test_acc"] == every["final_test_acc"]
    assert measured == [h["val_acc"] for h in every["history"]]  # the same training
    assert [h["test_acc"] for h in at_best["history"]] == [None] * 3  # the test set unseen per epoch
    assert at_best["config"]["eval_test"] == "at_best" and every["config"]["eval_test"] == "every_epoch"


@pytest.mark.slow
def test_bf16_keeps_bn_statistics_weights_and_loss_in_fp32(make_cfg):
    cfg = make_cfg("epochs=2", "precision=bf16")
    run(cfg, stop_after_epoch=1)
    state = load_checkpoint(run_dir(cfg))
    for weights in (state["model"], state["best_model"]):
        floats = {k: v.dtype for k, v in weights.items() if v.is_floating_point()}
        assert set(floats.values()) == {torch.float32}, floats
    assert not torch.equal(
        state["model"]["net.bn1.running_var"], torch.ones_like(state["model"]["net.bn1.running_var"])
    )
    result = run(cfg)
    assert result["config"]["precision"] == "bf16"
    assert all(h["train_loss"] == h["train_loss"] and h["train_loss"] < 3 for h in result["history"])


@pytest.mark.parametrize(
    "precision, device, dtype, scaling",
    [
        ("fp32", CPU, None, False),
        ("bf16", CPU, torch.bfloat16, False),
        ("fp32", CUDA, None, False),
        ("bf16", CUDA, torch.bfloat16, False),
        ("fp16", CUDA, torch.float16, True),  # the grad scaler: fp16 on CUDA only
    ],
)
def test_precision_resolves_to_autocast_dtype_and_grad_scaling(precision, device, dtype, scaling):
    fast = FastPath.for_run(RunConfig(precision=precision, channels_last=False, compile=True), device)
    assert (fast.device_type, fast.autocast_dtype, fast.grad_scaling) == (device.type, dtype, scaling)
    assert (fast.channels_last, fast.compile, fast.deterministic) == (False, True, True)
    if device.type == "cpu":
        assert fast.grad_scaler().is_enabled() is False


def test_fp16_on_cpu_is_refused_with_the_alternatives():
    with pytest.raises(UserError, match=r"precision=fp16 needs a CUDA device.*bf16 or fp32"):
        FastPath.for_run(RunConfig(precision="fp16"), CPU)


def test_deterministic_switches_cudnn_autotuning():
    saved = torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark
    try:
        FastPath.for_run(RunConfig(deterministic=False), CUDA).set_backend_flags()
        assert (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark) == (False, True)
        FastPath.for_run(RunConfig(deterministic=True), CUDA).set_backend_flags()
        assert (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark) == (True, False)
    finally:
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = saved


@pytest.mark.parametrize(
    "override, message",
    [
        ("precision=fp8", "precision='fp8' is not allowed: allowed: fp32, bf16, fp16, tf32"),
        ("eval_test=never", "eval_test='never' is not allowed: allowed: every_epoch, at_best"),
        ("channels_last=maybe", "channels_last='maybe' is not a valid bool (true or false)"),
        ("compile=sometimes", "compile='sometimes' is not a valid bool (true or false)"),
    ],
)
def test_bad_speed_options_are_refused_naming_the_value(make_cfg, override, message):
    with pytest.raises(UserError) as err:
        make_cfg(override)
    assert str(err.value) == message


def test_training_loop_syncs_with_the_host_once_per_epoch(monkeypatch):
    """No .item() per step: the loss and accuracy are summed on the device and read once."""
    calls = []
    item = torch.Tensor.item
    monkeypatch.setattr(torch.Tensor, "item", lambda self: calls.append(1) or item(self))
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Flatten(), torch.nn.LazyLinear(3)
    )
    model(torch.zeros(2, 1, 8, 8))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.randint(0, 256, (80, 1, 8, 8), dtype=torch.uint8)
    y = torch.randint(0, 3, (80,))
    fast = FastPath.for_run(RunConfig(precision="bf16", channels_last=True), CPU)
    batches = train_batches(x, y, 8, torch.Generator().manual_seed(0), "none", 8)
    loss, acc = train_epoch(model, optimizer, batches, fast)
    assert len(calls) == 2  # 10 steps, two reads at the end
    assert loss > 0 and 0 <= acc <= 100


def test_an_unusable_precision_fails_in_one_line_before_writing(cli, tmp_path):
    proc = cli("train", "precision=fp16", "device=cpu", "runs_dir=runs")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "bninit train: error: precision=fp16 needs a CUDA device (its grad scaler is CUDA-only "
        "here), the run is on cpu; use precision=bf16 or fp32"
    ]
    assert not (tmp_path / "runs").exists()


@pytest.mark.slow
def test_compiled_model_keeps_bn_statistics_eval_mode_and_resume(make_cfg, monkeypatch):
    """compile=true through TorchDynamo (its eager backend: the graph capture, guards on train/
    eval mode and BN buffer updates are what is checked; inductor's kernels take minutes here)."""
    compile_ = torch.compile
    monkeypatch.setattr(torch, "compile", lambda model: compile_(model, backend="eager"))
    torch._dynamo.reset()
    plain = run(make_cfg("epochs=3", "compile=false"))
    cfg = make_cfg("epochs=3", "compile=true")
    run(cfg, stop_after_epoch=1)
    state = load_checkpoint(run_dir(cfg))
    assert not any(key.startswith("_orig_mod") for key in state["model"])  # saved from the plain model
    assert state["model"]["net.bn1.num_batches_tracked"].item() > 0
    resumed = run(cfg)
    assert resumed["config"]["compile"] is True
    for key in ("best_epoch", "best_val_acc", "test_acc_at_best_val", "final_test_acc"):
        assert resumed[key] == plain[key], key
    assert [h["val_acc"] for h in resumed["history"]] == [h["val_acc"] for h in plain["history"]]


# Two 64 MiB tensors made and freed 20 times, like a CPU step's activations; prints whether the
# thresholds were set and the minor page faults of the last 10 times (the heap settles first).
PAGE_FAULTS = """
import resource, sys, torch
from bninit.run.host_memory import keep_freed_memory
kept = keep_freed_memory() if sys.argv[1] == "keep" else None
for step in range(20):
    if step == 10:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    a, b = torch.ones(16 << 20), torch.ones(16 << 20)
    del a, b
print(kept, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.slow
@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mallopt")
def test_freed_tensor_memory_is_reused_instead_of_faulted_in_again():
    def faults(mode: str) -> tuple[str, int]:
        out = subprocess.run(
            [sys.executable, "-c", PAGE_FAULTS, mode], capture_output=True, text=True, check=True
        ).stdout.split()
        return out[0], int(out[1])

    kept, reused = faults("keep")
    _, system = faults("system")
    assert kept == "True"
    assert reused * 10 < system  # here: 0 against ~330k (32k pages a step)
