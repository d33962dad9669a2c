"""`bninit.convert_bn` at its edges: a variant given as a class, an unknown name, a float64 (or
meta-device) model, and BN layers built with affine=False or without running statistics."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from bninit import bn_scales, convert_bn, init_method
from bninit.method.norms import NORM_LAYERS, BatchNorm2dA1


def small_net(**bn_kwargs) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4, **bn_kwargs), nn.ReLU(), nn.Conv2d(4, 2, 1)
    )


class ScaledBatchNorm2d(nn.BatchNorm2d):
    """A user's own BN variant: twice the standard output."""

    def forward(self, x):
        return 2 * super().forward(x)


def test_a_variant_given_as_a_class_is_used_as_is():
    torch.manual_seed(0)
    net = small_net().train()
    net(torch.randn(8, 3, 6, 6))  # running statistics away from 0 / 1
    net.eval()  # from here on the statistics are only read
    stats = net[1].running_mean.clone(), net[1].running_var.clone()
    x = torch.randn(8, 3, 6, 6)
    before = net[1](net[0](x))
    assert convert_bn(net, BatchNorm2dA1) is net and type(net[1]) is BatchNorm2dA1
    convert_bn(net, ScaledBatchNorm2d)
    assert type(net[1]) is ScaledBatchNorm2d
    assert torch.equal(net[1].running_mean, stats[0]) and torch.equal(net[1].running_var, stats[1])
    # the class's own forward runs: twice what the plain BN (scale 1, shift 0) gave
    assert torch.allclose(net[1](net[0](x)), 2 * before, atol=1e-6)


def test_an_unknown_name_is_one_line_naming_it_and_the_known_ones_and_changes_nothing():
    net = small_net()
    old = net[1]
    with pytest.raises(ValueError) as err:
        convert_bn(net, "groupnorm")
    message = str(err.value)
    assert "\n" not in message and "'groupnorm'" in message
    known = message.split("known: ", 1)[1].split(", ")
    assert sorted(known) == sorted(["ours", "base", "a1", "a2", "rbn", "iebn", "rbn_minus", "iebn_minus"])
    assert net[1] is old  # nothing converted


@pytest.mark.parametrize("bn", sorted(NORM_LAYERS))
def test_a_float64_model_stays_float64_and_computes_the_same(bn):
    torch.manual_seed(0)
    net = small_net().double().train()
    net(torch.randn(8, 3, 6, 6, dtype=torch.float64))
    net.eval()
    x = torch.randn(4, 3, 6, 6, dtype=torch.float64)
    features = net[0](x)
    mean, var = net[1].running_mean.clone(), net[1].running_var.clone()
    convert_bn(net, bn)
    layer = net[1]
    tensors = dict(layer.named_parameters()) | dict(layer.named_buffers())
    floats = {name: t.dtype for name, t in tensors.items() if t.is_floating_point()}
    assert set(floats.values()) == {torch.float64}, floats  # the variant's own lam / w_v / w_b too
    assert {t.device.type for t in tensors.values()} == {"cpu"}
    assert net(x).dtype == torch.float64
    # eval-mode BN by hand from the running statistics before the swap; a variant's output is
    # a * xhat + b, which at its init (scale 1, shift 0, lam 1) is xhat for ours/base/a1/a2
    xhat = (features - mean[None, :, None, None]) / torch.sqrt(var[None, :, None, None] + 1e-5)
    if bn in ("ours", "base", "a1", "a2"):
        assert torch.allclose(layer(features), xhat, atol=1e-12)


def test_a_model_on_another_device_stays_there():
    """The meta device (shapes only, no memory) is the one device besides the CPU every machine
    has: the converted layers are created on it, like the layers they replace."""
    net = small_net().to("meta")
    convert_bn(net, "a2")
    assert {t.device.type for t in net[1].parameters()} | {t.device.type for t in net[1].buffers()} == {
        "meta"
    }


def test_affine_false_bn_gains_a_scale_and_shift_that_start_as_the_identity():
    """A BN built without scale and shift (affine=False) becomes the variant with them, at 1 and
    0: the network computes what it did, and the method's init then sets the scale to gamma and
    the optimizer's lr / c group finds it."""
    torch.manual_seed(0)
    net = small_net(affine=False).train()
    assert net[1].weight is None
    x = torch.randn(8, 3, 6, 6)
    features = net[0](x)
    before = F.batch_norm(features, None, None, training=True, eps=1e-5)  # xhat of this batch
    convert_bn(net, "ours")
    layer = net[1]
    assert (
        layer.affine and torch.equal(layer.weight, torch.ones(4)) and torch.equal(layer.bias, torch.zeros(4))
    )
    assert torch.allclose(layer(features), before, atol=1e-6)
    init_method(net, gamma=0.1)
    assert torch.equal(layer.weight, torch.full((4,), 0.1)) and torch.equal(layer.bias, torch.zeros(4))
    assert [p is layer.weight for p in bn_scales(net)] == [True]


@pytest.mark.parametrize("affine", [True, False])
def test_a_bn_without_running_statistics_keeps_using_batch_statistics(affine):
    """track_running_stats=False (batch statistics in eval mode too) is kept, dtype included."""
    torch.manual_seed(0)
    net = small_net(affine=affine, track_running_stats=False).double()
    convert_bn(net, "ours")
    layer = net[1].eval()
    assert not layer.track_running_stats and layer.running_mean is None
    assert layer.weight.dtype == torch.float64
    features = torch.randn(8, 4, 5, 5, dtype=torch.float64) * 3 + 1
    mean = features.mean(dim=(0, 2, 3), keepdim=True)
    var = features.var(dim=(0, 2, 3), unbiased=False, keepdim=True)
    assert torch.allclose(layer(features), (features - mean) / torch.sqrt(var + layer.eps), atol=1e-10)
