"""The optimizer's parameter groups (BN scales at lr / c, no decay on 1-D parameters) and schedule."""

import torch
from torch import nn

from bninit.method.norms import bn_scales

ETA_MIN = 1e-8


def param_groups(model: nn.Module, lr: float, c: float = 100.0, weight_decay: float = 1e-4) -> list[dict]:
    """Three groups for any torch optimizer: BN scales (`bninit.method.norms.bn_scales`: the
    gamma of every BN layer) at lr/c without decay, other 1-D parameters (biases, BN shifts, the
    weights of LayerNorm, GroupNorm, PReLU) at lr without decay, everything else (conv/linear
    weights) at lr with `weight_decay`. Each group is a dict with "name", "params", "lr" and
    "weight_decay"; a group may be empty (drop those for optimizers that refuse them).

    Frozen parameters (the input BN's shift) are left out. Parameters keep the order of
    `model.parameters()` within each group.
    """
    is_scale = {id(p) for p in bn_scales(model)}
    scales, no_decay, decay = [], [], []
    for param in model.parameters():
        if not param.requires_grad:
            continue
        if id(param) in is_scale:
            scales.append(param)
        elif param.ndim <= 1:
            no_decay.append(param)
        else:
            decay.append(param)
    return [
        {"name": "bn_scale", "params": scales, "lr": lr / c, "weight_decay": 0.0},
        {"name": "no_decay", "params": no_decay, "lr": lr, "weight_decay": 0.0},
        {"name": "decay", "params": decay, "lr": lr, "weight_decay": weight_decay},
    ]


def build_optimizer(
    model: nn.Module, lr: float, c: float, weight_decay: float, momentum: float
) -> torch.optim.SGD:
    groups = [g for g in param_groups(model, lr, c, weight_decay) if g["params"]]
    return torch.optim.SGD(groups, lr=lr, momentum=momentum)


def build_scheduler(optimizer: torch.optim.Optimizer, epochs: int):
    """Half-period cosine over all epochs, stepped once per epoch; every group follows it."""
    return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs, eta_min=ETA_MIN)
