"""Swap every BatchNorm2d of a built network for a BN variant (`bninit.convert_bn`).

Each BN is replaced by the variant with the same channels, eps, momentum and running statistics
(and its current scale and shift), so a converted network computes what it did before until the
method's init (`init_method`) sets the scales. A BN that also carries an activation and dropout
(timm's BatchNormAct2d: `act` and `drop` submodules) keeps them: the variant's output goes
through `drop`, then `act`, as in timm. The input BN (InputBatchNorm2d) is left alone.
"""

import functools

import torch
from torch import nn

from bninit.method.norms import NORM_LAYERS, InputBatchNorm2d

ACT_PARTS = ("drop", "act")  # timm's BatchNormAct2d: y = act(drop(bn(x)))


class _DropAct(nn.Module):
    """Mixin for a BN variant: drop, then act, after the variant's own forward."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.drop(super().forward(x)))


@functools.cache
def with_drop_act(variant: type[nn.BatchNorm2d]) -> type[nn.BatchNorm2d]:
    """The class `variant` followed by its `drop` and `act` submodules (one class per variant)."""
    return type(f"{variant.__name__}Act", (_DropAct, variant), {"__module__": __name__})


def convert_bn(model: nn.Module, variant: str | type[nn.BatchNorm2d] = "ours") -> nn.Module:
    """Replace every nn.BatchNorm2d in `model` (any subclass, e.g. timm's BatchNormAct2d) by
    `variant`: a `bn=` name (ours, base, a1, a2, rbn, iebn, rbn_minus, iebn_minus) or a
    BatchNorm2d subclass. Running statistics, eps, momentum, scale and shift are kept, the
    variant's extra parameters start at their own init. Works in place and returns `model`.

    Raises ValueError for an unknown variant name and for a model without any BatchNorm2d.
    """
    if isinstance(variant, str):
        if variant not in NORM_LAYERS:
            raise ValueError(f"unknown BN variant {variant!r}; known: {', '.join(NORM_LAYERS)}")
        variant = NORM_LAYERS[variant]
    # a BN without tensors of its own (affine=False, no running statistics) takes the model's
    # dtype and device from its first floating-point tensor
    model_tensor = _first_float(model)
    swapped = 0
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.BatchNorm2d) and not isinstance(child, InputBatchNorm2d):
                own = _first_float(child)
                setattr(parent, name, _converted(child, variant, model_tensor if own is None else own))
                swapped += 1
    if swapped == 0:
        raise ValueError(f"{type(model).__name__} has no BatchNorm2d layer to convert")
    return model


def _first_float(module: nn.Module) -> torch.Tensor | None:
    """The first floating-point parameter or buffer of `module` (None when it has none)."""
    tensors = (*module.parameters(), *module.buffers())
    return next((t for t in tensors if t.is_floating_point()), None)


def _converted(
    old: nn.BatchNorm2d, variant: type[nn.BatchNorm2d], reference: torch.Tensor | None
) -> nn.BatchNorm2d:
    """A `variant` layer with `old`'s settings, statistics, scale/shift and drop/act parts, with
    the dtype and device of `reference`."""
    parts = dict(old.named_children())
    extra = sorted(set(parts) - set(ACT_PARTS))
    if extra:
        raise ValueError(f"cannot convert {type(old).__name__}: unknown submodules {', '.join(extra)}")
    cls = with_drop_act(variant) if parts else variant
    new = cls(
        old.num_features, eps=old.eps, momentum=old.momentum, track_running_stats=old.track_running_stats
    )
    if reference is not None:
        new.to(device=reference.device, dtype=reference.dtype)
    with torch.no_grad():
        for key in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked"):
            source, target = getattr(old, key, None), getattr(new, key, None)
            if source is not None and target is not None:
                target.copy_(source)
    for key in ACT_PARTS:
        if key in parts:
            new.add_module(key, parts[key])
    new.train(old.training)
    return new
