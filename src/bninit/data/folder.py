"""Your own images (`dataset=folder folder_path=DIR`), in torchvision's ImageFolder layout:
DIR/train/<class>/<image> and DIR/test/<class>/<image>, the same class folders in both, any image
file PIL reads. Images are decoded once, resized to the stored side (RGB, bilinear), and kept in
the checked tensor cache under data_dir; the cache's key holds every file's path, size and
modification time, so adding, removing or replacing an image rebuilds it.
"""

import hashlib
import math
from pathlib import Path

import torch
from PIL import Image
from torchvision.datasets import ImageFolder

from bninit.data.cache import cached, image_data
from bninit.data.image_data import ImageData
from bninit.data.images import load_resized
from bninit.errors import UserError

NAME = "folder"
SPLITS = ("train", "test")
LAYOUT = "train/<class>/<image> and test/<class>/<image>"
VAL_FRACTION = 0.1  # bninit.data.split holds out this share of every class for validation


def load_folder(path: str, data_dir: str, image_size: int, stored_size: int) -> ImageData:
    """The folder's images as an ImageData: stored at `stored_size`, seen at `image_size`."""
    root = Path(path).expanduser().resolve()
    samples, classes = list_images(root)
    files = [p for split in SPLITS for p, _ in samples[split]]
    source = f"{root} ({len(files)} images at {stored_size}x{stored_size}, files {files_key(root, files)})"
    key = hashlib.sha1(str(root).encode()).hexdigest()[:10]

    def build() -> tuple[dict[str, torch.Tensor], int, str]:
        size = f"{stored_size}x{stored_size}"
        print(f"{NAME}: decoding {len(files)} images from {root} (resized to {size}; done once)", flush=True)
        arrays = {}
        for split in SPLITS:
            paths = [Path(p) for p, _ in samples[split]]
            arrays[f"{split}_x"] = load_resized(paths, stored_size, NAME)
            arrays[f"{split}_y"] = torch.tensor([label for _, label in samples[split]], dtype=torch.int64)
        return arrays, len(classes), source

    record = cached(f"{NAME}-{key}-s{stored_size}", data_dir, build, kind=NAME, source=source)
    return image_data(record, image_size)


def list_images(root: Path) -> tuple[dict[str, list[tuple[str, int]]], list[str]]:
    """({split: [(file, class index)]}, class names), checked: one line naming the path if not."""
    if not root.is_dir():
        raise UserError(f"dataset '{NAME}': folder_path={root} is not a folder; expected {LAYOUT} in it")
    samples, class_names = {}, {}
    for split in SPLITS:
        folder = root / split
        if not folder.is_dir():
            raise UserError(f"dataset '{NAME}': {folder} is missing; expected {LAYOUT} in {root}")
        try:
            found = ImageFolder(str(folder), is_valid_file=is_image, allow_empty=True)
        except FileNotFoundError:
            raise UserError(f"dataset '{NAME}': no class folders in {folder}; expected {LAYOUT}") from None
        samples[split], class_names[split] = found.samples, found.classes
    train, test = class_names["train"], class_names["test"]
    if train != test:
        only_train, only_test = sorted(set(train) - set(test)), sorted(set(test) - set(train))
        raise UserError(
            f"dataset '{NAME}': the class folders of {root / 'train'} and {root / 'test'} differ "
            f"(only in train: {', '.join(only_train) or '-'}; only in test: {', '.join(only_test) or '-'})"
        )
    counts = [0] * len(train)
    for _, label in samples["train"]:
        counts[label] += 1
    for name, count in zip(train, counts, strict=True):
        if count < 2:
            raise UserError(
                f"dataset '{NAME}': {root / 'train' / name} has {count} image(s); every class needs at "
                f"least 2 training images (a {VAL_FRACTION:.0%} stratified share is held out for validation)"
            )
    held_out = math.ceil(VAL_FRACTION * len(samples["train"]))
    if held_out < len(train) or len(samples["train"]) - held_out < len(train):
        raise UserError(
            f"dataset '{NAME}': {root / 'train'} has {len(samples['train'])} images in {len(train)} "
            f"classes: too few for a {VAL_FRACTION:.0%} stratified validation split with every class in "
            f"it (needs at least {math.ceil(len(train) / VAL_FRACTION)} training images)"
        )
    return samples, train


def is_image(path: str) -> bool:
    """A file PIL can open by its extension (hidden files are skipped)."""
    file = Path(path)
    return not file.name.startswith(".") and file.suffix.lower() in Image.registered_extensions()


def files_key(root: Path, files: list[str]) -> str:
    """A digest of every file's path (relative to root), size and modification time."""
    digest = hashlib.sha1()
    for name in files:
        stat = Path(name).stat()
        digest.update(f"{Path(name).relative_to(root)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]
