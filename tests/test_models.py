"""The architectures (arch=): every arch x every BN variant in both forms, parameter counts against
torchvision's own models, and RepVGG's fused inference network."""

import math

import pytest
import torch
import torchvision
from torch import nn

from bninit.method.init import init_bn_scales, init_weights
from bninit.method.norms import NORM_LAYERS, is_batchnorm
from bninit.method.optim import param_groups
from bninit.models import ARCHS, build_model

# The module whose output is the last feature map (before the global pool), and how much the
# network shrinks its input in the CIFAR and the ImageNet form (SPEC §5).
FEATURES = {"resnet20": "layers", "mobilenet_v2": "features", "repvgg_a0": "stages"}
DOWNSAMPLING = {"resnet20": (4, 4), "mobilenet_v2": (4, 32), "repvgg_a0": (8, 32)}
TORCHVISION = {
    "resnet18": torchvision.models.resnet18,
    "resnet34": torchvision.models.resnet34,
    "resnet50": torchvision.models.resnet50,
    "resnet101": torchvision.models.resnet101,
    "resnet152": torchvision.models.resnet152,
    "resnext50": torchvision.models.resnext50_32x4d,
    "mobilenet_v2": torchvision.models.mobilenet_v2,
}
HEAVY = ("resnet34", "resnet101", "resnet152")
GAMMA = 0.3


def arch_variant_cases():
    for arch in sorted(ARCHS):
        for bn in sorted(NORM_LAYERS):
            slow = arch in HEAVY  # the deep ResNets: every variant in the slow tier
            yield pytest.param(arch, bn, marks=[pytest.mark.slow] if slow else [], id=f"{arch}-{bn}")


def feature_size(model: nn.Module, arch: str, x: torch.Tensor) -> tuple[torch.Tensor, int]:
    """(logits, side of the last feature map) for input x."""
    sizes = []
    hook = model.get_submodule(FEATURES.get(arch, "layer4")).register_forward_hook(
        lambda module, inputs, output: sizes.append(output.shape[-1])
    )
    logits = model(x)
    hook.remove()
    return logits, sizes[0]


