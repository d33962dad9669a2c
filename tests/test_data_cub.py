"""CUB-200-2011 from its official layout (folder or CUB_200_2011.tgz), on a tiny fixture tree."""

import numpy as np
import pytest

from bninit.data import load_dataset
from bninit.data.cache import cache_path
from bninit.data.split import stratified_split
from bninit.errors import UserError
from data_fixtures import make_cub, make_cub_tgz


def _check(data, expected):
    train, test = expected["is_train"], ~expected["is_train"]
    assert data.train_x.shape == (train.sum(), 3, 256, 256) and data.test_x.shape[0] == test.sum()
    assert np.array_equal(data.train_y.numpy(), expected["labels"][train])
    assert np.array_equal(data.test_y.numpy(), expected["labels"][test])
    assert (data.num_classes, data.augment, data.image_size) == (expected["classes"], None, 224)
    # flat-coloured JPEGs: every cached image is its file's colour (JPEG: within a few levels)
    for x, colors in ((data.train_x, expected["colors"][train]), (data.test_x, expected["colors"][test])):
        mean = x.float().mean(dim=(2, 3)).numpy()
        assert np.abs(mean - colors).max() < 4
        assert (x.float().std(dim=(2, 3)) < 3).all()


def test_cub_folder_counts_labels_images_split(tmp_path):
    expected = make_cub(tmp_path)
    data = load_dataset("cub200", str(tmp_path))
    _check(data, expected)
    train_idx, val_idx = stratified_split(data.train_y.numpy())
    assert sorted(data.train_y[val_idx].tolist()) == [0, 1, 2] and len(train_idx) == 21
    assert cache_path("cub200", tmp_path).is_file()


def test_cub_official_tgz_is_extracted_safely(tmp_path):
    expected = make_cub_tgz(tmp_path)
    data = load_dataset("cub200", str(tmp_path))
    _check(data, expected)
    assert (tmp_path / "CUB_200_2011" / "images.txt").is_file()
    assert not (tmp_path / "attributes.txt").exists()  # only the dataset folder is kept


def test_missing_cub_names_files_and_data_dir(tmp_path):
    with pytest.raises(UserError) as err:
        load_dataset("cub200", str(tmp_path))
    for part in (
        "'cub200'",
        "CUB_200_2011.tgz",
        "CUB_200_2011/",
        "images.txt",
        "train_test_split.txt",
        "image_class_labels.txt",
        f"data_dir={tmp_path}",
    ):
        assert part in str(err.value)


@pytest.mark.parametrize(
    "breakage,complaint",
    [
        ("no_split_file", "train_test_split.txt is missing"),
        ("ids_differ", "list different image ids"),
        ("missing_image", "cannot read image"),
        ("bad_line", "is not '<image id> <value>'"),
    ],
)
def test_broken_cub_layout_is_one_line_error_and_no_cache(tmp_path, breakage, complaint):
    make_cub(tmp_path)
    folder = tmp_path / "CUB_200_2011"
    if breakage == "no_split_file":
        (folder / "train_test_split.txt").unlink()
    elif breakage == "ids_differ":
        lines = (folder / "image_class_labels.txt").read_text().splitlines()
        (folder / "image_class_labels.txt").write_text("\n".join(lines[:-1]) + "\n")
    elif breakage == "missing_image":
        next((folder / "images").rglob("*.jpg")).unlink()
    else:
        with open(folder / "images.txt", "a") as f:
            f.write("lonely-id-without-path\n")
    with pytest.raises(UserError, match=complaint) as err:
        load_dataset("cub200", str(tmp_path))
    assert "cub200" in str(err.value) and "\n" not in str(err.value)
    assert not cache_path("cub200", tmp_path).parent.exists()
