"""A small image folder in torchvision's ImageFolder layout, made of scikit-learn's digits as RGB
PNG files (upscaled, one colour tint per class), for the dataset=folder tests."""

from pathlib import Path

import numpy as np
from PIL import Image
from sklearn.datasets import load_digits


def make_image_folder(root: Path, train: int = 12, test: int = 4, side: int = 16, classes: int = 10) -> Path:
    """root/train/<digit>/*.png (`train` per class) and root/test/<digit>/*.png (`test` per class)."""
    bunch = load_digits()
    for label in range(classes):
        images = bunch.images[bunch.target == label]
        for split, start, count in (("train", 0, train), ("test", train, test)):
            folder = root / split / f"digit{label}"
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(count):
                write_png(folder / f"{i:03d}.png", images[start + i], side, label)
    return root


def write_png(path: Path, digit: np.ndarray, side: int, label: int) -> None:
    gray = (digit * (255 / 16)).astype(np.uint8)
    tint = np.array([255, 255 - 20 * label, 60 + 15 * label], dtype=np.float64) / 255
    rgb = (gray[..., None] * tint).astype(np.uint8)
    Image.fromarray(rgb).resize((side, side), Image.NEAREST).save(path)
