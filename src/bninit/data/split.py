"""The fixed stratified splits (SPEC §3): the same for every run of a dataset."""

import numpy as np
from sklearn.model_selection import train_test_split

from bninit.seeds import md5_seed

SPLIT_SEED = md5_seed(0)


def stratified_split(targets, val_fraction: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """(train_idx, val_idx): a class-wise `val_fraction` of the indices, drawn with md5 seed 0."""
    targets = np.asarray(targets)
    train_idx, val_idx = train_test_split(
        np.arange(len(targets)), test_size=val_fraction, stratify=targets, random_state=SPLIT_SEED
    )
    return train_idx, val_idx
