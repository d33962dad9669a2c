"""What a sweep runs: a preset's cells crossed with its seeds and the user's overrides.

A preset (conf/sweep/<name>.yaml, read by bninit.config.presets) lists *blocks* of cells:

    cells:
      - {bn: ours, c: 100, gamma: [0.05, 0.1], lr: [0.1, 0.01]}   # 4 cells
      - {bn: base, gamma: 1.0, c: 1, lr: [0.1, 0.01]}             # 2 cells

Every function here is plain data in, plain data out: the Hydra sweeper (bninit.sweep.sweeper) and
the tests both call them.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from bninit.errors import UserError


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


def axes(cells: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """The keys the cells vary (a key set in only some cells varies too), with their values."""
    keys = {k for cell in cells for k in cell}
    found = {}
    for key in sorted(keys):
        values = [cell.get(key, _MISSING) for cell in cells]
        if any(not _same(v, values[0]) for v in values):
            found[key] = [
                v
                for i, v in enumerate(values)
                if v is not _MISSING and not any(_same(v, w) for w in values[:i])
            ]
    return found


def job_overrides(
    cells: Sequence[Mapping[str, Any]],
    seeds: Sequence[int] | None,
    user_jobs: Sequence[Sequence[str]],
    preset: str = "the sweep",
) -> list[list[str]]:
    """Every job's override list: seeds x cells x the user's (already expanded) override lists.

    A user value for a key the cells vary (an axis: gamma, lr, bn, ...) selects the cells with
    that value (`lr=0.1` runs the lr 0.1 column); for any other key it applies to every cell
    (`epochs=2`, `arch=resnet20` when all cells share one arch, `seed=3`). Jobs that come out
    identical run once. Seed-major order: an interrupted study has whole seeds.
    """
    varying = axes(cells)
    jobs: list[list[str]] = []
    seen: set[tuple[str, ...]] = set()
    for user in user_jobs:
        values = {k.lstrip("+~"): v for k, v in (o.split("=", 1) for o in user)}
        user_keys = set(values)
        chosen = [
            cell
            for cell in cells or [{}]
            if all(_same(cell.get(k, _MISSING), values.get(k)) for k in varying if k in values)
        ]
        for seed in seeds or [None]:
            for cell in chosen:
                job = [f"{k}={override_value(v)}" for k, v in cell.items() if k not in user_keys]
                if seed is not None and "seed" not in user_keys:
                    job.append(f"seed={seed}")
                job += list(user)
                key = tuple(sorted(job))
                if key not in seen:
                    seen.add(key)
                    jobs.append(job)
    if not jobs:
        asked = sorted({o for user in user_jobs for o in user if o.split("=", 1)[0] in varying})
        known = "; ".join(f"{k}: {', '.join(override_value(v) for v in vs)}" for k, vs in varying.items())
        raise UserError(f"no cell of {preset} matches {' '.join(asked)}; its cells have {known}")
    return jobs


_MISSING = object()


def _same(a: Any, b: Any) -> bool:
    """Equal as config values: 0.1 == '0.1', 1 == 1.0 == '1.0'; a missing key equals nothing."""
    if a is _MISSING or b is _MISSING:
        return a is b
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return override_value(a) == override_value(b)


def cell_key(job: Sequence[str]) -> tuple[str, ...]:
    """A job's overrides without its seed: jobs with the same key differ only in the seed."""
    return tuple(o for o in job if o.split("=", 1)[0] != "seed")
