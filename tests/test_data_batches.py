"""Augmentation on tensors from the run's generator: crop_flip (CUB/Cars), flip (CIFAR), the
evaluation center crop; same seed -> same batches."""

import pytest
import torch

from bninit.data.batches import center_crop, crop_flip, eval_batches, hflip, train_batches


def _images(n: int, side: int) -> torch.Tensor:
    return torch.randint(0, 256, (n, 3, side, side), dtype=torch.uint8,
                         generator=torch.Generator().manual_seed(0))


def _epoch(x, y, seed, augment, image_size, batch_size=4):
    gen = torch.Generator().manual_seed(seed)
    return list(train_batches(x, y, batch_size, gen, augment, image_size))


@pytest.mark.parametrize("augment,stored,size", [("crop_flip", 20, 16), ("flip", 12, 12)])
def test_same_seed_same_batches_other_seed_other_batches(augment, stored, size):
    x, y = _images(10, stored), torch.arange(10)
    first, again, other = (_epoch(x, y, s, augment, size) for s in (7, 7, 8))
    assert [b[0].shape for b in first] == [(4, 3, size, size)] * 2 + [(2, 3, size, size)]
    assert all(torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) for a, b in zip(first, again, strict=True))
    assert any(not torch.equal(a[0], b[0]) for a, b in zip(first, other, strict=True))
    assert first[0][0].dtype == torch.float32


def test_crop_flip_yields_windows_of_its_own_image_with_its_label():
    x = _images(16, 12)
    y = torch.arange(16) * 10
    for images, labels in _epoch(x, y, 3, "crop_flip", 8):
        for image, label in zip(images, labels, strict=True):
            source = x[label // 10].float()
            windows = [source[:, t:t + 8, s:s + 8] for t in range(5) for s in range(5)]
            windows += [w.flip(-1) for w in windows]
            assert any(torch.equal(image, w) for w in windows)


def test_crop_flip_covers_every_offset_and_flips_half():
    # one image whose pixel values encode their column: the crop's first column is its offset
    side, size, n = 10, 6, 4000
    columns = torch.arange(side, dtype=torch.uint8).expand(n, 1, side, side)
    [(out, _)] = _epoch(columns, torch.arange(n), 0, "crop_flip", size, batch_size=n)
    first, last = out[:, 0, 0, 0].long(), out[:, 0, 0, -1].long()
    flipped = first > last
    left = torch.where(flipped, last, first)
    assert set(left.tolist()) == set(range(side - size + 1))
    assert 0.45 < flipped.float().mean().item() < 0.55
    assert torch.equal((first - last).abs(), torch.full((n,), size - 1))


def test_eval_batches_center_crop_224_from_256_in_order():
    x, y = _images(5, 256), torch.arange(5)
    batches = list(eval_batches(x, y, 2, 224))
    images = torch.cat([b[0] for b in batches])
    assert images.shape == (5, 3, 224, 224)
    assert torch.equal(images, x[:, :, 16:240, 16:240].float())
    assert torch.equal(torch.cat([b[1] for b in batches]), y)
    assert torch.equal(center_crop(x, 256), x)


def test_unknown_augmentation_is_refused():
    with pytest.raises(ValueError, match="crop_flip"):
        _epoch(_images(4, 8), torch.arange(4), 0, "rotate", 8)


def _batch_by_batch(x, y, batch_size, gen, augment, size):
    """The plain loop: shuffle, then draw each batch's coins (and offsets) as the batch comes."""
    for idx in torch.randperm(len(y), generator=gen).split(batch_size):
        images = x[idx]
        if augment == "flip":
            images = hflip(images, torch.rand(len(idx), generator=gen) < 0.5)
        elif augment == "crop_flip":
            flip = torch.rand(len(idx), generator=gen) < 0.5
            top = torch.randint(0, x.shape[-2] - size + 1, (len(idx),), generator=gen)
            left = torch.randint(0, x.shape[-1] - size + 1, (len(idx),), generator=gen)
            images = crop_flip(images, size, flip, top, left)
        yield images.float(), y[idx]


@pytest.mark.parametrize("augment,stored,size", [("crop_flip", 20, 16), ("flip", 12, 12), ("none", 8, 8)])
def test_drawing_the_epoch_up_front_gives_the_batch_by_batch_numbers(augment, stored, size):
    x, y = _images(23, stored), torch.arange(23)
    expected = list(_batch_by_batch(x, y, 5, torch.Generator().manual_seed(4), augment, size))
    got = _epoch(x, y, 4, augment, size, batch_size=5)
    assert len(got) == len(expected) == 5
    for (images, labels), (want_images, want_labels) in zip(got, expected, strict=True):
        assert torch.equal(images, want_images) and torch.equal(labels, want_labels)


@pytest.mark.parametrize("augment", ["flip", "crop_flip"])
def test_the_random_numbers_reach_the_device_in_a_few_copies_per_epoch(augment, monkeypatch):
    """No host->device copy per batch (each would make a GPU wait): the same number of .to()
    calls for an epoch of 3 batches and one of 30."""
    calls = []
    to = torch.Tensor.to
    monkeypatch.setattr(torch.Tensor, "to", lambda self, *a, **k: calls.append(1) or to(self, *a, **k))

    def copies(n: int) -> int:
        calls.clear()
        _epoch(_images(n, 12), torch.arange(n), 0, augment, 8)
        return len(calls)

    assert copies(12) == copies(120) <= 4
