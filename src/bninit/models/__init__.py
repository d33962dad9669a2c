"""The architecture registry: `arch=` name -> builder(num_classes, in_channels, image_size, norm_layer).

Builders return a network whose every normalization layer is `norm_layer(num_features)`;
networks for small inputs (32x32 CIFAR, 8x8 digits) take their CIFAR form, 224x224 the ImageNet form.
"""

from collections.abc import Callable

from torch import nn

from bninit.models.resnet20 import resnet20

ARCHS: dict[str, Callable[..., nn.Module]] = {
    "resnet20": resnet20,
}


def build_model(arch: str, num_classes: int, in_channels: int, image_size: int,
                norm_layer: type[nn.Module]) -> nn.Module:
    if arch not in ARCHS:
        raise KeyError(f"unknown arch '{arch}'; known: {', '.join(sorted(ARCHS))}")
    return ARCHS[arch](num_classes=num_classes, in_channels=in_channels, image_size=image_size,
                       norm_layer=norm_layer)
