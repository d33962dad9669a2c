"""The paper's presets: conf/sweep/<name>.yaml, each a list of cell blocks and a seed count.

A block maps config keys to a value or a list of values and stands for the cartesian product of
its lists; a preset's cells are the union of its blocks' products, so BASE is a block of its own
and is never crossed with the gamma axis. Read as plain data: the sweep plans from them and the
report finds which preset a study's CSV comes from.
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
