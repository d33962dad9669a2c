"""The decoded-tensor cache: reused by later runs, keyed by dataset + preprocessing version,
written atomically, and rebuilt (never trusted) when damaged."""

import shutil

import pytest
import torch

from bninit.data import cache as cache_module
from bninit.data import load_dataset
from bninit.data.cache import cache_path, read_cache
from bninit.errors import UserError
from data_fixtures import make_cub


def test_second_load_comes_from_the_cache(tmp_path, capsys):
    make_cub(tmp_path)
    first = load_dataset("cub200", str(tmp_path))
    assert "decoding 30 images" in capsys.readouterr().out
    shutil.rmtree(tmp_path / "CUB_200_2011")  # the source is no longer needed
    second = load_dataset("cub200", str(tmp_path))
    assert "decoding" not in capsys.readouterr().out
    for key in ("train_x", "train_y", "test_x", "test_y"):
        assert torch.equal(getattr(first, key), getattr(second, key))
    assert second.num_classes == first.num_classes


def test_cache_is_keyed_by_dataset_and_version(tmp_path, monkeypatch):
    make_cub(tmp_path)
    load_dataset("cub200", str(tmp_path))
    assert cache_path("cub200", tmp_path).name == f"cub200-v{cache_module.VERSIONS['cub200']}.pt"
    monkeypatch.setitem(cache_module.VERSIONS, "cub200", 99)  # preprocessing changed
    assert read_cache(cache_path("cub200", tmp_path)) is None
    load_dataset("cub200", str(tmp_path))
    assert cache_path("cub200", tmp_path).name == "cub200-v99.pt"
    assert read_cache(cache_path("cub200", tmp_path)) is not None


@pytest.mark.parametrize("damage", ["flip_byte", "truncate", "garbage"])
def test_damaged_cache_is_detected_and_rebuilt(tmp_path, capsys, damage):
    make_cub(tmp_path)
    good = load_dataset("cub200", str(tmp_path))
    path = cache_path("cub200", tmp_path)
    raw = bytearray(path.read_bytes())
    if damage == "flip_byte":  # inside the image data: only the checksum can tell
        offset = raw.find(good.train_x[5].flatten()[:64].numpy().tobytes())
        assert offset > 0
        raw[offset + 10] ^= 0xFF
    elif damage == "truncate":
        raw = raw[: len(raw) // 2]
    else:
        raw = bytearray(b"\x00" * 100)
    path.write_bytes(bytes(raw))
    capsys.readouterr()
    assert read_cache(path) is None
    again = load_dataset("cub200", str(tmp_path))
    assert "is damaged; deleting it and rebuilding" in capsys.readouterr().out
    assert torch.equal(again.train_x, good.train_x)
    assert read_cache(path) is not None


def test_damaged_cache_without_source_is_removed_and_reported(tmp_path):
    make_cub(tmp_path)
    load_dataset("cub200", str(tmp_path))
    path = cache_path("cub200", tmp_path)
    path.write_bytes(path.read_bytes()[:1000])
    shutil.rmtree(tmp_path / "CUB_200_2011")
    with pytest.raises(UserError, match="'cub200' is missing"):
        load_dataset("cub200", str(tmp_path))
    assert list(path.parent.iterdir()) == []


def test_failed_write_leaves_no_partial_cache(tmp_path, monkeypatch):
    make_cub(tmp_path)

    def crash(obj, f):
        f.write(b"half a cache")
        raise KeyboardInterrupt  # Ctrl-C (SIGINT) while the cache is being written

    monkeypatch.setattr(cache_module.torch, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        load_dataset("cub200", str(tmp_path))
    assert list(cache_path("cub200", tmp_path).parent.iterdir()) == []
