"""One definition of a BN scale (bninit.bn_scales): the gamma of every BN layer, and nothing else.
The init, the optimizer's lr / c group and the recorded scale statistics all use it, so LayerNorm,
GroupNorm and PReLU weights keep the base lr and their own init, on timm models too."""

import pytest
import torch
from torch import nn

import bninit
from bninit.method.init import init_bn_scales
from bninit.method.norms import NORM_LAYERS, InputBatchNorm2d
from bninit.models import ARCHS, build_model
from bninit.run.train import bn_scale_stats

MIXED = "mobilevit_xxs"  # timm: BatchNormAct2d in the conv blocks, LayerNorm in the attention blocks


def ids(params) -> set[int]:
    return {id(p) for p in params}


def groups_of(model: nn.Module) -> dict[str, dict]:
    return {g["name"]: g for g in bninit.param_groups(model, lr=0.1, c=100, weight_decay=5e-4)}


def name_rule_groups(model: nn.Module) -> dict[str, set[int]]:
    """The groups by the rule param_groups used before one predicate: a trainable 1-D parameter
    named `weight` is a BN scale, other 1-D parameters no decay, the rest decay."""
    out = {"bn_scale": set(), "no_decay": set(), "decay": set()}
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        if p.ndim == 1 and name.rsplit(".", 1)[-1] == "weight":
            out["bn_scale"].add(id(p))
        else:
            out["no_decay" if p.ndim <= 1 else "decay"].add(id(p))
    return out


@pytest.mark.parametrize("arch", sorted(ARCHS))
@pytest.mark.parametrize("bn", ["ours", "rbn"])
def test_built_in_models_keep_exactly_the_groups_they_had(arch, bn):
    """Every built-in architecture holds only BN weights as 1-D `weight`s: the same parameters in
    each group as the name rule, in the order of model.parameters() (bit-identical training)."""
    net = build_model(arch, 10, 3, 32, NORM_LAYERS[bn])
    model = nn.Sequential(InputBatchNorm2d(3), net)
    groups = groups_of(model)
    expected = name_rule_groups(model)
    order = [id(p) for p in model.parameters()]
    for name, group in groups.items():
        got = [id(p) for p in group["params"]]
        assert set(got) == expected[name], name
        assert got == [i for i in order if i in expected[name]], name  # parameter order kept


class MixedNet(nn.Module):
    """A BN, a GroupNorm, a LayerNorm and a PReLU, each with a 1-D parameter named `weight`."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.gn = nn.GroupNorm(2, 8)
        self.act = nn.PReLU(8)
        self.ln = nn.LayerNorm(8)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        x = self.act(self.gn(self.bn(self.conv(x)))).mean(dim=(2, 3))
        return self.fc(self.ln(x))


def test_groupnorm_layernorm_prelu_weights_stay_at_lr_without_decay():
    model = MixedNet()
    groups = groups_of(model)
    assert ids(groups["bn_scale"]["params"]) == {id(model.bn.weight)}
    others = [model.gn.weight, model.gn.bias, model.act.weight, model.ln.weight, model.ln.bias]
    assert ids(groups["no_decay"]["params"]) == ids(others + [model.bn.bias, model.conv.bias, model.fc.bias])
    assert ids(groups["decay"]["params"]) == {id(model.conv.weight), id(model.fc.weight)}
    assert groups["bn_scale"]["lr"] == pytest.approx(0.1 / 100)
    assert groups["no_decay"]["lr"] == 0.1 and groups["no_decay"]["weight_decay"] == 0.0
    assert ids(bninit.bn_scales(model)) == {id(model.bn.weight)}


def test_init_sets_bn_scales_and_leaves_other_norms_at_their_own_init():
    model = MixedNet()
    bninit.init_method(model, gamma=0.1)
    assert torch.all(model.bn.weight == 0.1) and torch.all(model.bn.bias == 0)
    # torch's own inits: GroupNorm/LayerNorm weight 1 and bias 0, PReLU 0.25
    assert torch.all(model.gn.weight == 1) and torch.all(model.ln.weight == 1)
    assert torch.all(model.act.weight == 0.25)


def test_a_frozen_or_non_affine_bn_has_no_scale():
    model = nn.Sequential(InputBatchNorm2d(3), nn.BatchNorm2d(4, affine=False), nn.BatchNorm1d(5))
    assert ids(bninit.bn_scales(model)) == {id(model[0].weight), id(model[2].weight)}
    assert ids(groups_of(model)["bn_scale"]["params"]) == ids(bninit.bn_scales(model))


@pytest.mark.parametrize("bn", ["ours", "a2"])
def test_timm_model_with_bn_and_layernorm_gets_lr_over_c_on_bn_scales_only(bn):
    torch.manual_seed(0)
    net = build_model("timm", 5, 3, 64, NORM_LAYERS[bn], name=MIXED)
    model = nn.Sequential(InputBatchNorm2d(3), net)
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    lns = [m for m in model.modules() if isinstance(m, nn.LayerNorm)]
    assert len(bns) > 10 and len(lns) > 10  # the model really mixes the two
    groups = groups_of(model)
    assert ids(groups["bn_scale"]["params"]) == ids(m.weight for m in bns)
    assert ids(m.weight for m in lns) <= ids(groups["no_decay"]["params"])
    # the name rule would have put every LayerNorm weight at lr / c
    assert ids(m.weight for m in lns) <= name_rule_groups(model)["bn_scale"]

    init_bn_scales(model, 0.1)
    assert all(torch.all(m.weight == 1.0) for m in lns)  # timm's LayerNorm init, untouched
    assert all(torch.all(m.weight == 0.1) for m in bns[1:])
    for m in lns:  # a LayerNorm weight far from gamma must not move the scale statistics
        nn.init.constant_(m.weight, 50.0)
    mean, std = bn_scale_stats(model)
    assert mean == pytest.approx(0.1) and std == pytest.approx(0.0, abs=1e-7)
