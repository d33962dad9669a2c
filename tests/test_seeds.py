import hashlib
import random

import numpy as np
import pytest
import torch

from bninit.seeds import md5_seed, rng_state, seed_everything, set_rng_state


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 15])
def test_md5_seed_is_last_8_hex_digits_of_md5(seed):
    expected = int(hashlib.md5(str(seed).encode()).hexdigest()[-8:], 16)
    assert md5_seed(seed) == expected
    assert 0 <= md5_seed(seed) < 2**32


def test_md5_seed_known_value():
    # md5("0") = cfcd208495d565ef66e7dff9f98764da: the split seed of every dataset.
    assert md5_seed(0) == 0xF98764DA == 4186399962


def test_seed_everything_seeds_every_rng_and_the_data_generator():
    g1 = seed_everything(md5_seed(3))
    draws1 = (random.random(), np.random.rand(), torch.rand(1).item(), torch.rand(1, generator=g1).item())
    g2 = seed_everything(md5_seed(3))
    draws2 = (random.random(), np.random.rand(), torch.rand(1).item(), torch.rand(1, generator=g2).item())
    assert draws1 == draws2


def test_rng_state_round_trip_continues_every_stream_exactly(tmp_path):
    generator = seed_everything(7)
    random.random(), np.random.rand(), torch.rand(3), torch.rand(3, generator=generator)
    path = tmp_path / "rng.pt"
    torch.save(rng_state(generator), path)
    expected = (
        random.random(),
        np.random.rand(),
        torch.rand(3).tolist(),
        torch.rand(3, generator=generator).tolist(),
    )
    seed_everything(99)  # scramble
    fresh = torch.Generator()
    set_rng_state(torch.load(path, weights_only=True), fresh)
    again = (
        random.random(),
        np.random.rand(),
        torch.rand(3).tolist(),
        torch.rand(3, generator=fresh).tolist(),
    )
    assert again == expected
