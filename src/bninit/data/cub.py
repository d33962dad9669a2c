"""CUB-200-2011 from its official layout: CUB_200_2011/ with images.txt, train_test_split.txt,
image_class_labels.txt and images/ (5994 train / 5794 test, 200 classes), in data_dir either as
the extracted folder or as the official CUB_200_2011.tgz. Images are resized to 256x256 once
(as the paper does) and cached; the network sees random 224 crops (train) or the center crop."""

from pathlib import Path

import torch

from bninit.data.archive import extract
from bninit.data.cache import cached, image_data
from bninit.data.image_data import ImageData
from bninit.data.images import load_resized
from bninit.errors import UserError

NAME = "cub200"
FOLDER = "CUB_200_2011"
ARCHIVE = "CUB_200_2011.tgz"
INDEX_FILES = ("images.txt", "train_test_split.txt", "image_class_labels.txt")
STORED_SIZE, IMAGE_SIZE = 256, 224


def expected_files(data_dir: str | Path) -> str:
    return (
        f"the official {ARCHIVE} or its extracted folder {FOLDER}/ ({', '.join(INDEX_FILES)}, "
        f"images/) in data_dir={data_dir}"
    )


def source_status(data_dir: str | Path) -> str | None:
    root = Path(data_dir)
    if (root / FOLDER).is_dir():
        return f"folder {root / FOLDER}"
    if (root / ARCHIVE).is_file():
        return f"archive {root / ARCHIVE}"
    return None


def load_cub(data_dir: str) -> ImageData:
    record = cached(NAME, data_dir, lambda: build_cub(data_dir))
    return image_data(record, IMAGE_SIZE)


def build_cub(data_dir: str | Path) -> tuple[dict[str, torch.Tensor], int, str]:
    root = Path(data_dir)
    folder = root / FOLDER
    if not folder.is_dir():
        if not (root / ARCHIVE).is_file():
            raise UserError(f"dataset '{NAME}' is missing: put {expected_files(data_dir)}")
        print(f"{NAME}: extracting {root / ARCHIVE} into {root}", flush=True)
        extract(root / ARCHIVE, root, FOLDER, NAME)
    paths, labels, is_train = read_index(folder, data_dir)
    print(
        f"{NAME}: decoding {len(paths)} images from {folder} (resized to "
        f"{STORED_SIZE}x{STORED_SIZE}; done once)",
        flush=True,
    )
    images = load_resized(paths, STORED_SIZE, NAME)
    y = torch.tensor(labels) - 1
    train = torch.tensor(is_train, dtype=torch.bool)
    arrays = {"train_x": images[train], "train_y": y[train], "test_x": images[~train], "test_y": y[~train]}
    return arrays, int(y.max()) + 1, str(folder)


def read_index(folder: Path, data_dir: str | Path) -> tuple[list[Path], list[int], list[bool]]:
    """(image paths, 1-based class ids, is-train flags), in image-id order."""
    tables = [_read_table(folder / name, data_dir) for name in INDEX_FILES]
    names, split, classes = tables
    if not set(names) == set(split) == set(classes):
        raise UserError(
            f"dataset '{NAME}': {', '.join(INDEX_FILES)} in {folder} list different "
            f"image ids; expected {expected_files(data_dir)}"
        )
    ids = sorted(names, key=int)
    try:
        labels = [int(classes[i]) for i in ids]
        is_train = [int(split[i]) == 1 for i in ids]
    except ValueError as err:
        raise UserError(f"dataset '{NAME}': bad value in {folder}'s index files ({err})") from None
    if sorted(set(labels)) != list(range(1, max(labels) + 1)):
        raise UserError(
            f"dataset '{NAME}': class ids in {folder / 'image_class_labels.txt'} are not 1..{max(labels)}"
        )
    return [folder / "images" / names[i] for i in ids], labels, is_train


def _read_table(path: Path, data_dir: str | Path) -> dict[str, str]:
    """An index file of '<image id> <value>' lines as {id: value}."""
    if not path.is_file():
        raise UserError(f"dataset '{NAME}': {path} is missing; expected {expected_files(data_dir)}")
    table = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2:
            raise UserError(f"dataset '{NAME}': {path} line {number} is not '<image id> <value>'")
        table[parts[0]] = parts[1].strip()
    if not table:
        raise UserError(f"dataset '{NAME}': {path} is empty; expected {expected_files(data_dir)}")
    return table
