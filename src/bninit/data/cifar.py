"""CIFAR-10/100 through torchvision's dataset classes (official python-pickle format)."""

import numpy as np
import torch
from torchvision.datasets import CIFAR10, CIFAR100

from bninit.data import ImageData
from bninit.errors import UserError

CLASSES = {"cifar10": CIFAR10, "cifar100": CIFAR100}


def load_cifar(name: str, data_dir: str) -> ImageData:
    cls = CLASSES[name]
    try:
        train = cls(data_dir, train=True, download=False)
        test = cls(data_dir, train=False, download=False)
    except RuntimeError:
        raise UserError(
            f"dataset '{name}' is missing: put the official {cls.filename} extracted as "
            f"{cls.base_folder}/ into data_dir={data_dir}"
        ) from None
    return ImageData(_nchw(train.data), torch.tensor(train.targets), _nchw(test.data),
                     torch.tensor(test.targets), num_classes=len(train.classes),
                     augment="flip", image_size=32)


def _nchw(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2)))
