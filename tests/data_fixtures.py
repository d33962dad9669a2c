"""Tiny datasets in the OFFICIAL formats, for testing the real loaders without downloads.

* CIFAR: cifar-10-batches-py/ (data_batch_1..5, test_batch, batches.meta) or cifar-100-python/
  (train, test, meta): pickled dicts with a uint8 N x 3072 `data` array (R, G, B planes, row-major)
  and label lists, as the official files; plus the .tar.gz of that folder.
* CUB-200-2011: CUB_200_2011/ with images.txt, train_test_split.txt, image_class_labels.txt,
  classes.txt and images/<class folder>/<name>.jpg; plus CUB_200_2011.tgz.
* Stanford Cars: stanford_cars/ with cars_train/, cars_test/, devkit/cars_train_annos.mat,
  devkit/cars_meta.mat and cars_test_annos_withlabels.mat written by scipy.io.savemat.

The fixture files are not the official ones, so their MD5s differ from torchvision's list: tests
that load a CIFAR fixture swap torchvision's expected checksums for the fixture's
(`use_fixture_checksums`), and other tests check that the real checksums reject the fixture.

CUB/Cars images are flat colours (one per image, JPEG keeps those within a few levels), so a test
can tell which image ended up where.
"""

import hashlib
import pickle
import tarfile
from pathlib import Path

import numpy as np
import scipy.io
from PIL import Image
from torchvision.datasets import CIFAR10, CIFAR100

CIFAR = {"cifar10": CIFAR10, "cifar100": CIFAR100}


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------- CIFAR


