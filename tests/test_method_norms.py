"""The BN variants (bn=): formulas against a direct tensor computation, BN-like running statistics,
eval mode and state_dicts, the configured initial scale, and the optimizer groups of each."""

import pytest
import torch
from torch import nn

from bninit.method.init import init_bn_scales, init_weights
from bninit.method.norms import NORM_LAYERS, InputBatchNorm2d, eval_scale_shift, is_batchnorm
from bninit.method.optim import param_groups
from bninit.models import build_model

VARIANTS = sorted(NORM_LAYERS)
EPS = 1e-5

# The initial effective scale of every BN of the network with the variant's own yaml (SPEC §2):
# gamma for ours/base/a1/a2, sigmoid(1) = 0.731 for rbn(_minus), sigmoid(-1) = 0.269 for iebn(_minus).
EFFECTIVE_SCALE = {
    "ours": 0.1,
    "base": 1.0,
    "a1": 0.1,
    "a2": 0.1,
    "rbn": 0.731,
    "rbn_minus": 0.731,
    "iebn": 0.269,
    "iebn_minus": 0.269,
}
# The variant's parameters besides weight (gamma) and bias (beta), with their initial value.
EXTRA_PARAMS = {
    "ours": {},
    "base": {},
    "a1": {},
    "a2": {"lam": 1.0},
    "rbn": {"w_v": 0.0, "w_b": 1.0},
    "iebn": {"w_v": 0.0, "w_b": -1.0},
    "rbn_minus": {"w_b": 1.0},
    "iebn_minus": {"w_b": -1.0},
}


def expected_output(name: str, layer: nn.Module, x: torch.Tensor, mean, var) -> torch.Tensor:
    """The variant's formula written out on tensors, given the statistics it normalizes with."""
    c = lambda t: t[None, :, None, None]  # noqa: E731
    xhat = (x - c(mean)) / torch.sqrt(c(var) + EPS)
    g, b = c(layer.weight), c(layer.bias)
    if name in ("ours", "base"):
        return g * xhat + b
    if name == "a1":
        return g * (xhat + b)
    if name == "a2":
        return g * (c(layer.lam) * xhat + b)
    if name in ("rbn", "iebn"):
        k = (xhat if name == "rbn" else x).mean(dim=(2, 3), keepdim=True)
        return g * xhat * torch.sigmoid(c(layer.w_v) * k + c(layer.w_b)) + b
    return g * xhat * torch.sigmoid(c(layer.w_b)) + b  # rbn_minus, iebn_minus


def randomized(name: str, channels: int = 3, seed: int = 0) -> nn.Module:
    """A layer of variant `name` with every parameter drawn at random (so each one matters)."""
    torch.manual_seed(seed)
    layer = NORM_LAYERS[name](channels)
    with torch.no_grad():
        for param in layer.parameters():
            param.copy_(torch.randn_like(param))
    return layer


def sample_input(seed: int = 1) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return 3.0 + 2.0 * torch.randn(4, 3, 5, 6, generator=generator, dtype=torch.float64).float()


@pytest.mark.parametrize("name", VARIANTS)
def test_formula_in_train_and_eval_mode_matches_direct_computation(name):
    layer, x = randomized(name), sample_input()
    y = layer(x)
    batch_mean, batch_var = x.mean(dim=(0, 2, 3)), x.var(dim=(0, 2, 3), unbiased=False)
    torch.testing.assert_close(
        y, expected_output(name, layer, x, batch_mean, batch_var), atol=1e-5, rtol=1e-5
    )
    layer.eval()
    x2 = sample_input(seed=2)
    torch.testing.assert_close(
        layer(x2),
        expected_output(name, layer, x2, layer.running_mean, layer.running_var),
        atol=1e-5,
        rtol=1e-5,
    )


@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("name", VARIANTS)
def test_running_statistics_follow_batchnorm(name, momentum):
    layer, reference = NORM_LAYERS[name](3, momentum=momentum), nn.BatchNorm2d(3, momentum=momentum)
    for seed in range(3):
        layer(sample_input(seed))
        reference(sample_input(seed))
    for buffer in ("running_mean", "running_var", "num_batches_tracked"):
        torch.testing.assert_close(getattr(layer, buffer), getattr(reference, buffer))
    layer.eval()
    before = layer.running_mean.clone()
    layer(sample_input(5))
    assert torch.equal(layer.running_mean, before), "eval mode must not update the statistics"


