"""K networks of one structure as one fused network (the packing probe's third way): every
convolution becomes one grouped convolution over K times the channels (seed k owns the k-th
block of channels, groups = K x the original groups), every BN one BN over K times the channels
(so each seed's statistics come from its own batch alone), and the classifier one batched
matrix product. Seed k's images travel in channel block k of one input batch, so a forward pass
computes exactly each seed's own network; the losses are summed over seeds, so the gradient of
seed k's weights is that of its own loss.

Fuses what bninit's ResNets are made of (Conv2d, BatchNorm2d and bninit's input BN, Linear, and
modules without parameters such as ReLU, pooling, Flatten, torchvision's BasicBlock); a
network with any other module that holds parameters is refused (ValueError)."""

import copy

import torch
from torch import nn

from bninit.method.norms import InputBatchNorm2d


class BatchedLinear(nn.Module):
    """K linear layers at once: input B x (K * in) (seed k's features in block k), output
    K x B x out. `weight` is K x out x in, `bias` K x out (the K layers' own, stacked)."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None):
        super().__init__()
        self.weight = nn.Parameter(weight.detach().clone())
        self.bias = None if bias is None else nn.Parameter(bias.detach().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k, _, features = self.weight.shape
        per_seed = x.reshape(x.shape[0], k, features).transpose(0, 1)  # K x B x in
        out = torch.bmm(per_seed, self.weight.transpose(1, 2))
        return out if self.bias is None else out + self.bias[:, None, :]


def fused_conv(convs: list[nn.Conv2d]) -> nn.Conv2d:
    c, k = convs[0], len(convs)
    if c.padding_mode != "zeros":
        raise ValueError(f"cannot fuse a Conv2d with padding_mode={c.padding_mode!r}")
    out = nn.Conv2d(
        k * c.in_channels,
        k * c.out_channels,
        c.kernel_size,
        stride=c.stride,
        padding=c.padding,
        dilation=c.dilation,
        groups=k * c.groups,
        bias=c.bias is not None,
    )
    with torch.no_grad():
        out.weight.copy_(torch.cat([m.weight for m in convs]))
        if c.bias is not None:
            out.bias.copy_(torch.cat([m.bias for m in convs]))
    return out


def fused_bn(bns: list[nn.BatchNorm2d]) -> nn.BatchNorm2d:
    b, k = bns[0], len(bns)
    out = nn.BatchNorm2d(
        k * b.num_features,
        eps=b.eps,
        momentum=b.momentum,
        affine=b.affine,
        track_running_stats=b.track_running_stats,
    )
    with torch.no_grad():
        if b.affine:
            out.weight.copy_(torch.cat([m.weight for m in bns]))
            out.bias.copy_(torch.cat([m.bias for m in bns]))
            out.weight.requires_grad_(b.weight.requires_grad)
            out.bias.requires_grad_(b.bias.requires_grad)  # bninit's input BN: a frozen shift
        if b.track_running_stats:
            out.running_mean.copy_(torch.cat([m.running_mean for m in bns]))
            out.running_var.copy_(torch.cat([m.running_var for m in bns]))
            out.num_batches_tracked.copy_(b.num_batches_tracked)
    return out


def fused_part(name: str, parts: list[nn.Module]) -> nn.Module | None:
    """The fused module for the K modules at `name`, or None for one that needs no change."""
    first = parts[0]
    if type(first) is nn.Conv2d:
        return fused_conv(parts)
    if type(first) in (nn.BatchNorm2d, InputBatchNorm2d):  # BN variants compute otherwise: refused
        return fused_bn(parts)
    if type(first) is nn.Linear:
        weight = torch.stack([m.weight for m in parts])
        bias = None if first.bias is None else torch.stack([m.bias for m in parts])
        return BatchedLinear(weight, bias)
    if any(True for _ in first.parameters(recurse=False)):
        raise ValueError(f"cannot fuse {name or 'the network'}: {type(first).__name__} holds parameters")
    return None


def fuse(models: list[nn.Module]) -> nn.Module:
    """One network computing the K `models` (the same structure, their own weights) side by side:
    input B x (K * C) x H x W, seed k's images in channels k*C..(k+1)*C-1; output K x B x classes."""
    structures = {tuple((n, type(m)) for n, m in model.named_modules()) for model in models}
    if len(structures) != 1:
        raise ValueError("cannot fuse networks of different structures")
    fused = copy.deepcopy(models[0])
    for name, _ in list(models[0].named_modules()):
        if not name:
            continue
        replacement = fused_part(name, [model.get_submodule(name) for model in models])
        if replacement is not None:
            parent, _, child = name.rpartition(".")
            setattr(fused.get_submodule(parent) if parent else fused, child, replacement)
    if fused_part("", [models[0]]) is not None:  # the root itself a Conv2d/BN/Linear
        raise ValueError("cannot fuse a single layer: give the network that holds it")
    return fused


def fused_input(images: torch.Tensor) -> torch.Tensor:
    """K x B x C x H x W (seed k's batch at k) -> B x (K * C) x H x W, the fused network's input."""
    k, b, c, h, w = images.shape
    return images.transpose(0, 1).reshape(b, k * c, h, w)
