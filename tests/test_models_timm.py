"""arch=timm: any timm model with BN, every BatchNorm2d converted to the chosen variant with its
running statistics and shapes kept; models without BN and unknown names refused in one line."""

import pytest
import timm
import torch
from torch import nn

from bninit import convert_bn
from bninit.config.compose import compose_run_config
from bninit.errors import UserError
from bninit.method.init import init_bn_scales
from bninit.method.norms import NORM_LAYERS, InputBatchNorm2d
from bninit.models import build_model

SMALL = "resnet10t"  # timm's BatchNorm2d
WITH_ACT = "regnetx_002"  # timm's BatchNormAct2d (BN + activation in one module)


def batchnorms(model: nn.Module) -> dict[str, nn.BatchNorm2d]:
    return {name: m for name, m in model.named_modules() if isinstance(m, nn.BatchNorm2d)}


@pytest.mark.parametrize("name", [SMALL, WITH_ACT])
@pytest.mark.parametrize("bn", sorted(NORM_LAYERS))
def test_every_bn_becomes_the_variant_with_its_statistics_and_shapes(name, bn):
    torch.manual_seed(0)
    model = timm.create_model(name, pretrained=False, num_classes=5, in_chans=1)
    model.train()
    model(torch.randn(4, 1, 32, 32))  # running statistics away from their init
    before = {k: v.clone() for k, v in model.state_dict().items()}
    old = batchnorms(model)
    convert_bn(model, bn)
    new = batchnorms(model)
    assert new.keys() == old.keys() and len(new) > 5
    variant = NORM_LAYERS[bn]
    for key, layer in new.items():
        assert isinstance(layer, variant) and layer is not old[key]
        assert layer.num_features == old[key].num_features and layer.eps == old[key].eps
    after = model.state_dict()
    for key, value in before.items():  # every tensor kept: weights, BN scale/shift, statistics
        assert torch.equal(after[key], value), key
    assert set(after) - set(before) <= {k for k in after if k.rsplit(".", 1)[-1] in ("lam", "w_v", "w_b")}
    assert model(torch.randn(4, 1, 32, 32)).shape == (4, 5)


def test_bn_with_activation_keeps_it():
    """timm's BatchNormAct2d (BN, then drop, then act): the converted layer computes the same."""
    torch.manual_seed(0)
    model = timm.create_model(WITH_ACT, pretrained=False, num_classes=3).eval()
    x = torch.randn(2, 3, 32, 32)
    reference = model(x)
    acts = [m for m in model.modules() if type(m).__name__ == "BatchNormAct2d"]
    assert acts and any(not isinstance(m.act, nn.Identity) for m in acts)
    convert_bn(model, "ours")
    assert not any(type(m).__name__ == "BatchNormAct2d" for m in model.modules())
    assert torch.allclose(model(x), reference, atol=1e-6)


def test_build_model_converts_and_the_method_init_reaches_every_bn():
    torch.manual_seed(0)
    model = build_model("timm", 7, 3, 32, NORM_LAYERS["a2"], name=SMALL)
    init_bn_scales(model, 0.3)
    bns = batchnorms(model)
    assert bns and all(type(m) is NORM_LAYERS["a2"] for m in bns.values())
    assert all(torch.all(m.weight == 0.3) for m in bns.values())
    loss = model(torch.randn(4, 3, 32, 32)).sum()
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())


def test_the_input_bn_is_left_alone():
    model = nn.Sequential(InputBatchNorm2d(3), nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    convert_bn(model, "a1")
    assert type(model[0]) is InputBatchNorm2d and type(model[2]) is NORM_LAYERS["a1"]


def test_a_model_without_bn_is_refused():
    with pytest.raises(ValueError, match="no BatchNorm2d"):
        convert_bn(nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU()), "ours")
    with pytest.raises(UserError) as err:
        build_model("timm", 10, 3, 32, NORM_LAYERS["ours"], name="convnext_atto")
    assert "has no BatchNorm2d (LayerNorm2d)" in str(err.value) and "\n" not in str(err.value)


def test_the_config_accepts_timm_names_and_refuses_unknown_ones():
    cfg = compose_run_config(["arch=timm", f"timm_model={SMALL}"])
    assert (cfg.arch, cfg.timm_model) == ("timm", SMALL)
    assert compose_run_config(["arch=timm"]).timm_model == "resnet18"
    with pytest.raises(UserError, match=r"unknown timm model 'resnet_nope'; list names with: python -c"):
        compose_run_config(["arch=timm", "timm_model=resnet_nope"])
    with pytest.raises(UserError, match="timm_model=resnet10t needs arch=timm"):
        compose_run_config([f"timm_model={SMALL}"])


def test_arch_timm_colon_name_is_the_one_key_spelling():
    cfg = compose_run_config([f"arch=timm:{SMALL}", "bn=base"])
    assert (cfg.arch, cfg.timm_model, cfg.bn) == ("timm", SMALL, "base")
    with pytest.raises(UserError, match="unknown timm model 'resnet_nope'"):
        compose_run_config(["arch=timm:resnet_nope"])


def test_runs_of_the_builtin_archs_keep_their_directories():
    """The new keys stay out of a run's identity at their defaults (same cell hash as before)."""
    cfg = compose_run_config([])
    assert not {"timm_model", "folder_path", "folder_image_size", "folder_stored_size"} & set(cfg.identity())
    assert "timm_model" in compose_run_config(["arch=timm"]).identity()
