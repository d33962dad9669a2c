"""The method's initialisation step: conv/linear weights, then every BN scale to gamma."""

import math

from torch import nn

from bninit.norms import RELU_STD, InputBatchNorm2d, is_batchnorm


def init_weights(model: nn.Module) -> None:
    """Conv: Kaiming normal (fan_in, ReLU); linear: Kaiming uniform a=sqrt(5); every bias 0."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu")
        elif isinstance(module, nn.Linear):
            nn.init.kaiming_uniform_(module.weight, a=math.sqrt(5))
        else:
            continue
        if module.bias is not None:
            nn.init.zeros_(module.bias)


def init_bn_scales(model: nn.Module, gamma: float) -> None:
    """Every BN scale to gamma (the input BN to gamma * 0.58), every BN shift to 0."""
    for module in model.modules():
        if is_batchnorm(module) and module.affine:
            scale = gamma * RELU_STD if isinstance(module, InputBatchNorm2d) else gamma
            nn.init.constant_(module.weight, scale)
            nn.init.zeros_(module.bias)
