"""The run's augmentation (config key `augment`) applied to a loaded dataset.

"flip": random horizontal flip (CIFAR, the paper's default). "crop_flip": a random crop of the
side the network sees, plus flip: from the stored 256x256 images for CUB/Cars (224 crops), and
from images zero-padded by CROP_PADDING pixels where the stored side is already the network's
(CIFAR: 32x32 crops of 40x40, the paper's "stronger BASE"). "none": the images as they are.
"""

import dataclasses

import torch
import torch.nn.functional as F

from bninit.data.image_data import ImageData
from bninit.errors import UserError

CROP_PADDING = 4


def with_augment(data: ImageData, augment: str, dataset: str) -> ImageData:
    """`data` with the run's augmentation; refuses one that cannot give the network's image size."""
    stored = data.train_x.shape[-1]
    if stored > data.image_size and augment != "crop_flip":
        raise UserError(
            f"augment={augment} is not allowed for {dataset}: its images are stored at "
            f"{stored}x{stored} and the network sees {data.image_size}x{data.image_size} "
            "crops; allowed: crop_flip"
        )
    return dataclasses.replace(data, augment=augment)


def crop_padding(data: ImageData) -> int:
    """Zero padding (pixels per side) to add to the training images before random crops."""
    return CROP_PADDING if data.augment == "crop_flip" and data.train_x.shape[-1] == data.image_size else 0


def zero_pad(images: torch.Tensor, pad: int) -> torch.Tensor:
    """The images with `pad` zero pixels on every side (unchanged for pad 0)."""
    return F.pad(images, (pad, pad, pad, pad)) if pad else images
