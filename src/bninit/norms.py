"""Normalization layers: the BN variants a network is built with, and the input normalizations.

NORM_LAYERS maps the `bn=` config choice to the layer class a network is built with
(`norm_layer(num_features)`, like torchvision). `ours` and `base` are both standard BN: they
differ only in the gamma they are initialised with and the lr divisor c of their scales.
"""

import torch
from torch import nn

NORM_LAYERS: dict[str, type[nn.Module]] = {
    "ours": nn.BatchNorm2d,
    "base": nn.BatchNorm2d,
}

# Std of a unit Gaussian after a ReLU: the input BN's scale is gamma * this (SPEC §2).
RELU_STD = 0.58


class InputBatchNorm2d(nn.BatchNorm2d):
    """The BN prepended to the network (input_norm=bn): scale gamma * 0.58, shift fixed at 0.

    The shift is a frozen parameter (requires_grad False) so state_dicts keep BN's usual shape.
    """

    def __init__(self, num_channels: int):
        super().__init__(num_channels)
        self.bias.requires_grad_(False)


class FixedInputNorm(nn.Module):
    """(x - mean) / std per channel with constant statistics (input_norm=fixed or offline)."""

    def __init__(self, mean: torch.Tensor, std: torch.Tensor):
        super().__init__()
        self.register_buffer("mean", mean.reshape(1, -1, 1, 1).float())
        self.register_buffer("std", std.reshape(1, -1, 1, 1).float())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


def input_norm_layer(kind: str, channels: int, train_images: torch.Tensor) -> nn.Module:
    """The input normalization for `kind` over 8-bit images given as 0..255 floats.

    `train_images` (uint8, N x C x H x W, the training split) feeds the offline statistics.
    """
    if kind == "bn":
        return InputBatchNorm2d(channels)
    if kind == "fixed":
        return FixedInputNorm(torch.full((channels,), 128.0), torch.full((channels,), 128.0))
    if kind == "offline":
        pixels = train_images.transpose(0, 1).reshape(channels, -1).double()
        return FixedInputNorm(pixels.mean(dim=1), pixels.std(dim=1).clamp_min(1e-6))
    raise ValueError(f"unknown input_norm {kind!r}")


def is_batchnorm(module: nn.Module) -> bool:
    """True for every BN-like layer of a network (the configured variant and the input BN)."""
    return isinstance(module, nn.modules.batchnorm._BatchNorm)
