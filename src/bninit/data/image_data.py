"""A dataset as uint8 image tensors: what every loader returns and a run trains on."""

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class ImageData:
    train_x: torch.Tensor  # uint8, N x C x H x W
    train_y: torch.Tensor  # int64, N
    test_x: torch.Tensor
    test_y: torch.Tensor
    num_classes: int
    image_size: int  # the side the network sees (after any crop)
    # "none" | "flip" | "crop_flip" (bninit.data.batches): the run's choice (config key `augment`,
    # per dataset in conf/dataset/<name>.yaml), set by bninit.data.augment.with_augment; a loader
    # leaves it None.
    augment: str | None = None

    @property
    def channels(self) -> int:
        return self.train_x.shape[1]
