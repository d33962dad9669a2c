"""The architecture registry: `arch=` name -> builder(num_classes, in_channels, image_size, norm_layer).

Builders return a network whose every normalization layer is `norm_layer(num_features)`;
networks for small inputs (32x32 CIFAR, 8x8 digits) take their CIFAR form, 224x224 the ImageNet form.
FAMILIES: `arch=` names whose builder also takes a model `name` (arch=timm timm_model=<name>).
"""

from collections.abc import Callable

from torch import nn

from bninit.models.from_torchvision import (
    mobilenet_v2,
    resnet18,
    resnet34,
    resnet50,
    resnet101,
    resnet152,
    resnext50,
)
from bninit.models.repvgg import repvgg_a0
from bninit.models.resnet20 import resnet20
from bninit.models.timm_models import timm_model

ARCHS: dict[str, Callable[..., nn.Module]] = {
    "resnet20": resnet20,
    "resnet18": resnet18,
    "resnet34": resnet34,
    "resnet50": resnet50,
    "resnet101": resnet101,
    "resnet152": resnet152,
    "resnext50": resnext50,
    "mobilenet_v2": mobilenet_v2,
    "repvgg_a0": repvgg_a0,
}

FAMILIES: dict[str, Callable[..., nn.Module]] = {
    "timm": timm_model,  # any timm model with BN: name= the timm name
}


def build_model(
    arch: str,
    num_classes: int,
    in_channels: int,
    image_size: int,
    norm_layer: type[nn.Module],
    name: str = "",
) -> nn.Module:
    """The network `arch` (for a family such as timm: the model `name`) with `norm_layer` BNs."""
    builders = {**ARCHS, **FAMILIES}
    if arch not in builders:
        raise KeyError(f"unknown arch '{arch}'; known: {', '.join(sorted(builders))}")
    options = {"name": name} if arch in FAMILIES else {}
    return builders[arch](
        num_classes=num_classes,
        in_channels=in_channels,
        image_size=image_size,
        norm_layer=norm_layer,
        **options,
    )