@pytest.mark.parametrize("name", VARIANTS)
def test_state_dict_round_trip_and_deterministic_eval(name):
    layer = randomized(name)
    for seed in range(2):
        layer(sample_input(seed))
    state = layer.state_dict()
    assert set(state) == (
        {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"} | set(EXTRA_PARAMS[name])
    )
    fresh = NORM_LAYERS[name](3)
    fresh.load_state_dict(state)
    layer.eval(), fresh.eval()
    x = sample_input(7)
    assert torch.equal(layer(x), fresh(x))
    assert torch.equal(layer(x), layer(x))


def initialised_resnet20(cfg):
    """resnet20 built with cfg's BN variant, after the method's init step (weights, BN scales)."""
    model = build_model("resnet20", 10, 3, 32, NORM_LAYERS[cfg.bn])
    init_weights(model)
    init_bn_scales(model, cfg.gamma)
    return model


@pytest.mark.parametrize("name", VARIANTS)
def test_variant_params_keep_their_init_and_bn_scales_get_gamma(name, make_cfg):
    cfg = make_cfg(f"bn={name}")
    model = initialised_resnet20(cfg)
    layers = [m for m in model.modules() if is_batchnorm(m)]
    assert layers and all(type(m) is NORM_LAYERS[name] for m in layers)
    for layer in layers:
        assert torch.all(layer.weight == cfg.gamma) and torch.all(layer.bias == 0)
        for param, value in EXTRA_PARAMS[name].items():
            assert torch.all(getattr(layer, param) == value), param


@pytest.mark.parametrize("name", VARIANTS)
def test_initial_effective_scale_of_every_bn_is_as_configured(name, make_cfg):
    """y = s * xhat with s the configured scale (0.731 / 0.269 for rbn / iebn), no shift."""
    cfg = make_cfg(f"bn={name}")
    model = initialised_resnet20(cfg)
    for layer in (m for m in model.modules() if is_batchnorm(m)):
        x = sample_input().repeat(1, layer.num_features // 3 + 1, 1, 1)[:, : layer.num_features]
        mean, var = x.mean(dim=(0, 2, 3)), x.var(dim=(0, 2, 3), unbiased=False)
        xhat = (x - mean[None, :, None, None]) / torch.sqrt(var[None, :, None, None] + EPS)
        with torch.no_grad():
            torch.testing.assert_close(layer(x), EFFECTIVE_SCALE[name] * xhat, atol=5e-4, rtol=1e-3)


@pytest.mark.parametrize("name", VARIANTS)
def test_param_groups_give_lr_over_c_to_bn_scales_only(name, make_cfg):
    """gamma (`weight`) of every BN: lr / c, no decay; lambda, w_v, w_b, beta and biases: lr, no decay."""
    cfg = make_cfg(f"bn={name}")
    model = nn.Sequential(InputBatchNorm2d(3), build_model("resnet20", 10, 3, 32, NORM_LAYERS[cfg.bn]))
    groups = {g["name"]: g for g in param_groups(model, cfg.lr, cfg.c, cfg.weight_decay)}
    layers = [m for m in model.modules() if is_batchnorm(m)]
    ids = lambda params: {id(p) for p in params}  # noqa: E731
    assert ids(groups["bn_scale"]["params"]) == ids(m.weight for m in layers)
    extras = [getattr(m, p) for m in layers[1:] for p in EXTRA_PARAMS[name]]  # [0]: the input BN
    shifts = [m.bias for m in layers if m.bias.requires_grad]
    assert ids(groups["no_decay"]["params"]) == ids(extras + shifts + [model[1].fc.bias])
    assert all(p.ndim > 1 for p in groups["decay"]["params"])
    assert groups["bn_scale"]["lr"] == pytest.approx(cfg.lr / cfg.c)
    assert groups["no_decay"]["lr"] == groups["decay"]["lr"] == cfg.lr
    assert groups["bn_scale"]["weight_decay"] == groups["no_decay"]["weight_decay"] == 0.0
    assert groups["decay"]["weight_decay"] == cfg.weight_decay
    expected_c = {"ours": 100, "a1": 100, "a2": 100}.get(name, 1)
    assert cfg.c == expected_c and cfg.gamma == (0.1 if expected_c == 100 else 1.0)


@pytest.mark.parametrize("name", VARIANTS)
def test_eval_scale_shift_folds_the_layer(name):
    layer = randomized(name)
    layer(sample_input())
    layer.eval()
    x = sample_input(3)
    if name in ("rbn", "iebn"):
        with pytest.raises(ValueError, match="depends on each input"):
            eval_scale_shift(layer)
        return
    scale, shift = eval_scale_shift(layer)
    with torch.no_grad():
        torch.testing.assert_close(layer(x), x * scale[:, None, None] + shift[:, None, None])
