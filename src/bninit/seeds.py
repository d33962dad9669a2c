"""Run seeds: the paper's MD5 seed derivation and seeding of every random number generator."""

import hashlib
import random
from typing import TYPE_CHECKING

import numpy as np

# torch is imported in the functions that seed a run: md5_seed, which `bninit report` and collect
# use, must not pull torch in.
if TYPE_CHECKING:
    import torch


def md5_seed(seed: int) -> int:
    """The 32-bit seed the paper derives from a run seed: last 8 hex digits of md5(str(seed))."""
    return int(hashlib.md5(str(seed).encode()).hexdigest()[-8:], 16)


def seed_everything(seed32: int) -> "torch.Generator":
    """Seed python, numpy, torch (CPU and CUDA) from `seed32`; return the data-order generator."""
    import torch

    random.seed(seed32)
    np.random.seed(seed32)
    torch.manual_seed(seed32)
    torch.cuda.manual_seed_all(seed32)
    generator = torch.Generator()
    generator.manual_seed(seed32)
    return generator


def rng_state(generator: "torch.Generator") -> dict:
    """Every RNG state as plain values and tensors (loadable with torch.load(weights_only=True))."""
    import torch

    kind, keys, pos, has_gauss, cached = np.random.get_state()
    return {
        "python": random.getstate(),
        "numpy": [kind, torch.from_numpy(keys.copy()), pos, has_gauss, cached],
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "data": generator.get_state(),
    }


def set_rng_state(state: dict, generator: "torch.Generator") -> None:
    """Restore what `rng_state` captured."""
    import torch

    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.numpy(), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    generator.set_state(state["data"])
