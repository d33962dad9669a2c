"""The decoded-tensor cache: a dataset is decoded once into uint8 tensors under data_dir, and later
runs load that file in a fraction of a second.

One file per dataset and preprocessing version (`<data_dir>/bninit-cache/<name>-v<version>.pt`),
written atomically. It carries a CRC-32 of every tensor, checked on every load: a file that fails
to load or to match is deleted and rebuilt from the source files, never trusted.
"""

import zlib
from collections.abc import Callable
from pathlib import Path

import torch

from bninit.atomic import atomic_write
from bninit.data.image_data import ImageData

CACHE_DIR = "bninit-cache"
FORMAT = "bninit-cache"
ARRAYS = ("train_x", "train_y", "test_x", "test_y")

# Bump a dataset's version whenever its preprocessing changes: old caches are then ignored.
VERSIONS = {"cifar10": 1, "cifar100": 1, "cub200": 1, "stanford_cars": 1, "folder": 1}


def cache_path(name: str, data_dir: str | Path, kind: str | None = None) -> Path:
    """The cache file of dataset `name`, versioned by its `kind` (default: the name itself;
    image folders are named folder-<key> and versioned as "folder")."""
    return Path(data_dir) / CACHE_DIR / f"{name}-v{VERSIONS[kind or name]}.pt"


def crc32(tensor: torch.Tensor) -> int:
    return zlib.crc32(tensor.contiguous().numpy().data)


def save_cache(path: Path, arrays: dict[str, torch.Tensor], num_classes: int, source: str) -> None:
    """Write the tensors, their checksums and where they came from, atomically."""
    record = {
        "format": FORMAT,
        "name": path.stem,
        "num_classes": num_classes,
        "source": source,
        "arrays": {key: arrays[key].contiguous() for key in ARRAYS},
        "crc32": {key: crc32(arrays[key]) for key in ARRAYS},
    }
    atomic_write(path, lambda f: torch.save(record, f))


def read_cache(path: Path, verify: bool = True) -> dict | None:
    """The cache record at `path`; None if there is none or it is damaged (`verify` checks every
    tensor's CRC-32, otherwise only the header and shapes are read)."""
    if not path.is_file():
        return None
    try:
        record = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        arrays = record["arrays"]
        ok = (
            record["format"] == FORMAT
            and record["name"] == path.stem
            and set(arrays) == set(ARRAYS)
            and len(arrays["train_x"]) == len(arrays["train_y"])
            and len(arrays["test_x"]) == len(arrays["test_y"])
        )
        if ok and verify:
            ok = all(crc32(arrays[key]) == record["crc32"][key] for key in ARRAYS)
    except Exception:  # any unreadable file is a damaged cache: it is rebuilt, not trusted
        ok = False
    return record if ok else None


def cached(
    name: str,
    data_dir: str | Path,
    build: Callable[[], tuple[dict[str, torch.Tensor], int, str]],
    kind: str | None = None,
    source: str | None = None,
) -> dict:
    """The cache record for dataset `name`, building it with `build()` first if needed.

    `build` returns (arrays, num_classes, source description); it raises UserError when the
    source files are missing or broken, in which case nothing is written. With `source`, a
    cache whose recorded source differs (e.g. an image folder whose files changed) is rebuilt.
    """
    path = cache_path(name, data_dir, kind)
    record = read_cache(path)
    if record is not None and (source is None or record["source"] == source):
        return record
    if record is not None:
        print(f"{name}: the source changed since {path} was written; rebuilding it", flush=True)
        path.unlink()
    elif path.exists():
        print(f"{name}: cache {path} is damaged; deleting it and rebuilding", flush=True)
        path.unlink()
    arrays, num_classes, source = build()
    try:
        save_cache(path, arrays, num_classes, source)
        print(
            f"{name}: cached {len(arrays['train_y'])} train / {len(arrays['test_y'])} test "
            f"images as uint8 tensors in {path}",
            flush=True,
        )
    except OSError as err:  # a read-only data_dir still trains, just without the cache
        print(f"{name}: could not write the cache {path} ({err}); continuing without it", flush=True)
    return {"arrays": arrays, "num_classes": num_classes, "source": source}


def image_data(record: dict, image_size: int) -> ImageData:
    """The ImageData a cache record holds (see bninit.data.ImageData for the fields)."""
    a = record["arrays"]
    return ImageData(
        a["train_x"],
        a["train_y"],
        a["test_x"],
        a["test_y"],
        num_classes=record["num_classes"],
        image_size=image_size,
    )
