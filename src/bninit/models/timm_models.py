"""Any timm model (`arch=timm timm_model=<name>`), built without pretrained weights, with every
BatchNorm2d swapped for the configured BN variant (bninit.method.convert).

timm models keep their own (ImageNet) form whatever the input size: small images are downsampled
by the model's full stride (e.g. 32x down to 1x1 for 32x32 inputs), which works but is not the
CIFAR form of the built-in architectures. Models without BatchNorm (e.g. ConvNeXt, ViT: LayerNorm)
are refused: the method acts on BN scales only.
"""

from collections import Counter

from torch import nn

from bninit.errors import UserError
from bninit.method.convert import convert_bn

NORMS = (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm, nn.LocalResponseNorm)
LIST_HINT = "list names with: python -c \"import timm; print(timm.list_models('resnet*'))\""


def check_timm_name(name: str) -> None:
    """Raise UserError unless timm knows a model called `name`."""
    import timm

    if not name:
        raise UserError(f"arch=timm needs timm_model=<name> (e.g. timm_model=resnet18); {LIST_HINT}")
    if not timm.is_model(name):
        raise UserError(f"unknown timm model '{name}'; {LIST_HINT}")


def timm_model(
    num_classes: int, in_channels: int, image_size: int, norm_layer: type[nn.Module], name: str
) -> nn.Module:
    """timm.create_model(name) with random weights, `in_channels` inputs and `num_classes`
    outputs; every BatchNorm2d becomes `norm_layer` (running statistics and shapes kept)."""
    import timm

    check_timm_name(name)
    model = timm.create_model(name, pretrained=False, num_classes=num_classes, in_chans=in_channels)
    if not any(isinstance(m, nn.BatchNorm2d) for m in model.modules()):
        found = ", ".join(sorted(Counter(type(m).__name__ for m in model.modules() if isinstance(m, NORMS))))
        found = found or "no normalization layer"
        raise UserError(
            f"timm model '{name}' has no BatchNorm2d ({found}): the method sets BN scales, so it has "
            "nothing to act on; choose a model with BN (e.g. resnet18, resnet50d, regnety_008)"
        )
    return convert_bn(model, norm_layer)
