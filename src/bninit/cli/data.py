"""`bninit data check | prepare`: which datasets are ready where, and the one-time decode into the
tensor cache.

    bninit data check [data_dir=PATH]                 # per dataset: cached / ready / missing
    bninit data prepare NAME [NAME ...] [data_dir=PATH]
"""

import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from bninit.data import cars, cifar, cub
from bninit.data.cache import cache_path, read_cache
from bninit.errors import UserError

USAGE = "usage: bninit data check [data_dir=PATH] | bninit data prepare NAME [NAME ...] [data_dir=PATH]"

# dataset -> (what source files are present, or None; where to put which files)
SOURCES: dict[str, tuple[Callable[[str], str | None], Callable[[str], str]]] = {
    "cifar10": (partial(cifar.source_status, "cifar10"), partial(cifar.expected_files, "cifar10")),
    "cifar100": (partial(cifar.source_status, "cifar100"), partial(cifar.expected_files, "cifar100")),
    "cub200": (cub.source_status, cub.expected_files),
    "stanford_cars": (cars.source_status, cars.expected_files),
}
EMBEDDED = {"digits": "embedded in scikit-learn (works offline)"}


def data_main(args: list[str]) -> int:
    if not args or args[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if args else 2
    action, rest = args[0], args[1:]
    names = [a for a in rest if "=" not in a]
    data_dir = _data_dir([a for a in rest if "=" in a])
    if action == "check":
        if names:
            raise UserError(f"data check takes no dataset names (got {' '.join(names)}); {USAGE}")
        check(data_dir)
    elif action == "prepare":
        if not names:
            raise UserError(f"data prepare needs a dataset name ({', '.join(SOURCES)}); {USAGE}")
        for name in names:
            _known(name)
        for name in names:
            prepare(name, data_dir)
    else:
        raise UserError(f"unknown data action '{action}'; known: check, prepare")
    return 0


def status(name: str, data_dir: str) -> tuple[str, str]:
    """(cached | ready | missing | damaged, where / what to do) for one dataset."""
    if name in EMBEDDED:
        return "ready", EMBEDDED[name]
    present, expected = SOURCES[name]
    path = cache_path(name, data_dir)
    record = read_cache(path)
    if record is not None:
        a = record["arrays"]
        return "cached", f"{path} ({len(a['train_y'])} train / {len(a['test_y'])} test)"
    source = present(data_dir)
    note = f"; the cache {path} is damaged and will be rebuilt" if path.exists() else ""
    if source is not None:
        return "ready", f"{source} (not cached yet: bninit data prepare {name} data_dir={data_dir}){note}"
    return "missing", f"put {expected(data_dir)}{note}"


def check(data_dir: str) -> None:
    print(f"data_dir: {Path(data_dir).resolve()}")
    for name in [*EMBEDDED, *SOURCES]:
        state, where = status(name, data_dir)
        print(f"  {name:<14} {state:<8} {where}")


def prepare(name: str, data_dir: str) -> None:
    from bninit.data import load_dataset

    if name in EMBEDDED:
        print(f"{name}: nothing to prepare, {EMBEDDED[name]}")
        return
    path = cache_path(name, data_dir)
    was_cached = read_cache(path) is not None
    start = time.perf_counter()
    data = load_dataset(name, data_dir)
    built = time.perf_counter() - start
    start = time.perf_counter()
    if read_cache(path) is None:
        raise UserError(
            f"dataset '{name}': the cache {path} could not be written; check that "
            f"data_dir={data_dir} is writable"
        )
    loaded = time.perf_counter() - start
    size_mb = path.stat().st_size / 1e6
    action = "already cached" if was_cached else f"decoded and cached in {built:.1f}s"
    print(
        f"{name}: {action}: {len(data.train_y)} train / {len(data.test_y)} test images "
        f"{tuple(data.train_x.shape[1:])}, {data.num_classes} classes -> {path} ({size_mb:.0f} MB); "
        f"a run loads it in {loaded:.2f}s"
    )


def _known(name: str) -> None:
    if name not in SOURCES and name not in EMBEDDED:
        raise UserError(f"unknown dataset '{name}'; known: {', '.join([*EMBEDDED, *SOURCES])}")


def _data_dir(overrides: list[str]) -> str:
    """data_dir from `data_dir=PATH` (default: the config's), the only key these commands take."""
    for override in overrides:
        key = override.split("=", 1)[0]
        if key != "data_dir":
            raise UserError(f"bninit data takes only data_dir=PATH (got '{override}')")
    if overrides:
        return overrides[-1].split("=", 1)[1]
    from bninit.config.compose import compose_run_config

    return compose_run_config([]).data_dir
