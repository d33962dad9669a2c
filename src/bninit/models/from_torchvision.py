"""torchvision's ResNets, ResNeXt-50 (32x4d) and MobileNetV2 with our BN injected (`norm_layer`)
and no pretrained weights, in the form the input size asks for (SPEC §5).

ImageNet form: torchvision's network as it is (a stem conv for `in_channels` != 3).
CIFAR form: ResNet/ResNeXt stem conv 3x3 stride 1 padding 1 and no max-pool; MobileNetV2 stem
stride 1 and the first blocks of the 24- and 32-channel stages stride 1. Only the stem conv's
weight changes size, so parameter counts equal torchvision's up to that conv.
"""

from collections.abc import Callable

import torchvision
from torch import nn

from bninit.models.forms import cifar_form


def _resnet(tv_builder: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
    """A registry builder for one of torchvision's ResNet/ResNeXt constructors."""

    def build(num_classes: int, in_channels: int, image_size: int, norm_layer) -> nn.Module:
        net = tv_builder(weights=None, num_classes=num_classes, norm_layer=norm_layer)
        width = net.conv1.out_channels
        if cifar_form(image_size):
            net.conv1 = nn.Conv2d(in_channels, width, 3, stride=1, padding=1, bias=False)
            net.maxpool = nn.Identity()
        elif in_channels != 3:
            net.conv1 = nn.Conv2d(in_channels, width, 7, stride=2, padding=3, bias=False)
        return net

    build.__name__ = build.__qualname__ = tv_builder.__name__
    build.__doc__ = f"torchvision's {tv_builder.__name__} (CIFAR form for image_size <= 64)."
    return build


resnet18 = _resnet(torchvision.models.resnet18)
resnet34 = _resnet(torchvision.models.resnet34)
resnet50 = _resnet(torchvision.models.resnet50)
resnet101 = _resnet(torchvision.models.resnet101)
resnet152 = _resnet(torchvision.models.resnet152)
resnext50 = _resnet(torchvision.models.resnext50_32x4d)

# MobileNetV2's features: [0] the stem, [2] and [4] the first blocks of the 24- and 32-channel stages.
_MOBILENET_CIFAR_STRIDE_1 = (2, 4)


def mobilenet_v2(num_classes: int, in_channels: int, image_size: int, norm_layer) -> nn.Module:
    """torchvision's MobileNetV2 (width 1.0); CIFAR form for image_size <= 64."""
    net = torchvision.models.mobilenet_v2(weights=None, num_classes=num_classes, norm_layer=norm_layer)
    if in_channels != 3:
        net.features[0][0] = nn.Conv2d(
            in_channels, net.features[0][0].out_channels, 3, stride=2, padding=1, bias=False
        )
    if cifar_form(image_size):
        net.features[0][0].stride = (1, 1)
        for index in _MOBILENET_CIFAR_STRIDE_1:
            block = net.features[index]
            block.conv[1][0].stride = (1, 1)  # conv: expand 1x1, depthwise 3x3, project 1x1, norm
            block.stride = 1  # still no residual: these blocks change the channel count
    return net