@pytest.mark.parametrize(("arch", "bn"), list(arch_variant_cases()))
def test_every_arch_with_every_variant_in_both_forms(arch, bn):
    """CIFAR form (1 channel, like digits) and ImageNet form: every BN is the variant with scale
    gamma, the input shrinks as the form says, every parameter gets a gradient and sits in one
    optimizer group (the BN scales in the lr / c one), and eval outputs are deterministic."""
    norm_layer = NORM_LAYERS[bn]
    for form, (image_size, in_channels, side) in enumerate(((32, 1, 16), (224, 3, 32))):
        torch.manual_seed(0)
        model = build_model(arch, 5, in_channels, image_size, norm_layer)
        init_bn_scales(model, GAMMA)
        layers = [m for m in model.modules() if is_batchnorm(m)]
        assert layers and all(type(m) is norm_layer for m in layers)
        assert all(torch.all(m.weight == GAMMA) and torch.all(m.bias == 0) for m in layers)
        logits, feature_side = feature_size(model, arch, torch.randn(2, in_channels, side, side))
        assert logits.shape == (2, 5)
        assert feature_side == max(1, side // DOWNSAMPLING.get(arch, (8, 32))[form])
        logits.logsumexp(dim=1).sum().backward()
        params = dict(model.named_parameters())
        assert all(p.grad is not None for p in params.values()), "a parameter gets no gradient"
        groups = param_groups(model, lr=0.1, c=100, weight_decay=1e-4)
        grouped = [id(p) for g in groups for p in g["params"]]
        assert sorted(grouped) == sorted(id(p) for p in params.values())
        assert {id(p) for p in groups[0]["params"]} == {id(m.weight) for m in layers}
        model.eval()
        x = torch.randn(2, in_channels, side, side)
        with torch.no_grad():
            assert torch.equal(model(x), model(x))


@pytest.mark.parametrize("arch", sorted(TORCHVISION))
def test_parameter_counts_equal_torchvisions(arch):
    """ImageNet form: exactly torchvision's count; CIFAR form and 1 input channel (digits): only
    the stem conv's weight differs."""
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    with torch.device("meta"):  # shapes without the cost of allocating and initialising
        reference = TORCHVISION[arch](weights=None, num_classes=200)
        ours = {
            (c, size): build_model(arch, 200, c, size, nn.BatchNorm2d)
            for c, size in ((3, 224), (3, 32), (1, 8), (1, 224))
        }
    ref_stem = reference.features[0][0] if arch == "mobilenet_v2" else reference.conv1
    assert count(ours[3, 224]) == count(reference)
    for (in_channels, image_size), model in ours.items():
        stem = model.features[0][0] if arch == "mobilenet_v2" else model.conv1
        assert count(model) - stem.weight.numel() == count(reference) - ref_stem.weight.numel()
        kernel = 7 if arch != "mobilenet_v2" and image_size == 224 else 3
        assert stem.weight.shape == (ref_stem.out_channels, in_channels, kernel, kernel)


def test_variants_add_only_their_own_parameters():
    """Per BN layer of C channels: a2 adds lambda (C), rbn/iebn add w_v and w_b (2C), the _minus forms w_b."""
    per_channel = {
        "ours": 0,
        "base": 0,
        "a1": 0,
        "a2": 1,
        "rbn": 2,
        "iebn": 2,
        "rbn_minus": 1,
        "iebn_minus": 1,
    }
    base = build_model("resnet18", 10, 3, 32, nn.BatchNorm2d)
    channels = sum(m.num_features for m in base.modules() if is_batchnorm(m))
    base_count = sum(p.numel() for p in base.parameters())
    for bn, extra in per_channel.items():
        model = build_model("resnet18", 10, 3, 32, NORM_LAYERS[bn])
        assert sum(p.numel() for p in model.parameters()) == base_count + extra * channels, bn


def test_repvgg_a0_has_the_published_size():
    """RepVGG-A0 for ImageNet: 9.11M parameters as trained, 8.30M fused (Ding et al., Table 2)."""
    model = build_model("repvgg_a0", 1000, 3, 224, nn.BatchNorm2d)
    assert sum(p.numel() for p in model.parameters()) == 9_108_968
    model.eval().fuse()
    assert sum(p.numel() for p in model.parameters()) == 8_309_384
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 1 + 2 + 4 + 14 + 1 and all(m.kernel_size == (3, 3) for m in convs)
    assert not any(is_batchnorm(m) for m in model.modules())


def trained_repvgg(bn: str, image_size: int) -> nn.Module:
    """A RepVGG-A0 in eval mode with random BN parameters and running statistics that fit them
    (cumulative averages over a few batches), so its outputs depend on its input."""
    torch.manual_seed(0)
    model = build_model("repvgg_a0", 10, 3, image_size, NORM_LAYERS[bn])
    init_weights(model)
    with torch.no_grad():
        for m in model.modules():
            if is_batchnorm(m):
                m.momentum = None
                m.weight.uniform_(0.5, 1.0)
                m.bias.normal_(0, 0.1)
                for name, param in m.named_parameters():
                    if name not in ("weight", "bias"):
                        param.uniform_(0.5, 1.5)
        for _ in range(4):
            model(torch.randn(16, 3, 32, 32) * 2 + 1)
    return model.eval()


@pytest.mark.parametrize("image_size", [32, 224])
@pytest.mark.parametrize("bn", ["ours", "a1", "a2", "rbn_minus", "iebn_minus"])
def test_repvgg_fuse_gives_the_same_outputs(bn, image_size):
    model = trained_repvgg(bn, image_size)
    x = torch.randn(4, 3, 32, 32) * 2 + 1
    with torch.no_grad():
        before = model(x)
        after = model.fuse()(x)
    assert not any(is_batchnorm(m) for m in model.modules())
    assert (before - before.mean(dim=0)).abs().max() > 0.1, "outputs should depend on the input"
    torch.testing.assert_close(after, before, atol=1e-4, rtol=0)


@pytest.mark.parametrize("bn", ["rbn", "iebn"])
def test_repvgg_fuse_refuses_input_dependent_scales(bn):
    model = trained_repvgg(bn, 32)
    with pytest.raises(ValueError, match="depends on each input"):
        model.fuse()


def _resnet20_grads(channels_last: bool, shortcut=None) -> tuple[torch.Tensor, list, list]:
    """Logits, parameter gradients and the layouts of the gradients reaching each block's output
    for one backward pass of resnet20 (optionally with another shortcut function)."""
    torch.manual_seed(0)
    model = build_model("resnet20", 10, 3, 32, NORM_LAYERS["ours"])
    init_weights(model)
    init_bn_scales(model, 0.1)
    if shortcut is not None:
        for block in model.layers:
            block.shortcut = shortcut.__get__(block)
    layout = torch.channels_last if channels_last else torch.contiguous_format
    model.to(memory_format=layout)
    layouts = []

    def watch(module, inputs, out):
        out.register_hook(lambda grad: layouts.append(grad.is_contiguous(memory_format=layout)))

    for block in model.layers:
        block.register_forward_hook(watch)
    x = torch.randn(16, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    logits = model(x.contiguous(memory_format=layout))
    nn.functional.cross_entropy(logits, torch.arange(16) % 10).backward()
    return logits, [p.grad for p in model.parameters()], layouts


def _slicing_shortcut(block, x):
    """He et al.'s option A as usually written: strided slicing, then zero channels."""
    if block.stride == 1 and block.pad == 0:
        return x
    x = x[:, :, :: block.stride, :: block.stride]
    return nn.functional.pad(x, (0, 0, 0, 0, block.pad // 2, block.pad - block.pad // 2))


@pytest.mark.parametrize("channels_last", [False, True])
def test_resnet20_keeps_the_layout_in_backward_with_the_slicing_numbers(channels_last):
    """channels_last training's gradients stay channels_last through every block (a mixed layout
    makes CPU kernels 10-25x slower), and the numbers are bitwise those of slicing."""
    logits, grads, layouts = _resnet20_grads(channels_last)
    sliced_logits, sliced_grads, _ = _resnet20_grads(channels_last, _slicing_shortcut)
    assert torch.equal(logits, sliced_logits)
    assert all(torch.equal(a, b) for a, b in zip(grads, sliced_grads, strict=True))
    assert len(layouts) == 9 and all(layouts[1:])  # [0]: the last block's, from the pooled head


@pytest.mark.parametrize("arch", sorted(ARCHS))
@pytest.mark.parametrize(
    "linear_init, bound",
    [("paper", lambda n: math.sqrt(6 / n)), ("torch_default", lambda n: 1 / math.sqrt(n))],
)
def test_every_linear_weight_follows_the_chosen_init(arch, linear_init, bound):
    torch.manual_seed(0)
    model = build_model(arch, 100, 3, 32, NORM_LAYERS["ours"])
    init_weights(model, linear_init)
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert linears, f"{arch} has no linear layer"
    for layer in linears:
        fan_in, b = layer.in_features, bound(layer.in_features)
        assert layer.weight.abs().max().item() <= b
        if layer.weight.numel() >= 10_000:  # enough samples: U(-b, b) has std b / sqrt(3)
            assert layer.weight.max().item() > 0.99 * b and layer.weight.min().item() < -0.99 * b
            assert layer.weight.std().item() == pytest.approx(b / math.sqrt(3), rel=0.05)
            if linear_init == "paper":
                assert layer.weight.std().item() == pytest.approx(math.sqrt(2 / fan_in), rel=0.05)
