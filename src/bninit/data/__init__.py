"""Datasets as uint8 image tensors, and the registry `dataset=` chooses from.

A loader takes `data_dir` and returns an ImageData: the full training set (validation is split
off later, the same way for every dataset) and the test set, both N x C x H x W uint8. The real
datasets are decoded once into a tensor cache under data_dir (bninit.data.cache).
"""

from collections.abc import Callable

from bninit.data.image_data import ImageData


def _digits(data_dir: str) -> ImageData:
    from bninit.data.digits import load_digits

    return load_digits()


def _cifar10(data_dir: str) -> ImageData:
    from bninit.data.cifar import load_cifar

    return load_cifar("cifar10", data_dir)


def _cifar100(data_dir: str) -> ImageData:
    from bninit.data.cifar import load_cifar

    return load_cifar("cifar100", data_dir)


def _cub200(data_dir: str) -> ImageData:
    from bninit.data.cub import load_cub

    return load_cub(data_dir)


def _stanford_cars(data_dir: str) -> ImageData:
    from bninit.data.cars import load_cars

    return load_cars(data_dir)


def _folder(data_dir: str, path: str = "", image_size: int = 32, stored_size: int = 32) -> ImageData:
    from bninit.data.folder import load_folder

    return load_folder(path, data_dir, image_size, stored_size)


# name -> loader(data_dir, **options); only `folder` takes options (path, image_size, stored_size).
DATASETS: dict[str, Callable[..., ImageData]] = {
    "digits": _digits,
    "cifar10": _cifar10,
    "cifar100": _cifar100,
    "cub200": _cub200,
    "stanford_cars": _stanford_cars,
    "folder": _folder,
}


def load_dataset(name: str, data_dir: str, **options) -> ImageData:
    if name not in DATASETS:
        raise KeyError(f"unknown dataset '{name}'; known: {', '.join(sorted(DATASETS))}")
    return DATASETS[name](data_dir, **options)