def make_cifar(
    root: Path,
    name: str = "cifar10",
    per_class: int = 10,
    test_per_class: int = 2,
    seed: int = 0,
    learnable: bool = False,
) -> dict:
    """Write the extracted official folder under root; return the expected NCHW arrays. The
    images are noise; `learnable` adds a brightness per class (a network can learn the labels)."""
    cls = CIFAR[name]
    classes = 10 if name == "cifar10" else 100
    rng = np.random.default_rng(seed)
    train_y = rng.permutation(np.repeat(np.arange(classes), per_class))
    test_y = rng.permutation(np.repeat(np.arange(classes), test_per_class))
    train_x = rng.integers(0, 256, (len(train_y), 3, 32, 32), dtype=np.uint8)
    test_x = rng.integers(0, 256, (len(test_y), 3, 32, 32), dtype=np.uint8)
    if learnable:
        step = 192 // classes
        train_x = (train_x // 4 + (train_y * step)[:, None, None, None]).astype(np.uint8)
        test_x = (test_x // 4 + (test_y * step)[:, None, None, None]).astype(np.uint8)
    folder = root / cls.base_folder
    folder.mkdir(parents=True)
    label_key = "labels" if name == "cifar10" else "fine_labels"
    train_files = [f for f, _ in cls.train_list]
    for i, chunk in enumerate(np.array_split(np.arange(len(train_y)), len(train_files))):
        _pickle(folder / train_files[i], train_x[chunk], train_y[chunk], label_key)
    _pickle(folder / cls.test_list[0][0], test_x, test_y, label_key)
    names = [f"class_{i}" for i in range(classes)]
    with open(folder / cls.meta["filename"], "wb") as f:
        pickle.dump({cls.meta["key"]: names}, f, protocol=2)
    return {"train_x": train_x, "train_y": train_y, "test_x": test_x, "test_y": test_y, "classes": classes}


def _pickle(path: Path, x: np.ndarray, y: np.ndarray, label_key: str) -> None:
    entry = {
        "batch_label": path.name,
        label_key: [int(v) for v in y],
        "data": x.reshape(len(x), 3072),
        "filenames": [f"img_{i}.png" for i in range(len(x))],
    }
    if label_key == "fine_labels":
        entry["coarse_labels"] = [int(v) // 5 for v in y]
    with open(path, "wb") as f:
        pickle.dump(entry, f, protocol=2)


def make_cifar_tarball(root: Path, name: str = "cifar10", **kwargs) -> dict:
    """The official .tar.gz (one top-level folder) in root, without the extracted folder."""
    cls = CIFAR[name]
    staging = root / ".staging"
    expected = make_cifar(staging, name, **kwargs)
    root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(root / cls.filename, "w:gz") as tar:
        tar.add(staging / cls.base_folder, arcname=cls.base_folder)
    expected["checksums"] = {**cifar_checksums(staging, name), "tgz_md5": md5(root / cls.filename)}
    _rmtree(staging)
    return expected


def cifar_checksums(root: Path, name: str) -> dict:
    """The fixture's MD5s in the shape of torchvision's class attributes."""
    cls = CIFAR[name]
    folder = root / cls.base_folder
    return {
        "train_list": [[f, md5(folder / f)] for f, _ in cls.train_list],
        "test_list": [[f, md5(folder / f)] for f, _ in cls.test_list],
        "meta": {**cls.meta, "md5": md5(folder / cls.meta["filename"])},
    }


def use_fixture_checksums(monkeypatch, name: str, checksums: dict) -> None:
    """Make torchvision's CIFAR class expect the fixture's MD5s (its checks still run)."""
    for attribute, value in checksums.items():
        monkeypatch.setattr(CIFAR[name], attribute, value)


# ---------------------------------------------------------------- CUB-200-2011


def make_cub(root: Path, classes: int = 3, train_per_class: int = 8, test_per_class: int = 2) -> dict:
    """CUB_200_2011/ under root; returns labels (0-based), split flags and colours in id order."""
    folder = root / "CUB_200_2011"
    labels, is_train, colors, lines = [], [], [], {"images": [], "split": [], "labels": []}
    image_id = 0
    for c in range(classes):
        class_dir = f"{c + 1:03d}.Bird_{c + 1}"
        (folder / "images" / class_dir).mkdir(parents=True)
        for k in range(train_per_class + test_per_class):
            image_id += 1
            color = _color(image_id)
            mode = "L" if image_id == 2 else "RGB"  # CUB has a few grayscale images
            if mode == "L":
                color = (color[0],) * 3
            rel = f"{class_dir}/Bird_{c + 1}_{image_id:04d}.jpg"
            _flat_jpeg(folder / "images" / rel, color, mode, size=(20 + k, 14 + 2 * c))
            train = k < train_per_class
            lines["images"].append(f"{image_id} {rel}")
            lines["split"].append(f"{image_id} {int(train)}")
            lines["labels"].append(f"{image_id} {c + 1}")
            labels.append(c)
            is_train.append(train)
            colors.append(color)
    (folder / "images.txt").write_text("\n".join(lines["images"]) + "\n")
    (folder / "train_test_split.txt").write_text("\n".join(lines["split"]) + "\n")
    (folder / "image_class_labels.txt").write_text("\n".join(lines["labels"]) + "\n")
    (folder / "classes.txt").write_text(
        "".join(f"{c + 1} {c + 1:03d}.Bird_{c + 1}\n" for c in range(classes))
    )
    return {
        "labels": np.array(labels),
        "is_train": np.array(is_train),
        "colors": np.array(colors),
        "classes": classes,
    }


def make_cub_tgz(root: Path, **kwargs) -> dict:
    """The official CUB_200_2011.tgz (plus its top-level attributes.txt) in root."""
    staging = root / ".staging"
    expected = make_cub(staging, **kwargs)
    (staging / "attributes.txt").write_text("1 has_bill_shape::curved\n")
    with tarfile.open(root / "CUB_200_2011.tgz", "w:gz") as tar:
        tar.add(staging / "attributes.txt", arcname="attributes.txt")
        tar.add(staging / "CUB_200_2011", arcname="CUB_200_2011")
    _rmtree(staging)
    return expected


# ---------------------------------------------------------------- Stanford Cars


def make_cars(root: Path, classes: int = 3, train_per_class: int = 8, test_per_class: int = 2) -> dict:
    """stanford_cars/ under root in the official layout; labels 0-based, colours per split."""
    base = root / "stanford_cars"
    expected = {"classes": classes}
    for split, per_class, offset in (("train", train_per_class, 0), ("test", test_per_class, 500)):
        folder = base / f"cars_{split}"
        folder.mkdir(parents=True)
        labels = [c for k in range(per_class) for c in range(classes)]  # interleaved, as official
        rows, colors = [], []
        for i, label in enumerate(labels):
            fname = f"{i + 1:05d}.jpg"
            color = _color(offset + i + 1)
            _flat_jpeg(folder / fname, color, "RGB", size=(30 + i % 5, 18 + label))
            rows.append((np.uint8(1), np.uint8(2), np.uint16(20), np.uint8(12), np.uint8(label + 1), fname))
            colors.append(color)
        dtype = [
            ("bbox_x1", "O"),
            ("bbox_y1", "O"),
            ("bbox_x2", "O"),
            ("bbox_y2", "O"),
            ("class", "O"),
            ("fname", "O"),
        ]
        annotations = np.array([rows], dtype=dtype)  # a 1 x N MATLAB struct array
        mat = (
            base / "devkit" / "cars_train_annos.mat"
            if split == "train"
            else base / "cars_test_annos_withlabels.mat"
        )
        mat.parent.mkdir(parents=True, exist_ok=True)
        scipy.io.savemat(mat, {"annotations": annotations})
        expected[f"{split}_y"] = np.array(labels)
        expected[f"{split}_colors"] = np.array(colors)
    names = np.empty((1, classes), dtype=object)
    names[0, :] = [f"Car Model {c + 1} 2012" for c in range(classes)]
    scipy.io.savemat(base / "devkit" / "cars_meta.mat", {"class_names": names})
    return expected


def make_cars_archives(root: Path, **kwargs) -> dict:
    """The official archives cars_train.tgz, cars_test.tgz, car_devkit.tgz (+ the test .mat)."""
    expected = make_cars(root, **kwargs)
    base = root / "stanford_cars"
    for folder, archive in (
        ("cars_train", "cars_train.tgz"),
        ("cars_test", "cars_test.tgz"),
        ("devkit", "car_devkit.tgz"),
    ):
        with tarfile.open(base / archive, "w:gz") as tar:
            tar.add(base / folder, arcname=folder)
        _rmtree(base / folder)
    return expected


# ---------------------------------------------------------------- helpers


def _color(i: int) -> tuple[int, int, int]:
    return (37 * i) % 256, (91 * i + 40) % 256, (53 * i + 100) % 256


def _flat_jpeg(path: Path, color: tuple[int, int, int], mode: str, size: tuple[int, int]) -> None:
    value = color[0] if mode == "L" else color
    Image.new(mode, size, value).save(path, format="JPEG", quality=95)


def _rmtree(path: Path) -> None:
    import shutil

    shutil.rmtree(path)
