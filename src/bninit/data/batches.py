"""Batches from device-resident uint8 tensors: the data order and augmentation come from the
run's generator, so the same seed gives the same batches."""

from collections.abc import Iterator

import torch


def train_batches(x: torch.Tensor, y: torch.Tensor, batch_size: int, generator: torch.Generator,
                  augment: str) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """One epoch of shuffled (float 0..255 images, labels) batches; the last batch may be short."""
    order = torch.randperm(len(y), generator=generator).to(x.device)
    for start in range(0, len(y), batch_size):
        idx = order[start:start + batch_size]
        images = x[idx]
        if augment == "flip":
            images = random_hflip(images, generator)
        elif augment != "none":
            raise ValueError(f"unknown augmentation {augment!r}")
        yield images.float(), y[idx]


def eval_batches(x: torch.Tensor, y: torch.Tensor,
                 batch_size: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    for start in range(0, len(y), batch_size):
        yield x[start:start + batch_size].float(), y[start:start + batch_size]


def random_hflip(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Mirror each image with probability 1/2 (the coin flips come from `generator`)."""
    flip = (torch.rand(len(images), generator=generator) < 0.5).to(images.device)
    return torch.where(flip[:, None, None, None], images.flip(-1), images)
