"""Normalization layers: the BN variants a network is built with, and the input normalizations.

NORM_LAYERS (at the end) maps the `bn=` config choice to the layer class a network is built with
(`norm_layer(num_features)`, like torchvision). `ours` and `base` are both standard BN: they
differ only in the gamma they are initialised with and the lr divisor c of their scales.

Every variant is an nn.BatchNorm2d: the same normalization xhat, running statistics, eval mode
and state_dict keys, with `weight` (gamma) and `bias` (beta) as the BN scale and shift that
init_bn_scales sets and optim.param_groups gives lr / c (both pick them with `bn_scales`). A
variant's extra parameters have other names (`lam`, `w_v`, `w_b`), so they learn at the base lr
without decay, and get their own init in `reset_parameters`.
"""

import abc

import torch
import torch.nn.functional as F
from torch import nn

# Std of a unit Gaussian after a ReLU: the input BN's scale is gamma * this (SPEC §2).
RELU_STD = 0.58


class InputBatchNorm2d(nn.BatchNorm2d):
    """The BN prepended to the network (input_norm=bn): scale gamma * 0.58, shift fixed at 0.

    The shift is a frozen parameter (requires_grad False) so state_dicts keep BN's usual shape;
    its scale is a BN scale (lr / c in `param_groups`). `init_method` / `init_bn_scales` set the
    scale from their gamma again.

    Args:
        num_channels: the input's channels (3 for RGB).
        gamma: the method's gamma; the scale starts at gamma * 0.58 (RELU_STD).
    """

    def __init__(self, num_channels: int, gamma: float = 0.1):
        super().__init__(num_channels)
        self.bias.requires_grad_(False)
        nn.init.constant_(self.weight, gamma * RELU_STD)


class FixedInputNorm(nn.Module):
    """(x - mean) / std per channel with constant statistics (input_norm=fixed or offline)."""

    def __init__(self, mean: torch.Tensor, std: torch.Tensor):
        super().__init__()
        self.register_buffer("mean", mean.reshape(1, -1, 1, 1).float())
        self.register_buffer("std", std.reshape(1, -1, 1, 1).float())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


def input_norm_layer(kind: str, channels: int, train_images: torch.Tensor, unit: bool = False) -> nn.Module:
    """The input normalization for `kind` over 8-bit images given as 0..255 floats (with `unit`:
    as ToTensor's 0..1, the fixed and offline statistics divided by 255 to match).

    `train_images` (uint8, N x C x H x W, the training split) feeds the offline statistics.
    """
    scale = 255.0 if unit else 1.0
    if kind == "bn":
        return InputBatchNorm2d(channels)
    if kind == "fixed":
        return FixedInputNorm(torch.full((channels,), 128.0 / scale), torch.full((channels,), 128.0 / scale))
    if kind == "offline":
        mean, std = channel_stats(train_images)
        return FixedInputNorm(mean / scale, std.clamp_min(1e-6) / scale)
    raise ValueError(f"unknown input_norm {kind!r}")


def channel_stats(images: torch.Tensor, chunk: int = 512) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and std (ddof 1) of uint8 N x C x H x W images, in float64 chunks, so a
    large dataset (CUB, Cars: GBs of pixels) is never converted whole."""
    total = torch.zeros(images.shape[1], dtype=torch.float64)
    squares = torch.zeros_like(total)
    for part in images.split(chunk):
        pixels = part.transpose(0, 1).reshape(images.shape[1], -1).double()
        total += pixels.sum(dim=1)
        squares += pixels.square().sum(dim=1)
    count = images.numel() // images.shape[1]
    mean = total / count
    return mean, ((squares - count * mean.square()) / (count - 1)).clamp_min(0).sqrt()


def is_batchnorm(module: nn.Module) -> bool:
    """True for every BN-like layer of a network (the configured variant and the input BN)."""
    return isinstance(module, nn.modules.batchnorm._BatchNorm)


def bn_layers(model: nn.Module) -> list[nn.modules.batchnorm._BatchNorm]:
    """Every BN layer of `model` with a scale and a shift (affine), in module order, each once:
    the layers whose `weight` is a BN scale. Every class of NORM_LAYERS and InputBatchNorm2d is
    one; LayerNorm, GroupNorm, PReLU and any other module are not, whatever their parameters
    are called."""
    return [m for m in model.modules() if is_batchnorm(m) and m.affine]


def bn_scales(model: nn.Module) -> list[nn.Parameter]:
    """The method's BN scales (gamma): the `weight` of every layer in `bn_layers(model)`. The one
    definition the init, the optimizer's lr / c group and the recorded scale statistics share."""
    return [m.weight for m in bn_layers(model)]


