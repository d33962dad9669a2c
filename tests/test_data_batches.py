"""Augmentation on tensors from the run's generator: crop_flip (CUB/Cars), flip (CIFAR), the
evaluation center crop; same seed -> same batches."""

import pytest
import torch

from bninit.data.batches import center_crop, eval_batches, random_crop_flip, train_batches


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
    out = random_crop_flip(columns, size, torch.Generator().manual_seed(0))
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
