"""Augmentation on tensors from the run's generator: crop_flip (CUB/Cars), flip (CIFAR), the
evaluation center crop; same seed -> same batches."""

import pytest
import torch

from bninit.data.batches import center_crop, crop_flip, eval_batches, hflip, train_batches


def _images(n: int, side: int) -> torch.Tensor:
    return torch.randint(
        0, 256, (n, 3, side, side), dtype=torch.uint8, generator=torch.Generator().manual_seed(0)
    )


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
            windows = [source[:, t : t + 8, s : s + 8] for t in range(5) for s in range(5)]
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


def _dataset(stored: int, image_size: int, augment: str = "flip"):
    from bninit.data import ImageData

    x = _images(6, stored) | 1  # no zero pixel in the images themselves
    return ImageData(x, torch.arange(6), x, torch.arange(6), 6, image_size, augment)


def test_crop_flip_on_cifar_sized_images_crops_32_from_4_pixel_zero_padding():
    from bninit.data.augment import crop_padding, with_augment, zero_pad

    data = with_augment(_dataset(32, 32), "crop_flip", "cifar10")
    assert data.augment == "crop_flip" and crop_padding(data) == 4
    padded = zero_pad(data.train_x, crop_padding(data))
    assert padded.shape == (6, 3, 40, 40)
    assert torch.equal(padded[:, :, 4:36, 4:36], data.train_x) and padded[:, :, :4].sum() == 0
    crops = torch.cat([b[0] for b in _epoch(padded, data.train_y, 3, "crop_flip", 32, batch_size=6)])
    assert crops.shape == (6, 3, 32, 32)
    zero_rows = (crops == 0).all(dim=(1, 3)).sum(dim=1)  # padding that reached each crop, in rows
    assert zero_rows.max() <= 4 and zero_rows.sum() > 0  # offsets 0..8: some crops show padding
    val = next(eval_batches(data.train_x, data.train_y, 6, 32))[0]  # evaluation: unpadded
    assert torch.equal(val, data.train_x.float())


@pytest.mark.parametrize("augment", ["none", "flip"])
def test_flip_and_none_need_no_padding(augment):
    from bninit.data.augment import crop_padding, with_augment

    assert crop_padding(with_augment(_dataset(32, 32), augment, "cifar10")) == 0
    assert crop_padding(with_augment(_dataset(64, 56, "crop_flip"), "crop_flip", "cub200")) == 0


def test_a_dataset_stored_larger_than_the_network_side_needs_crop_flip():
    from bninit.data.augment import with_augment
    from bninit.errors import UserError

    with pytest.raises(UserError, match="augment=flip is not allowed for cub200: .* allowed: crop_flip"):
        with_augment(_dataset(64, 56), "flip", "cub200")


def test_augment_comes_from_the_dataset_and_names_another_cell(make_cfg):
    from bninit.store.rundir import run_dir

    assert make_cfg().augment == "none"  # digits: a mirrored digit is another digit
    cifar = make_cfg("dataset=cifar10")
    assert cifar.augment == "flip" and make_cfg("dataset=cub200").augment == "crop_flip"
    assert run_dir(make_cfg("dataset=cifar10", "augment=crop_flip")).parent != run_dir(cifar).parent
