"""Batches from device-resident uint8 tensors: the data order and augmentation come from the
run's generator (a CPU generator: random numbers are drawn on the CPU, then moved to the data's
device), so the same seed gives the same batches on any device.

Augmentations (ImageData.augment): "none"; "flip" (random horizontal flip, CIFAR); "crop_flip"
(random image_size crop + flip from the stored, larger images, CUB/Cars: 224 from 256).
Evaluation uses the center image_size crop.
"""

from collections.abc import Iterator

import torch

AUGMENTATIONS = ("none", "flip", "crop_flip")


def train_batches(x: torch.Tensor, y: torch.Tensor, batch_size: int, generator: torch.Generator,
                  augment: str, image_size: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """One epoch of shuffled (float 0..255 images, labels) batches; the last batch may be short.

    `image_size` is the side the network sees (ImageData.image_size): the crop for "crop_flip".
    """
    if augment not in AUGMENTATIONS:
        raise ValueError(f"unknown augmentation {augment!r}; known: {', '.join(AUGMENTATIONS)}")
    order = torch.randperm(len(y), generator=generator).to(x.device)
    for start in range(0, len(y), batch_size):
        idx = order[start:start + batch_size]
        images = x[idx]
        if augment == "flip":
            images = random_hflip(images, generator)
        elif augment == "crop_flip":
            images = random_crop_flip(images, image_size, generator)
        yield images.float(), y[idx]


def eval_batches(x: torch.Tensor, y: torch.Tensor, batch_size: int,
                 image_size: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """In-order batches of the center `image_size` crop (the whole image when it is that size)."""
    for start in range(0, len(y), batch_size):
        images = center_crop(x[start:start + batch_size], image_size)
        yield images.float(), y[start:start + batch_size]


def random_hflip(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Mirror each image with probability 1/2 (the coin flips come from `generator`)."""
    flip = (torch.rand(len(images), generator=generator) < 0.5).to(images.device)
    return torch.where(flip[:, None, None, None], images.flip(-1), images)


def random_crop_flip(images: torch.Tensor, size: int, generator: torch.Generator) -> torch.Tensor:
    """A random size x size window of each image (every position equally likely), mirrored with
    probability 1/2: one gather, so it runs wherever `images` lives."""
    n, _, height, width = images.shape
    flip = torch.rand(n, generator=generator) < 0.5
    top = torch.randint(0, height - size + 1, (n,), generator=generator)
    left = torch.randint(0, width - size + 1, (n,), generator=generator)
    steps = torch.arange(size)
    rows = top[:, None] + steps  # n x size
    cols = left[:, None] + torch.where(flip[:, None], size - 1 - steps, steps)
    return _gather(images, rows.to(images.device), cols.to(images.device))


def center_crop(images: torch.Tensor, size: int) -> torch.Tensor:
    """The central size x size window (torchvision's CenterCrop for even differences)."""
    height, width = images.shape[-2:]
    top, left = (height - size) // 2, (width - size) // 2
    return images[..., top:top + size, left:left + size]


def _gather(images: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
    """images[i, :, rows[i]][..., cols[i]] for every i, as one advanced-indexing gather."""
    batch = torch.arange(len(images), device=images.device)[:, None, None, None]
    channel = torch.arange(images.shape[1], device=images.device)[None, :, None, None]
    return images[batch, channel, rows[:, None, :, None], cols[:, None, None, :]]
