"""The architecture registry: `arch=` name -> builder(num_classes, in_channels, image_size, norm_layer).

Builders return a network whose every normalization layer is `norm_layer(num_features)`;
networks for small inputs (32x32 CIFAR, 8x8 digits) take their CIFAR form, 224x224 the ImageNet form.
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


def build_model(
    arch: str, num_classes: int, in_channels: int, image_size: int, norm_layer: type[nn.Module]
) -> nn.Module:
    if arch not in ARCHS:
        raise KeyError(f"unknown arch '{arch}'; known: {', '.join(sorted(ARCHS))}")
    return ARCHS[arch](
        num_classes=num_classes, in_channels=in_channels, image_size=image_size, norm_layer=norm_layer
    )
