import numpy as np
from sklearn.model_selection import train_test_split

from bninit.data.digits import load_digits
from bninit.data.split import stratified_split
from bninit.seeds import md5_seed


def test_split_equals_sklearn_with_md5_seed_0():
    targets = np.repeat(np.arange(7), [30, 12, 50, 21, 40, 33, 14])
    train_idx, val_idx = stratified_split(targets)
    ref_train, ref_val = train_test_split(
        np.arange(len(targets)), test_size=0.1, stratify=targets, random_state=md5_seed(0)
    )
    assert np.array_equal(train_idx, ref_train) and np.array_equal(val_idx, ref_val)


def test_split_is_a_stratified_partition_and_the_same_every_time():
    targets = np.repeat(np.arange(10), 100)
    train_idx, val_idx = stratified_split(targets)
    assert len(val_idx) == 100 and len(train_idx) == 900
    assert sorted(np.concatenate([train_idx, val_idx]).tolist()) == list(range(1000))
    assert np.bincount(targets[val_idx]).tolist() == [10] * 10
    again = stratified_split(targets)
    assert np.array_equal(again[0], train_idx) and np.array_equal(again[1], val_idx)


def test_digits_are_8bit_images_with_a_fixed_stratified_test_split():
    data = load_digits()
    assert data.train_x.shape == (1437, 1, 8, 8) and data.test_x.shape == (360, 1, 8, 8)
    assert data.train_x.dtype.is_floating_point is False and int(data.train_x.max()) == 255
    assert data.num_classes == 10 and data.augment is None and data.image_size == 8  # the run sets it
    counts = np.bincount(data.test_y.numpy())
    assert counts.min() >= 35 and counts.max() <= 37  # 20% of each class of ~180
    assert load_digits().test_y.tolist() == data.test_y.tolist()
    _, val_idx = stratified_split(data.train_y.numpy())
    assert len(val_idx) == 144
