"""The method's three visible steps: build with the chosen BN, initialise, parameter groups."""

import math

import pytest
import torch
from torch import nn

from bninit.data.digits import load_digits
from bninit.method.norms import InputBatchNorm2d, is_batchnorm
from bninit.method.optim import ETA_MIN, build_optimizer, build_scheduler, param_groups
from bninit.run.train import build_network
from bninit.store.rundir import run_dir


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def network(make_cfg, digits, *overrides):
    cfg = make_cfg(*overrides)
    torch.manual_seed(0)
    return build_network(cfg, digits, digits.train_x), cfg


@pytest.mark.parametrize("overrides, gamma", [((), 0.1), (("gamma=0.05",), 0.05), (("bn=base",), 1.0)])
def test_every_bn_scale_starts_at_gamma_and_every_shift_at_zero(make_cfg, digits, overrides, gamma):
    model, _ = network(make_cfg, digits, *overrides)
    bns = [m for m in model.modules() if is_batchnorm(m)]
    assert len(bns) == 20  # resnet20's 19 BNs + the input BN
    for m in bns:
        expected = gamma * 0.58 if isinstance(m, InputBatchNorm2d) else gamma
        assert torch.allclose(m.weight, torch.full_like(m.weight, expected))
        assert torch.count_nonzero(m.bias) == 0


def test_input_bn_shift_is_frozen_and_stays_zero(make_cfg, digits):
    model, cfg = network(make_cfg, digits)
    input_bn = model.input_norm
    assert isinstance(input_bn, InputBatchNorm2d) and input_bn.bias.requires_grad is False
    optimizer = build_optimizer(model, cfg.lr, cfg.c, cfg.weight_decay, cfg.momentum)
    assert all(p is not input_bn.bias for g in optimizer.param_groups for p in g["params"])
    x, y = digits.train_x[:32].float(), digits.train_y[:32]
    nn.functional.cross_entropy(model(x), y).backward()
    optimizer.step()
    assert torch.count_nonzero(input_bn.bias) == 0
    assert torch.count_nonzero(input_bn.weight.grad) == 1  # its scale does train
    assert not torch.equal(input_bn.weight, torch.full_like(input_bn.weight, 0.1 * 0.58))


def test_conv_and_linear_weights_follow_kaiming_and_biases_are_zero(make_cfg, digits):
    model, _ = network(make_cfg, digits)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    big = max(convs, key=lambda m: m.weight.numel())  # 64x64x3x3: enough samples for the std
    fan_in = big.weight[0].numel()
    assert big.weight.std().item() == pytest.approx(math.sqrt(2 / fan_in), rel=0.05)
    fc = model.net.fc
    bound = math.sqrt(6 / fc.in_features)  # Kaiming uniform with the ReLU gain (the paper's code)
    assert fc.weight.abs().max().item() <= bound and fc.weight.abs().max().item() > 0.9 * bound
    assert torch.count_nonzero(fc.bias) == 0


def test_linear_init_key_restores_pytorchs_default_and_names_another_cell(make_cfg, digits):
    model, cfg = network(make_cfg, digits, "linear_init=torch_default")
    fc = model.net.fc
    bound = 1 / math.sqrt(fc.in_features)  # nn.Linear's own default
    assert fc.weight.abs().max().item() <= bound and fc.weight.abs().max().item() > 0.9 * bound
    paper_cfg = make_cfg()
    assert paper_cfg.linear_init == "paper"
    assert run_dir(cfg).parent != run_dir(paper_cfg).parent


@pytest.mark.parametrize("overrides, c", [((), 100.0), (("bn=base",), 1.0), (("c=10", "lr=0.05"), 10.0)])
def test_param_groups_give_bn_scales_lr_over_c_and_decay_only_to_weights(make_cfg, digits, overrides, c):
    model, cfg = network(make_cfg, digits, *overrides)
    groups = {g["name"]: g for g in param_groups(model, cfg.lr, cfg.c, cfg.weight_decay)}
    assert len(groups["bn_scale"]["params"]) == 20  # 19 BN scales + the input BN's scale
    assert len(groups["no_decay"]["params"]) == 20  # 19 BN shifts + the fc bias
    assert len(groups["decay"]["params"]) == 20  # 19 convs + the fc weight
    assert all(p.ndim == 1 for p in groups["bn_scale"]["params"] + groups["no_decay"]["params"])
    assert groups["bn_scale"]["lr"] == pytest.approx(cfg.lr / c)
    assert groups["no_decay"]["lr"] == groups["decay"]["lr"] == cfg.lr
    assert groups["bn_scale"]["weight_decay"] == groups["no_decay"]["weight_decay"] == 0
    assert groups["decay"]["weight_decay"] == pytest.approx(1e-4)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert sum(p.numel() for g in groups.values() for p in g["params"]) == trainable


def test_cosine_schedule_is_per_epoch_and_the_bn_scale_group_follows_it(make_cfg, digits):
    model, cfg = network(make_cfg, digits, "epochs=10")
    optimizer = build_optimizer(model, cfg.lr, cfg.c, cfg.weight_decay, cfg.momentum)
    scheduler = build_scheduler(optimizer, cfg.epochs)
    assert optimizer.defaults["momentum"] == 0.9
    lrs = []
    for _ in range(cfg.epochs):
        lrs.append([g["lr"] for g in optimizer.param_groups])
        optimizer.step()
        scheduler.step()
    assert lrs[0] == pytest.approx([0.001, 0.1, 0.1])
    half = (0.1 + ETA_MIN) / 2
    assert lrs[5][1] == pytest.approx(half) and lrs[5][0] == pytest.approx((0.001 + ETA_MIN) / 2)
    assert [g["lr"] for g in optimizer.param_groups] == pytest.approx([ETA_MIN] * 3)


def test_offline_input_norm_uses_the_training_split_channel_statistics():
    from bninit.method.norms import channel_stats, input_norm_layer

    images = torch.randint(0, 256, (1100, 3, 5, 5), dtype=torch.uint8)
    mean, std = channel_stats(images, chunk=256)
    pixels = images.transpose(0, 1).reshape(3, -1).double()
    assert torch.allclose(mean, pixels.mean(dim=1)) and torch.allclose(std, pixels.std(dim=1))
    layer = input_norm_layer("offline", 3, images)
    out = layer(images.float())
    assert torch.allclose(out.mean(dim=(0, 2, 3)), torch.zeros(3), atol=1e-4)
    assert torch.allclose(out.std(dim=(0, 2, 3)), torch.ones(3), atol=1e-3)
