"""Every run of a sweep, planned before anything launches: the command line's sweep values crossed
with a preset's cells and seeds (bninit.sweep.jobs), each job's RunConfig (one composition per
cell, not per seed, through bninit.config.compose), checked: no two jobs share a run dir, the runs
dir takes files, the data dir is usable. Also the planned runs as status rows (--dry-run).
"""

import dataclasses
import itertools
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from hydra.errors import HydraException

from bninit.config import RunConfig, validate
from bninit.config.compose import compose_run_config
from bninit.config.presets import preset_cells, preset_seeds
from bninit.errors import UserError, first_line
from bninit.store.collect import run_row
from bninit.store.rundir import check_dir, run_dir
from bninit.sweep.jobs import cell_key, job_overrides, seed_list


def plan_runs(
    wanted: list[str],
    preset: str | None,
    seeds: Any,
    name: str,
    dry_run: bool,
    parser: OverridesParser | None = None,
) -> tuple[list[list[str]], list[RunConfig]]:
    """Every job's overrides and its RunConfig for the overrides `wanted` (sweep values allowed),
    the preset's cells (none: one cell, the config) and `seeds` (None: the preset's, if any).
    `dry_run` creates nothing (an impossible runs dir is still named); else the runs dir is made."""
    parser = parser or OverridesParser.create()
    try:
        user_jobs = override_combinations(parser.parse_overrides(wanted))
    except HydraException as err:
        raise UserError(first_line(err)) from None
    cells = preset_cells(preset) if preset else []
    if seeds is None and preset:
        seeds = preset_seeds(preset)
    jobs = job_overrides(cells, seed_list(seeds), user_jobs, name)
    composed: dict[tuple[str, ...], RunConfig] = {}
    configs = []
    for job in jobs:
        key = cell_key(job)
        if key not in composed:
            composed[key] = _compose(job)
        seed = [o.split("=", 1)[1] for o in job if o.split("=", 1)[0] == "seed"]
        configs.append(_with_seed(composed[key], seed[-1]) if seed else composed[key])
    if len({run_dir(c) for c in configs}) != len(configs):
        raise UserError(
            "two jobs of this sweep name the same run dir (a key the run dir ignores "
            "is swept: data_dir, runs_dir, device or num_workers?)"
        )
    for runs_dir in {c.runs_dir for c in configs}:
        if dry_run:  # creates nothing, but says so when the runs dir is impossible
            check_dir(runs_dir, "runs_dir")
        else:
            check_writable(Path(runs_dir))
    for data_dir in {c.data_dir for c in configs}:
        check_dir(data_dir, "data_dir")
    return jobs, configs


def override_combinations(overrides: list[Override]) -> list[list[str]]:
    """Every combination of the command line's sweep values (a,b / range(...) / choice(...)), in
    order: the cartesian product, one override list per job; a later override of a key wins."""
    axes: dict[str, list[str]] = {}
    for override in overrides:
        key = override.get_key_element()
        if not override.is_sweep_override():
            axes[key] = [f"{key}={override.get_value_element_as_str()}"]
        elif override.is_discrete_sweep():
            axes[key] = [f"{key}={value}" for value in override.sweep_string_iterator()]
        else:
            raise UserError(f"{key}: an interval sweep needs a sampling sweeper; give the values (a,b,c)")
    return [list(job) for job in itertools.product(*axes.values())]


def _compose(job: list[str]) -> RunConfig:
    """One cell's RunConfig, composed like a single run's; an error names the job."""
    try:
        return compose_run_config(list(job))
    except UserError as err:
        raise UserError(f"{' '.join(job)}: {err}") from None


def _with_seed(cfg: RunConfig, seed: str) -> RunConfig:
    """The cell's config for one seed of the sweep, validated like any other config."""
    try:
        value = int(seed)
    except ValueError:
        raise UserError(f"seed={seed!r} is not a valid int") from None
    return validate(dataclasses.replace(cfg, seed=value))


def plan_frame(configs: list[RunConfig]) -> pd.DataFrame:
    """The planned runs as status rows: what exists on disk, 'pending' for the rest."""
    rows = []
    for cfg in configs:
        directory = run_dir(cfg)
        row = run_row(directory) if directory.exists() else None
        if row is None:
            row = {"status": "pending", "epochs_done": 0, "wall_time_s": None, "cell": directory.parent.name}
        rows.append({**row, "dataset": cfg.dataset, "arch": cfg.arch, "epochs": cfg.epochs})
    return pd.DataFrame(rows)


def check_writable(runs_dir: Path) -> None:
    """The runs dir exists (or can be made) and takes files; UserError otherwise."""
    try:
        runs_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=runs_dir):
            pass
    except OSError as err:
        raise UserError(f"runs_dir '{runs_dir}' is not writable: {err.strerror}") from None
