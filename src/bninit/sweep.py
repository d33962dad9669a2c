"""What a sweep runs: a preset's cells crossed with its seeds and the user's overrides.

A preset (conf/sweep/<name>.yaml) lists *blocks*; a block maps config keys to a value or a list
of values, and stands for the cartesian product of its lists. The preset's cells are the union of
its blocks' products, so BASE is a block of its own and is never crossed with the gamma axis:

    cells:
      - {bn: ours, c: 100, gamma: [0.05, 0.1], lr: [0.1, 0.01]}   # 4 cells
      - {bn: base, gamma: 1.0, c: 1, lr: [0.1, 0.01]}             # 2 cells

Every function here is plain data in, plain data out: the Hydra sweeper (bninit.sweeper) and
the tests both call them.
"""

import itertools
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from typing import Any

from bninit.errors import UserError

PRESET_PACKAGE = "bninit.conf"
PRESET_GROUP = "sweep"
PRESET_DEFAULT_SEEDS = 15


def preset_names() -> list[str]:
    """The presets shipped in conf/sweep/, by name."""
    folder = resources.files(PRESET_PACKAGE).joinpath(PRESET_GROUP)
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def check_preset(name: str) -> None:
    known = preset_names()
    if name not in known:
        raise UserError(f"unknown preset '{name}'; known: {', '.join(known)}")


def load_preset(name: str) -> dict[str, Any]:
    """The preset's yaml as plain data (name, seeds, cells) without composing any config."""
    import yaml

    check_preset(name)
    path = resources.files(PRESET_PACKAGE).joinpath(PRESET_GROUP, f"{name}.yaml")
    return yaml.safe_load(path.read_text())


def expand_cells(blocks: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The cells of `blocks`: each block's cartesian product, in order, duplicates dropped."""
    cells: list[dict[str, Any]] = []
    for block in blocks:
        keys = list(block)
        axes = [v if isinstance(v, list | tuple) else [v] for v in block.values()]
        for values in itertools.product(*axes):
            cell = dict(zip(keys, values, strict=True))
            if cell not in cells:
                cells.append(cell)
    return cells


def seed_list(seeds: int | Sequence[int] | None) -> list[int] | None:
    """`seeds=N` means seeds 1..N (the paper's 1..15); a list is taken as is; None: no seed axis."""
    if seeds is None:
        return None
    if isinstance(seeds, int | str) and not isinstance(seeds, bool):
        count = int(seeds)
        if count < 1:
            raise UserError(f"seeds={seeds} is not allowed: must be >= 1 (seeds=N runs seeds 1..N)")
        return list(range(1, count + 1))
    values = [int(s) for s in seeds]
    if not values or min(values) < 0:
        raise UserError(f"seeds={list(seeds)} is not allowed: give N (seeds 1..N) or a list of seeds >= 0")
    return values


def override_value(value: Any) -> str:
    """A cell value as Hydra override text (floats keep their decimal point)."""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def job_overrides(cells: Sequence[Mapping[str, Any]], seeds: Sequence[int] | None,
                  user_jobs: Sequence[Sequence[str]]) -> list[list[str]]:
    """Every job's override list: cells x seeds x the user's (already expanded) override lists.

    The user has the last word: a key the user sets replaces the cell's value for it (so
    `lr=0.1` keeps one learning rate, `seed=3` one seed); jobs that become identical run once.
    """
    jobs: list[list[str]] = []
    seen: set[tuple[str, ...]] = set()
    for user in user_jobs:
        user_keys = {o.split("=", 1)[0].lstrip("+~") for o in user}
        for seed in seeds or [None]:  # seed-major: an interrupted study has whole seeds
            for cell in cells or [{}]:
                job = [f"{k}={override_value(v)}" for k, v in cell.items() if k not in user_keys]
                if seed is not None and "seed" not in user_keys:
                    job.append(f"seed={seed}")
                job += list(user)
                key = tuple(sorted(job))
                if key not in seen:
                    seen.add(key)
                    jobs.append(job)
    return jobs


def cell_key(job: Sequence[str]) -> tuple[str, ...]:
    """A job's overrides without its seed: jobs with the same key differ only in the seed."""
    return tuple(o for o in job if o.split("=", 1)[0] != "seed")