class VariantBatchNorm2d(nn.BatchNorm2d, abc.ABC):
    """BN whose output is y = a * xhat + b with a per-channel (a, b) the variant computes from
    its parameters (`scale_shift`); nn.BatchNorm2d itself is the variant a = gamma, b = beta."""

    def __init__(self, num_features: int, **kwargs):
        super().__init__(num_features, **kwargs)
        if self.weight is None or self.bias is None:
            raise ValueError(f"{type(self).__name__} needs a scale and a shift (affine=True, bias=True)")

    @abc.abstractmethod
    def scale_shift(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The per-channel (a, b) of y = a * xhat + b (a may also depend on the input: rbn/iebn)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.normalize(x, *self.scale_shift())

    def normalize(
        self, x: torch.Tensor, weight: torch.Tensor | None = None, bias: torch.Tensor | None = None
    ) -> torch.Tensor:
        """nn.BatchNorm2d's forward with the given per-channel (weight, bias), None for xhat:
        the same batch/running statistics, momentum and eval-mode behaviour."""
        self._check_input_dim(x)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked)
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return F.batch_norm(
            x,
            self.running_mean if track else None,
            self.running_var if track else None,
            weight,
            bias,
            use_batch,
            factor,
            self.eps,
        )


class BatchNorm2dA1(VariantBatchNorm2d):
    """A1 (paper Sect. 4.4): y = gamma * (xhat + beta)."""

    def scale_shift(self):
        return self.weight, self.weight * self.bias


class BatchNorm2dA2(VariantBatchNorm2d):
    """A2 (paper Sect. 4.4): y = gamma * (lambda * xhat + beta), lambda per channel, init 1.

    gamma (`weight`) is the BN scale (gamma init, lr / c); lambda (`lam`) learns at the base lr.
    """

    def __init__(self, num_features: int, **kwargs):
        super().__init__(num_features, **kwargs)
        self.lam = nn.Parameter(torch.empty(num_features))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        super().reset_parameters()
        if "lam" in self._parameters:
            nn.init.ones_(self.lam)

    def scale_shift(self):
        return self.weight * self.lam, self.weight * self.bias


class CalibratedBatchNorm2d(VariantBatchNorm2d):
    """RBN / IEBN scale calibration (paper Table 2b): y = gamma * xhat * sigmoid(w_v * K + w_b) + beta,
    K the per-sample, per-channel spatial mean of xhat (RBN) or of the raw input x (IEBN).

    Subclasses set `k_of` ("xhat" | "x"), `w_b_init`, and `instance_term` (False: the `_minus`
    form, y = gamma * xhat * sigmoid(w_b) + beta, without w_v). w_v starts at 0.
    """

    k_of: str = "xhat"
    w_b_init: float = 1.0
    instance_term: bool = True

    def __init__(self, num_features: int, **kwargs):
        super().__init__(num_features, **kwargs)
        self.w_b = nn.Parameter(torch.empty(num_features))
        if self.instance_term:
            self.w_v = nn.Parameter(torch.empty(num_features))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        super().reset_parameters()
        if "w_b" in self._parameters:
            nn.init.constant_(self.w_b, self.w_b_init)
        if "w_v" in self._parameters:
            nn.init.zeros_(self.w_v)

    def scale_shift(self):
        """The per-channel (a, b); only the `_minus` forms have one (theirs does not depend on x)."""
        if self.instance_term:
            raise ValueError(
                f"{type(self).__name__}'s scale depends on each input (w_v * K): "
                "it has no fixed per-channel scale"
            )
        return self.weight * torch.sigmoid(self.w_b), self.bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.instance_term:
            return super().forward(x)
        xhat = self.normalize(x)
        k = (xhat if self.k_of == "xhat" else x).mean(dim=(2, 3))
        scale = self.weight * torch.sigmoid(self.w_v * k + self.w_b)
        return xhat * scale[:, :, None, None] + self.bias[:, None, None]


class RBN2d(CalibratedBatchNorm2d):
    """Representative BN's scaling: K = GAP(xhat), w_b init 1 (initial scale sigmoid(1) = 0.731)."""

    k_of, w_b_init, instance_term = "xhat", 1.0, True


class RBNMinus2d(CalibratedBatchNorm2d):
    """RBN without the instance term: y = gamma * xhat * sigmoid(w_b) + beta, w_b init 1."""

    k_of, w_b_init, instance_term = "xhat", 1.0, False


class IEBN2d(CalibratedBatchNorm2d):
    """Instance Enhancement BN's scaling: K = GAP(x), w_b init -1 (initial scale 0.269)."""

    k_of, w_b_init, instance_term = "x", -1.0, True


class IEBNMinus2d(CalibratedBatchNorm2d):
    """IEBN without the instance term: y = gamma * xhat * sigmoid(w_b) + beta, w_b init -1."""

    k_of, w_b_init, instance_term = "x", -1.0, False


def eval_scale_shift(bn: nn.BatchNorm2d) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel (scale, shift) with bn(x) == x * scale + shift in eval mode (running statistics),
    for folding a BN into the conv before it. ValueError for variants whose scale depends on x."""
    a, b = bn.scale_shift() if isinstance(bn, VariantBatchNorm2d) else (bn.weight, bn.bias)
    inv_std = torch.rsqrt(bn.running_var + bn.eps)
    return a * inv_std, b - a * bn.running_mean * inv_std


NORM_LAYERS: dict[str, type[nn.BatchNorm2d]] = {
    "ours": nn.BatchNorm2d,
    "base": nn.BatchNorm2d,
    "a1": BatchNorm2dA1,
    "a2": BatchNorm2dA2,
    "rbn": RBN2d,
    "iebn": IEBN2d,
    "rbn_minus": RBNMinus2d,
    "iebn_minus": IEBNMinus2d,
}
