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


def train_batches(
    x: torch.Tensor,
    y: torch.Tensor,
    batch_size: int,
    generator: torch.Generator,
    augment: str,
    image_size: int,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """One epoch of shuffled (float 0..255 images, labels) batches; the last batch may be short.

    `image_size` is the side the network sees (ImageData.image_size): the crop for "crop_flip".
    The epoch's random numbers are drawn up front (in the order a batch-by-batch loop would draw
    them) and reach the data's device in one copy each, so the loop never waits on the host.
    """
    if augment not in AUGMENTATIONS:
        raise ValueError(f"unknown augmentation {augment!r}; known: {', '.join(AUGMENTATIONS)}")
    height, width = x.shape[-2:]
    order = torch.randperm(len(y), generator=generator)
    sizes = [len(idx) for idx in order.split(batch_size)]
    draws = [batch_draws(n, augment, height, width, image_size, generator) for n in sizes]
    order = order.to(x.device)
    draws = {
        key: torch.cat([d[key] for d in draws]).to(x.device).split(sizes)
        for key in (draws[0] if draws else ())
    }
    for i, idx in enumerate(order.split(batch_size)):
        images = x[idx]
        if augment == "flip":
            images = hflip(images, draws["flip"][i])
        elif augment == "crop_flip":
            images = crop_flip(images, image_size, draws["flip"][i], draws["top"][i], draws["left"][i])
        yield as_input(images), y[idx]


def batch_draws(
    n: int, augment: str, height: int, width: int, size: int, generator: torch.Generator
) -> dict[str, torch.Tensor]:
    """One batch's random numbers for `augment` (CPU tensors): flip coins, crop offsets."""
    if augment == "none":
        return {}
    draws = {"flip": torch.rand(n, generator=generator) < 0.5}
    if augment == "crop_flip":
        draws["top"] = torch.randint(0, height - size + 1, (n,), generator=generator)
        draws["left"] = torch.randint(0, width - size + 1, (n,), generator=generator)
    return draws


def eval_batches(
    x: torch.Tensor, y: torch.Tensor, batch_size: int, image_size: int, unit: bool = False
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """In-order batches of the center `image_size` crop (the whole image when it is that size),
    as 0..255 floats, or with `unit` as 0..1 (`as_input`)."""
    for start in range(0, len(y), batch_size):
        images = center_crop(x[start : start + batch_size], image_size)
        yield as_input(images, unit), y[start : start + batch_size]


def as_input(images: torch.Tensor, unit: bool = False) -> torch.Tensor:
    """uint8 images as the network's input: 0..255 floats, or with `unit` ToTensor's 0..1
    (float, then divided by 255: the same bits as torchvision's ToTensor)."""
    return images.float().div_(255) if unit else images.float()


def hflip(images: torch.Tensor, flip: torch.Tensor) -> torch.Tensor:
    """Mirror the images whose `flip` is true."""
    return torch.where(flip[:, None, None, None], images.flip(-1), images)


def crop_flip(
    images: torch.Tensor, size: int, flip: torch.Tensor, top: torch.Tensor, left: torch.Tensor
) -> torch.Tensor:
    """The size x size window of each image at (top, left), mirrored where `flip` is true: one
    gather, so it runs wherever `images` lives."""
    steps = torch.arange(size, device=images.device)
    rows = top[:, None] + steps  # n x size
    cols = left[:, None] + torch.where(flip[:, None], size - 1 - steps, steps)
    return _gather(images, rows, cols)


def center_crop(images: torch.Tensor, size: int) -> torch.Tensor:
    """The central size x size window (torchvision's CenterCrop for even differences)."""
    height, width = images.shape[-2:]
    top, left = (height - size) // 2, (width - size) // 2
    return images[..., top : top + size, left : left + size]


def _gather(images: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
    """images[i, :, rows[i]][..., cols[i]] for every i, as one advanced-indexing gather."""
    batch = torch.arange(len(images), device=images.device)[:, None, None, None]
    channel = torch.arange(images.shape[1], device=images.device)[None, :, None, None]
    return images[batch, channel, rows[:, None, :, None], cols[:, None, None, :]]
