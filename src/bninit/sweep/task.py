"""The task of every launched job and of a single `bninit train`: Hydra's main function for bninit,
and the one route into it (`start_multirun`; Hydra's info flags through `show_hydra_info`).

Hydra (and submitit, which pickles it by name) calls `hydra_task`; it turns the job's composed
config into a RunConfig, places the worker, locks the run dir, runs, and leaves error.json (and
the traceback in train.log) behind when the run raises.
"""

import dataclasses
import os
import platform
import sys
import time
import traceback
from contextlib import ExitStack
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from bninit.config import RunConfig
from bninit.config.compose import check_overrides, expand_shorthands, to_run_config
from bninit.errors import RunError, Stop, UserError, first_line
from bninit.store.damage import Damaged, set_aside
from bninit.store.rundir import ERROR, check_dir, is_done, read_record, run_dir, write_json
from bninit.store.runlog import LOG, RunLog


class RunFailed(Exception):
    """A job's run raised; its message is in the run dir's error.json."""


def run_task(cfg: RunConfig, multirun: bool = False) -> dict:
    """The task of every job and of a single `bninit train`: lock the run dir, run, and leave
    error.json behind when the run raises.

    A finished run is skipped before anything else (no lock, no data). A run dir locked by a live
    process is left to it (a multirun skips it; a single run stops with a one-line error). In a
    multirun a bad value fails only its job (error.json, status failed).
    """
    from bninit.run.train import run
    from bninit.store.adopt import adopt_former
    from bninit.store.lock import LockHeld, run_lock

    for move in adopt_former(cfg):  # a run an earlier identity version named
        print(move.line(), flush=True)
    out = run_dir(cfg)
    if is_done(out):
        return run(cfg, echo=not multirun)
    check_dir(cfg.runs_dir, "runs_dir")
    check_dir(cfg.data_dir, "data_dir")
    start = time.time()
    try:
        with ExitStack() as stack:
            try:
                stack.enter_context(run_lock(out))
            except OSError as err:
                raise UserError(f"cannot write the run dir {out}: {err.strerror}") from None
            _clear_error(out)
            try:
                return run(cfg, echo=not multirun)
            except UserError as err:
                if not multirun:
                    raise
                write_error(out, cfg, err, time.time() - start)
                raise RunFailed(f"{out}: {err}") from None
            except Exception as err:
                write_error(out, cfg, err, time.time() - start)
                if multirun:
                    raise
                raise RunError(f"run failed: {_describe(err)} (traceback in {out / LOG})") from None
    except LockHeld as err:
        if not multirun:
            raise UserError(str(err)) from None
        print(f"skipped: {err}", flush=True)
        return {"status": "running", "run_dir": str(out)}


def _describe(err: Exception) -> str:
    if isinstance(err, OSError) and err.strerror:
        return f"{err.strerror}" + (f": {err.filename}" if err.filename else "")
    return f"{type(err).__name__}: {first_line(err)}"


def _clear_error(out: Path) -> None:
    """A retry drops the last error.json (its traceback stays in train.log); a damaged one is
    moved aside instead."""
    try:
        read_record(out / ERROR)
    except Damaged as err:
        set_aside(err.path)
        return
    (out / ERROR).unlink(missing_ok=True)


@hydra.main(config_path="pkg://bninit.conf", config_name="config", version_base="1.3")
def hydra_task(cfg: DictConfig) -> dict:
    """What Hydra runs for each job of a multirun (and for `bninit train --help`/`--cfg`): the
    job's RunConfig, placed on its worker's device and threads, then run_task. A user error
    leaves as Stop, past Hydra's handler, for the command line to print."""
    try:
        hydra_cfg = HydraConfig.get()
        run_cfg = to_run_config(cfg)
        multirun = hydra_cfg.mode == RunMode.MULTIRUN
        if multirun and not is_done(run_dir(run_cfg)):
            run_cfg = _placed(run_cfg, hydra_cfg)
        return run_task(run_cfg, multirun)
    except UserError as err:
        raise Stop(err) from None


def start_multirun(command: str, overrides: list[str], sweeper_overrides: list[str] = ()) -> None:
    """The one route into a Hydra multirun (`bninit train -m`, `bninit sweep`, `bninit demo`):
    the overrides' shorthands expanded and their keys and groups checked (one line each, before
    Hydra composes anything), bninit's cells sweeper registered, then Hydra's app with -m."""
    from hydra.core.plugins import Plugins

    from hydra_plugins.bninit_sweeper import CellSweeper

    overrides = expand_shorthands(overrides)
    check_overrides(overrides)
    # Hydra finds plugins by scanning the hydra_plugins namespace, which an editable install's
    # import hook hides from the scan: register ours through Hydra's public API instead.
    Plugins.instance().register(CellSweeper)
    _hydra_main(command, ["-m", *sweeper_overrides, *overrides])


def show_hydra_info(command: str, args: list[str]) -> None:
    """Hydra's own information flags on bninit's app (`bninit train --help`, `--cfg job`, ...),
    through the same @hydra.main entry as a multirun; the arguments go to Hydra unchanged."""
    _hydra_main(command, args)


def _hydra_main(command: str, args: list[str]) -> None:
    """Run `hydra_task` through @hydra.main with `args`. @hydra.main reads sys.argv, so the
    subcommand is taken off first: the one place bninit touches sys.argv."""
    sys.argv = [f"bninit {command}", *args]
    hydra_task()


def _placed(cfg: RunConfig, hydra_cfg) -> RunConfig:
    import torch

    from bninit.sweep.placement import launcher_kind, place

    settings = OmegaConf.to_container(hydra_cfg.launcher, resolve=True)
    launcher = launcher_kind(settings.get("_target_"))
    device, threads = place(cfg.device, launcher, settings, int(hydra_cfg.job.num), cfg.runs_per_gpu)
    if threads is not None:
        torch.set_num_threads(threads)
    return dataclasses.replace(cfg, device=device)


def write_error(out: Path, cfg: RunConfig, err: BaseException, wall_time_s: float | None = None) -> None:
    """error.json (the error, where its traceback is, the config) and the traceback in train.log;
    best effort: on a full disk the run's own error is what the user hears about."""
    trace = traceback.format_exc()
    RunLog(out, echo=False).write(trace)
    try:
        write_json(
            out / ERROR,
            {
                "error": f"{type(err).__name__}: {err}",
                "traceback": trace,
                "log": str(out / LOG),
                "config": cfg.to_dict(),
                "host": platform.node(),
                "pid": os.getpid(),
                "time": time.time(),
                "wall_time_s": wall_time_s,
            },
        )
    except OSError:
        pass
