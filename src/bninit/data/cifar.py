"""CIFAR-10/100 through torchvision's dataset classes (the official python-pickle format, each file
checked against torchvision's MD5 list), decoded once into the tensor cache.

Sources, in order: the extracted folder (cifar-10-batches-py/ or cifar-100-python/) in data_dir,
the official tarball (cifar-10-python.tar.gz / cifar-100-python.tar.gz) in data_dir (MD5-checked,
then extracted safely), else a download through torchvision (when online).
"""

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch
from torchvision.datasets import CIFAR10, CIFAR100
from torchvision.datasets.utils import check_integrity, download_url

from bninit.data.archive import extract
from bninit.data.cache import cached, image_data
from bninit.data.image_data import ImageData
from bninit.errors import UserError

CLASSES = {"cifar10": CIFAR10, "cifar100": CIFAR100}


def expected_files(name: str, data_dir: str | Path) -> str:
    cls = CLASSES[name]
    return (
        f"the official {cls.filename} or its extracted folder {cls.base_folder}/ in "
        f"data_dir={data_dir} (or be online to download it)"
    )


def source_status(name: str, data_dir: str | Path) -> str | None:
    """Which source files are present ('folder ...' / 'archive ...'), None when neither is."""
    cls = CLASSES[name]
    root = Path(data_dir)
    if (root / cls.base_folder).is_dir():
        return f"folder {root / cls.base_folder}"
    if (root / cls.filename).is_file():
        return f"archive {root / cls.filename}"
    return None


def load_cifar(name: str, data_dir: str) -> ImageData:
    record = cached(name, data_dir, lambda: build_cifar(name, data_dir))
    return image_data(record, 32)


def build_cifar(name: str, data_dir: str | Path) -> tuple[dict[str, torch.Tensor], int, str]:
    """Decode the official files (extracting or downloading them first if needed)."""
    cls = CLASSES[name]
    root = Path(data_dir)
    folder, archive = root / cls.base_folder, root / cls.filename
    if folder.is_dir():
        source = str(folder)
    elif archive.is_file():
        _check_md5(name, archive)
        print(f"{name}: extracting {archive} into {root}", flush=True)
        extract(archive, root, cls.base_folder, name)
        source = str(archive)
    else:
        _download(name, root)
        source = cls.url
    try:
        train = cls(str(root), train=True, download=False)
        test = cls(str(root), train=False, download=False)
    except RuntimeError:
        raise UserError(
            f"dataset '{name}': {folder} fails torchvision's MD5 check (a damaged or unofficial "
            f"copy); replace it with {expected_files(name, data_dir)}"
        ) from None
    arrays = {
        "train_x": _nchw(train.data),
        "train_y": torch.tensor(train.targets),
        "test_x": _nchw(test.data),
        "test_y": torch.tensor(test.targets),
    }
    return arrays, len(train.classes), source


def _check_md5(name: str, archive: Path) -> None:
    expected = CLASSES[name].tgz_md5
    if not check_integrity(str(archive), expected):  # torchvision's own check
        raise UserError(
            f"dataset '{name}': {archive} fails its MD5 check (expected {expected}, the "
            f"official file); replace it with the official {archive.name}"
        )


def _download(name: str, root: Path) -> None:
    """torchvision's download (MD5-checked) into a temp folder, then a safe extraction."""
    cls = CLASSES[name]
    created = not root.exists()
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=root, prefix=f".{cls.filename}.download-"))
    try:
        print(f"{name}: not in data_dir={root}; downloading {cls.url}", flush=True)
        download_url(cls.url, str(staging), cls.filename, cls.tgz_md5)
        os.replace(staging / cls.filename, root / cls.filename)
    except Exception as err:  # offline, proxy, bad MD5: all mean "put the file there yourself"
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        shutil.rmtree(staging, ignore_errors=True)
        if created:  # leave no empty data_dir behind
            root.rmdir()
        raise UserError(
            f"dataset '{name}' is missing: put {expected_files(name, root)} (download failed: {reason})"
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    extract(root / cls.filename, root, cls.base_folder, name)


def _nchw(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2)))
