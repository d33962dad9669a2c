"""Image files -> one uint8 N x 3 x S x S tensor, decoded with PIL and resized to S x S (bilinear,
as torchvision's Resize((S, S)) does on PIL images); grayscale and CMYK files become RGB."""

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from bninit.errors import UserError


def load_resized(paths: list[Path], size: int, dataset: str) -> torch.Tensor:
    """Decode and resize every file (PIL releases the GIL, so threads use every core)."""
    out = torch.empty((len(paths), 3, size, size), dtype=torch.uint8)

    def load(i: int) -> None:
        try:
            with Image.open(paths[i]) as image:
                rgb = image.convert("RGB").resize((size, size), Image.BILINEAR)
        except (OSError, UnidentifiedImageError) as err:
            raise UserError(f"dataset '{dataset}': cannot read image {paths[i]}: {err}") from None
        out[i] = torch.from_numpy(np.asarray(rgb).transpose(2, 0, 1).copy())

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(load, range(len(paths))))
    return out
