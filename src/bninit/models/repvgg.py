"""RepVGG-A0 (Ding et al., 2021), written here (SPEC §5): five stages of widths 48, 48, 96, 192,
1280 and depths 1, 2, 4, 14, 1; each block sums a 3x3 conv+BN, a 1x1 conv+BN and, when input and
output shapes match, an identity BN, then ReLU. The first block of each stage strides 2, except
stages 0 and 1 in the CIFAR form. `fuse()` folds each block into one 3x3 conv for inference.
"""

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from bninit.method.norms import eval_scale_shift
from bninit.models.forms import cifar_form

WIDTHS = (48, 48, 96, 192, 1280)
DEPTHS = (1, 2, 4, 14, 1)


def conv_bn(in_channels: int, out_channels: int, kernel: int, stride: int, norm_layer) -> nn.Sequential:
    conv = nn.Conv2d(in_channels, out_channels, kernel, stride=stride, padding=kernel // 2, bias=False)
    return nn.Sequential(OrderedDict(conv=conv, bn=norm_layer(out_channels)))


def fold(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> tuple[torch.Tensor, torch.Tensor]:
    """(kernel, bias) of the conv that equals conv followed by bn in eval mode."""
    scale, shift = eval_scale_shift(bn)
    return conv.weight * scale[:, None, None, None], shift


class RepVGGBlock(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, stride: int, norm_layer):
        super().__init__()
        self.in_channels, self.out_channels, self.stride = in_channels, out_channels, stride
        self.branch3x3 = conv_bn(in_channels, out_channels, 3, stride, norm_layer)
        self.branch1x1 = conv_bn(in_channels, out_channels, 1, stride, norm_layer)
        has_identity = in_channels == out_channels and stride == 1
        self.identity = norm_layer(out_channels) if has_identity else None
        self.fused: nn.Conv2d | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fused is not None:
            return F.relu(self.fused(x))
        out = self.branch3x3(x) + self.branch1x1(x)
        if self.identity is not None:
            out = out + self.identity(x)
        return F.relu(out)

    @torch.no_grad()
    def fuse(self) -> None:
        """Replace the branches by one 3x3 conv with bias (equal in eval mode)."""
        if self.fused is not None:
            return
        kernel, bias = fold(self.branch3x3.conv, self.branch3x3.bn)
        kernel_1x1, bias_1x1 = fold(self.branch1x1.conv, self.branch1x1.bn)
        kernel = kernel + F.pad(kernel_1x1, (1, 1, 1, 1))
        bias = bias + bias_1x1
        if self.identity is not None:
            scale, shift = eval_scale_shift(self.identity)
            channels = torch.arange(self.out_channels)
            kernel[channels, channels, 1, 1] += scale
            bias = bias + shift
        fused = nn.Conv2d(
            self.in_channels, self.out_channels, 3, stride=self.stride, padding=1, bias=True
        ).to(kernel.device, kernel.dtype)
        fused.weight.copy_(kernel)
        fused.bias.copy_(bias)
        self.fused, self.branch3x3, self.branch1x1, self.identity = fused, None, None, None


class RepVGG(nn.Module):
    def __init__(
        self, num_classes: int, in_channels: int, norm_layer, cifar: bool, widths=WIDTHS, depths=DEPTHS
    ):
        super().__init__()
        stages, channels = [], in_channels
        for index, (width, depth) in enumerate(zip(widths, depths, strict=True)):
            first_stride = 1 if cifar and index < 2 else 2
            blocks = []
            for block in range(depth):
                blocks.append(RepVGGBlock(channels, width, first_stride if block == 0 else 1, norm_layer))
                channels = width
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stages(x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))

    def fuse(self) -> "RepVGG":
        """Fold every block into one 3x3 conv (uses the BN running statistics: for inference).

        ValueError for BN variants whose scale depends on the input (rbn, iebn)."""
        for module in self.modules():
            if isinstance(module, RepVGGBlock):
                module.fuse()
        return self


def repvgg_a0(num_classes: int, in_channels: int, image_size: int, norm_layer) -> nn.Module:
    """RepVGG-A0; CIFAR form (stages 0 and 1 stride 1) for image_size <= 64."""
    return RepVGG(num_classes, in_channels, norm_layer, cifar=cifar_form(image_size))
