"""The method's initialisation step: conv/linear weights, then every BN scale to gamma."""

import math

from torch import nn

from bninit.method.norms import RELU_STD, InputBatchNorm2d, bn_layers

# How linear weights start. "paper": Kaiming uniform with fan_in and the ReLU gain, U(-b, b) with
# b = sqrt(6 / fan_in), as the code behind the paper's numbers does (it passes a = sqrt(5) too,
# which the ReLU gain ignores). "torch_default": PyTorch's nn.Linear default, b = 1 / sqrt(fan_in).
LINEAR_INITS = ("paper", "torch_default")


def init_weights(model: nn.Module, linear_init: str = "paper") -> None:
    """Conv: Kaiming normal (fan_in, ReLU); linear: see LINEAR_INITS; every bias 0."""
    if linear_init not in LINEAR_INITS:
        raise ValueError(f"unknown linear_init {linear_init!r}; known: {', '.join(LINEAR_INITS)}")
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu")
        elif isinstance(module, nn.Linear):
            if linear_init == "paper":
                nn.init.kaiming_uniform_(module.weight, mode="fan_in", nonlinearity="relu")
            else:
                nn.init.kaiming_uniform_(module.weight, a=math.sqrt(5))
        else:
            continue
        if module.bias is not None:
            nn.init.zeros_(module.bias)


def init_method(model: nn.Module, gamma: float = 0.1, linear_init: str = "paper") -> nn.Module:
    """The paper's initialisation of a built network, in place; returns `model`.

    Conv weights Kaiming normal (fan_in, ReLU), linear weights Kaiming uniform with the ReLU gain
    (`linear_init="paper"`; "torch_default" for PyTorch's), every bias 0, then every BN scale to
    `gamma` (an InputBatchNorm2d to gamma * 0.58) and every BN shift to 0. Draws from torch's
    global RNG (seed it first for a reproducible init).
    """
    init_weights(model, linear_init)
    init_bn_scales(model, gamma)
    return model


def init_bn_scales(model: nn.Module, gamma: float) -> None:
    """Every BN scale to gamma (the input BN to gamma * 0.58), every BN shift to 0."""
    for module in bn_layers(model):
        scale = gamma * RELU_STD if isinstance(module, InputBatchNorm2d) else gamma
        nn.init.constant_(module.weight, scale)
        nn.init.zeros_(module.bias)
