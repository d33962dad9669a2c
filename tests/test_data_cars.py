"""Stanford Cars from its official files (folders or archives, .mat annotations written by
scipy.io.savemat) through torchvision's StanfordCars, on a tiny fixture tree."""

import numpy as np
import pytest

from bninit.data import load_dataset
from bninit.data.cache import cache_path
from bninit.data.split import stratified_split
from bninit.errors import UserError
from data_fixtures import make_cars, make_cars_archives


def _check(data, expected):
    assert data.train_x.shape == (len(expected["train_y"]), 3, 256, 256)
    assert np.array_equal(data.train_y.numpy(), expected["train_y"])
    assert np.array_equal(data.test_y.numpy(), expected["test_y"])
    assert (data.num_classes, data.augment, data.image_size) == (expected["classes"], None, 224)
    for x, colors in ((data.train_x, expected["train_colors"]), (data.test_x, expected["test_colors"])):
        assert np.abs(x.float().mean(dim=(2, 3)).numpy() - colors).max() < 4


def test_cars_folders_counts_labels_images_split(tmp_path):
    expected = make_cars(tmp_path)
    data = load_dataset("stanford_cars", str(tmp_path))
    _check(data, expected)
    train_idx, val_idx = stratified_split(data.train_y.numpy())
    assert sorted(data.train_y[val_idx].tolist()) == [0, 1, 2]
    assert cache_path("stanford_cars", tmp_path).is_file()


def test_cars_official_archives_are_extracted(tmp_path):
    expected = make_cars_archives(tmp_path)
    _check(load_dataset("stanford_cars", str(tmp_path)), expected)
    assert (tmp_path / "stanford_cars" / "devkit" / "cars_meta.mat").is_file()


def test_missing_cars_names_what_is_missing_and_where(tmp_path):
    make_cars(tmp_path)
    (tmp_path / "stanford_cars" / "cars_test_annos_withlabels.mat").unlink()
    with pytest.raises(UserError) as err:
        load_dataset("stanford_cars", str(tmp_path))
    message = str(err.value)
    assert "'stanford_cars' is missing cars_test_annos_withlabels.mat" in message
    assert str(tmp_path / "stanford_cars") in message and "cars_train/" in message
    assert not cache_path("stanford_cars", tmp_path).parent.exists()


def test_damaged_annotation_file_is_one_line_error(tmp_path):
    make_cars(tmp_path)
    (tmp_path / "stanford_cars" / "devkit" / "cars_train_annos.mat").write_bytes(b"not a mat file")
    with pytest.raises(UserError, match="cannot read the train annotations") as err:
        load_dataset("stanford_cars", str(tmp_path))
    assert "\n" not in str(err.value)
    assert not cache_path("stanford_cars", tmp_path).parent.exists()
