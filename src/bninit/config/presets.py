"""The paper's presets: conf/sweep/<name>.yaml, each a list of cell blocks and a seed count.

A block maps config keys to a value or a list of values and stands for the cartesian product of
its lists; a preset's cells are the union of its blocks' products, so BASE is a block of its own
and is never crossed with the gamma axis. This module is the one reader of those files, as plain
YAML (Hydra never composes them): the cells sweeper asks it for a preset's cells and seeds, and
the report for the cells a study's CSV may come from.
"""

import itertools
from collections.abc import Iterable, Mapping
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


def preset_cells(name: str) -> list[dict[str, Any]]:
    """The preset's cells, every block expanded (see expand_cells)."""
    return expand_cells(load_preset(name)["cells"])


def preset_seeds(name: str) -> Any:
    """The preset's seeds: N (seeds 1..N) or a list; PRESET_DEFAULT_SEEDS where it states none."""
    return load_preset(name).get("seeds", PRESET_DEFAULT_SEEDS)


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
