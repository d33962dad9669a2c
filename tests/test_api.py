"""The library API for one's own training loop (bninit.init_method, param_groups,
InputBatchNorm2d, convert_bn): each function, and a plain hand-written loop over it that gives
exactly the numbers of `bninit train` for the same seed, data order and settings."""

from collections import OrderedDict

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import bninit
from bninit.data import load_dataset
from bninit.data.batches import eval_batches, train_batches
from bninit.data.split import stratified_split
from bninit.models.resnet20 import resnet20
from bninit.run.train import run
from bninit.seeds import md5_seed, seed_everything


def test_the_api_is_exported_from_the_package():
    assert set(bninit.__all__) >= {"init_method", "param_groups", "InputBatchNorm2d", "convert_bn"}
    for name in ("init_method", "param_groups", "InputBatchNorm2d", "convert_bn"):
        assert getattr(bninit, name).__doc__
    with pytest.raises(AttributeError):
        bninit.nothing_here  # noqa: B018


def test_init_method_sets_every_bn_scale_and_the_paper_init():
    torch.manual_seed(0)
    model = nn.Sequential(bninit.InputBatchNorm2d(3), nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.Flatten())
    model.append(nn.Linear(8 * 30 * 30, 10))
    assert bninit.init_method(model, gamma=0.2) is model
    assert torch.allclose(model[0].weight, torch.full((3,), 0.2 * 0.58)) and torch.all(model[0].bias == 0)
    assert torch.all(model[2].weight == 0.2) and torch.all(model[2].bias == 0)
    assert torch.all(model[1].bias == 0) and torch.all(model[4].bias == 0)
    bound = (6 / (8 * 30 * 30)) ** 0.5  # Kaiming uniform, ReLU gain
    assert model[4].weight.abs().max() <= bound and model[4].weight.abs().max() > 0.99 * bound


def test_input_batchnorm_starts_at_gamma_times_058_with_a_frozen_shift():
    layer = bninit.InputBatchNorm2d(3, gamma=0.5)
    assert torch.allclose(layer.weight, torch.full((3,), 0.29)) and not layer.bias.requires_grad
    groups = bninit.param_groups(nn.Sequential(layer), lr=0.1)
    assert [len(g["params"]) for g in groups] == [1, 0, 0] and groups[0]["lr"] == pytest.approx(0.001)


def test_param_groups_feed_any_optimizer():
    model = nn.Sequential(nn.Conv2d(3, 4, 3, bias=True), nn.BatchNorm2d(4))
    groups = bninit.param_groups(model, lr=0.1, c=100, weight_decay=1e-4)
    by_name = {g["name"]: g for g in groups}
    assert by_name["bn_scale"]["params"] == [model[1].weight]
    assert (by_name["bn_scale"]["lr"], by_name["bn_scale"]["weight_decay"]) == (pytest.approx(0.001), 0.0)
    assert by_name["no_decay"]["params"] == [model[0].bias, model[1].bias]
    assert by_name["decay"]["params"] == [model[0].weight] and by_name["decay"]["weight_decay"] == 1e-4
    torch.optim.AdamW(bninit.param_groups(model, lr=1e-3))  # any torch optimizer takes them


def hand_written_loop(
    seed: int, epochs: int, lr: float = 0.1, batch_size: int = 64
) -> list[tuple[float, float]]:
    """digits + resnet20 trained with the public API only (and bninit's batches for the data order)."""
    data = load_dataset("digits", "data")
    train_idx, val_idx = stratified_split(data.train_y.numpy())
    generator = seed_everything(md5_seed(seed))
    x, y = data.train_x[train_idx], data.train_y[train_idx]
    net = bninit.convert_bn(
        resnet20(num_classes=10, in_channels=1, image_size=8, norm_layer=nn.BatchNorm2d), "ours"
    )
    model = nn.Sequential(OrderedDict(input_norm=bninit.InputBatchNorm2d(1, gamma=0.1), net=net))
    bninit.init_method(model, gamma=0.1)
    optimizer = torch.optim.SGD(
        [g for g in bninit.param_groups(model, lr, c=100, weight_decay=1e-4) if g["params"]],
        lr=lr,
        momentum=0.9,
    )
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs, eta_min=1e-8)
    history = []
    for _ in range(epochs):
        model.train()
        loss_sum, seen = torch.zeros(()), 0
        for images, labels in train_batches(x, y, batch_size, generator, "none", 8):
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach() * len(labels)
            seen += len(labels)
        scheduler.step()
        model.eval()
        with torch.no_grad():
            val = data.train_x[val_idx], data.train_y[val_idx]
            correct = sum((model(i).argmax(1) == t).sum().item() for i, t in eval_batches(*val, 256, 8))
        history.append((loss_sum.item() / seen, 100.0 * correct / len(val_idx)))
    return history


@pytest.mark.slow
def test_a_hand_written_loop_gives_the_numbers_of_bninit_train(make_cfg):
    cfg = make_cfg("seed=3", "channels_last=false")
    result = run(cfg)
    expected = [(h["train_loss"], h["val_acc"]) for h in result["history"]]
    assert len(expected) == 2
    assert hand_written_loop(seed=3, epochs=2) == expected
