"""CIFAR-10/100 from the official python format (folder or tarball) through torchvision's
classes, on tiny fixtures. Fixture files have their own MD5s: tests that load them swap
torchvision's expected list for the fixture's; the real list must reject them."""

import tarfile
import urllib.error

import numpy as np
import pytest

from bninit.data import cifar as cifar_module
from bninit.data import load_dataset
from bninit.data.cache import cache_path
from bninit.data.split import stratified_split
from bninit.errors import UserError
from data_fixtures import cifar_checksums, make_cifar, make_cifar_tarball, use_fixture_checksums


@pytest.fixture
def offline(monkeypatch):
    """No network: torchvision's download fails the way it does offline."""

    def refuse(*args, **kwargs):
        raise urllib.error.URLError("[Errno -2] Name or service not known")

    monkeypatch.setattr(cifar_module, "download_url", refuse)


def test_cifar10_folder_round_trip_and_split(tmp_path, monkeypatch):
    expected = make_cifar(tmp_path, "cifar10")
    use_fixture_checksums(monkeypatch, "cifar10", cifar_checksums(tmp_path, "cifar10"))
    data = load_dataset("cifar10", str(tmp_path))
    assert data.train_x.shape == (100, 3, 32, 32) and data.test_x.shape == (20, 3, 32, 32)
    assert np.array_equal(data.train_x.numpy(), expected["train_x"])
    assert np.array_equal(data.train_y.numpy(), expected["train_y"])
    assert np.array_equal(data.test_x.numpy(), expected["test_x"])
    assert np.array_equal(data.test_y.numpy(), expected["test_y"])
    assert (data.num_classes, data.augment, data.image_size, data.channels) == (10, None, 32, 3)
    assert cache_path("cifar10", tmp_path).is_file()
    train_idx, val_idx = stratified_split(data.train_y.numpy())
    assert len(val_idx) == 10 and sorted(data.train_y[val_idx].tolist()) == list(range(10))
    again = stratified_split(load_dataset("cifar10", str(tmp_path)).train_y.numpy())
    assert np.array_equal(again[0], train_idx) and np.array_equal(again[1], val_idx)


def test_cifar100_official_tarball_is_checked_and_extracted(tmp_path, monkeypatch, offline):
    expected = make_cifar_tarball(tmp_path, "cifar100")
    use_fixture_checksums(monkeypatch, "cifar100", expected["checksums"])
    data = load_dataset("cifar100", str(tmp_path))
    assert data.num_classes == 100 and len(data.train_y) == 1000 and len(data.test_y) == 200
    assert np.array_equal(data.train_x.numpy(), expected["train_x"])
    assert np.array_equal(data.test_y.numpy(), expected["test_y"])
    assert (tmp_path / "cifar-100-python" / "train").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


def test_tarball_with_wrong_md5_is_refused(tmp_path, offline):
    make_cifar_tarball(tmp_path, "cifar10")  # torchvision's real checksum list: not official
    with pytest.raises(UserError) as err:
        load_dataset("cifar10", str(tmp_path))
    message = str(err.value)
    assert "'cifar10'" in message and "MD5" in message and "cifar-10-python.tar.gz" in message
    assert "\n" not in message
    assert not (tmp_path / "cifar-10-batches-py").exists()
    assert not cache_path("cifar10", tmp_path).exists()


def test_folder_failing_torchvision_md5_is_refused(tmp_path):
    make_cifar(tmp_path, "cifar10")
    with pytest.raises(UserError, match="cifar-10-batches-py fails torchvision's MD5 check"):
        load_dataset("cifar10", str(tmp_path))
    assert not cache_path("cifar10", tmp_path).parent.exists()


def test_missing_cifar_names_files_and_data_dir_and_creates_nothing(tmp_path, offline):
    data_dir = tmp_path / "nowhere"
    with pytest.raises(UserError) as err:
        load_dataset("cifar100", str(data_dir))
    message = str(err.value)
    for part in (
        "'cifar100'",
        "cifar-100-python.tar.gz",
        "cifar-100-python/",
        str(data_dir),
        "download failed",
    ):
        assert part in message
    assert not data_dir.exists()


def test_unsafe_tarball_is_not_extracted(tmp_path, monkeypatch):
    expected = make_cifar_tarball(tmp_path / "src", "cifar10")
    archive = tmp_path / "data" / "cifar-10-python.tar.gz"
    archive.parent.mkdir()
    evil = tmp_path / "evil.txt"
    evil.write_text("outside")
    with tarfile.open(archive, "w:gz") as tar, tarfile.open(tmp_path / "src" / archive.name) as src:
        for member in src.getmembers():
            tar.addfile(member, src.extractfile(member) if member.isfile() else None)
        tar.add(evil, arcname="cifar-10-batches-py/../../escaped.txt")
    from data_fixtures import md5

    use_fixture_checksums(monkeypatch, "cifar10", {**expected["checksums"], "tgz_md5": md5(archive)})
    with pytest.raises(UserError, match="cannot extract"):
        load_dataset("cifar10", str(archive.parent))
    assert not (tmp_path / "escaped.txt").exists()
    assert sorted(p.name for p in archive.parent.iterdir()) == ["cifar-10-python.tar.gz"]
