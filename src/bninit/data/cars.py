"""Stanford Cars from its official files, read by torchvision's StanfordCars: in
data_dir/stanford_cars/ the folders cars_train/, cars_test/ and devkit/ (cars_train_annos.mat,
cars_meta.mat) plus cars_test_annos_withlabels.mat (8144 train / 8041 test, 196 classes). The
official archives cars_train.tgz, cars_test.tgz and car_devkit.tgz may stand in for the folders.
Images are resized to 256x256 once and cached; the network sees 224 crops."""

from pathlib import Path

import torch
from torchvision.datasets import StanfordCars

from bninit.data.archive import extract
from bninit.data.cache import cached, image_data
from bninit.data.image_data import ImageData
from bninit.data.images import load_resized
from bninit.errors import UserError

NAME = "stanford_cars"
FOLDER = "stanford_cars"  # torchvision's StanfordCars reads root/stanford_cars/
# what must be there -> the official archive that provides it (None: a plain file)
REQUIRED = {
    "cars_train": "cars_train.tgz",
    "cars_test": "cars_test.tgz",
    "devkit": "car_devkit.tgz",
    "devkit/cars_train_annos.mat": None,
    "devkit/cars_meta.mat": None,
    "cars_test_annos_withlabels.mat": None,
}
STORED_SIZE, IMAGE_SIZE = 256, 224


def expected_files(data_dir: str | Path) -> str:
    return (
        f"the official cars_train/, cars_test/, devkit/ (or cars_train.tgz, cars_test.tgz, "
        f"car_devkit.tgz) and cars_test_annos_withlabels.mat in {Path(data_dir) / FOLDER}"
    )


def source_status(data_dir: str | Path) -> str | None:
    base = Path(data_dir) / FOLDER
    return f"folder {base}" if not _missing(base) else None


def load_cars(data_dir: str) -> ImageData:
    record = cached(NAME, data_dir, lambda: build_cars(data_dir))
    return image_data(record, IMAGE_SIZE)


def build_cars(data_dir: str | Path) -> tuple[dict[str, torch.Tensor], int, str]:
    base = Path(data_dir) / FOLDER
    missing = _missing(base)
    if missing:
        raise UserError(f"dataset '{NAME}' is missing {', '.join(missing)}: put {expected_files(data_dir)}")
    for folder, archive in REQUIRED.items():
        if archive and not (base / folder).is_dir():
            print(f"{NAME}: extracting {base / archive} into {base}", flush=True)
            extract(base / archive, base, folder, NAME)
    arrays, classes = {}, None
    for split in ("train", "test"):
        try:  # loader=str: the dataset yields (image path, class index); we decode ourselves
            dataset = StanfordCars(str(data_dir), split=split, loader=str)
            samples = [dataset[i] for i in range(len(dataset))]
        except Exception as err:  # scipy's errors for a damaged .mat file vary
            raise UserError(
                f"dataset '{NAME}': cannot read the {split} annotations in {base}: "
                f"{err}; expected {expected_files(data_dir)}"
            ) from None
        classes = dataset.classes
        labels = torch.tensor([int(target) for _, target in samples])
        if len(labels) == 0 or labels.min() < 0 or labels.max() >= len(classes):
            raise UserError(
                f"dataset '{NAME}': {split} class ids in {base} are not 1..{len(classes)} "
                f"(devkit/cars_meta.mat lists {len(classes)} classes)"
            )
        print(
            f"{NAME}: decoding {len(samples)} {split} images from {base} (resized to "
            f"{STORED_SIZE}x{STORED_SIZE}; done once)",
            flush=True,
        )
        arrays[f"{split}_x"] = load_resized([Path(p) for p, _ in samples], STORED_SIZE, NAME)
        arrays[f"{split}_y"] = labels
    return arrays, len(classes), str(base)


def _missing(base: Path) -> list[str]:
    """The required entries that are absent (a folder, and what lies in it, counts as present if
    its official archive is there: its content is checked after extraction)."""

    def present(name: str) -> bool:
        folder = name.split("/")[0]
        archive = REQUIRED.get(folder)
        if archive and not (base / folder).is_dir() and (base / archive).is_file():
            return True
        return (base / name).exists()

    return [name for name in REQUIRED if not present(name)]
