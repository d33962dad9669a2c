"""scikit-learn's 8x8 handwritten digits: the embedded dataset that works offline."""

import numpy as np
import torch
from sklearn.datasets import load_digits as sklearn_digits
from sklearn.model_selection import train_test_split

from bninit.data.image_data import ImageData
from bninit.data.split import SPLIT_SEED

TEST_FRACTION = 0.2


def load_digits() -> ImageData:
    """1797 1x8x8 images (0..16 scaled to 0..255 uint8); a fixed stratified 20% test split.

    No flip augmentation: a mirrored digit is a different (or no) digit.
    """
    bunch = sklearn_digits()
    images = np.round(bunch.images * (255.0 / 16.0)).astype(np.uint8)[:, None]
    labels = bunch.target.astype(np.int64)
    train_idx, test_idx = train_test_split(
        np.arange(len(labels)), test_size=TEST_FRACTION, stratify=labels, random_state=SPLIT_SEED
    )
    x, y = torch.from_numpy(images), torch.from_numpy(labels)
    return ImageData(x[train_idx], y[train_idx], x[test_idx], y[test_idx], num_classes=10, image_size=8)
