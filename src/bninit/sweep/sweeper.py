"""Hydra at the edge of a sweep: the sweeper that plans every run of a study and hands the
unfinished ones to the configured launcher (bninit.sweep.task is what each job runs).

`hydra/sweeper=cells` (the default, conf/hydra/sweeper/cells.yaml) is a sweeper on Hydra's public
Sweeper interface: the command line's sweep values crossed like Hydra's basic sweeper does, plus a
preset's cells and seed axis (bninit.config.presets reads the preset). Before launching it plans
every run (bninit.sweep.run_plan: each cell composed once, every run's dir), prints where the
study stands, writes the list of run dirs to <sweep dir>/runs.txt (the collect callback reads it)
and launches only what is left to do, so a finished run costs no process, no job and no data
loading. Hydra has no sweep resume: this is it.

Errors are raised, never printed: a UserError leaves as errors.Stop, which passes Hydra's own
handler, and the command line prints its one line and exits with its code.
"""

import contextlib
import time
from pathlib import Path
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.plugins import Plugins
from hydra.core.utils import JobStatus
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

from bninit.atomic import write_text
from bninit.config import RunConfig
from bninit.errors import RunError, Stop, UserError, first_line
from bninit.store.adopt import adopt_former
from bninit.store.collect import run_status
from bninit.store.rundir import RUNS_LIST, run_dir
from bninit.sweep.console import SweepConsole
from bninit.sweep.jobs import cell_key
from bninit.sweep.outcome import OUTCOME, outcome_record, write_outcome
from bninit.sweep.run_plan import plan_frame, plan_runs
from bninit.sweep.status import format_table, status_table


class CellSweeper(Sweeper):
    """Hydra's sweeper interface (public API only): plans cells x seeds, skips finished runs and
    hands the rest to the configured launcher in batches of `max_batch_size`."""

    def __init__(
        self,
        max_batch_size: int | None = None,
        params: dict | None = None,
        name: str = "multirun",
        preset: str | None = None,
        seeds: Any = None,
        dry_run: bool = False,
    ) -> None:
        super().__init__()
        self.max_batch_size, self.params = max_batch_size, dict(params or {})
        self.hydra_context, self.config, self.launcher = None, None, None
        self.name, self.preset = name, preset
        self.seeds = OmegaConf.to_container(seeds) if OmegaConf.is_config(seeds) else seeds
        self.dry_run = dry_run

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.hydra_context, self.config = hydra_context, config
        self.launcher = Plugins.instance().instantiate_launcher(
            hydra_context=hydra_context, task_function=task_function, config=config
        )

    def sweep(self, arguments: list[str]) -> Any:
        """Hydra's entry: plan, skip, launch; a UserError (or RunError) leaves as Stop."""
        try:
            return self._sweep(arguments)
        except UserError as err:
            raise Stop(err) from None

    def _sweep(self, arguments: list[str]) -> Any:
        jobs, configs = self.plan(arguments)
        if not self.dry_run:
            for cfg in configs:  # runs an earlier identity version named: moved to their names now
                for move in adopt_former(cfg):
                    print(f"{self.name}: {move.line()}", flush=True)
        statuses = [run_status(run_dir(c)) or "pending" for c in configs]
        print(
            f"{self.name}: {len(configs)} runs in {len({cell_key(j) for j in jobs})} cells; "
            + ", ".join(f"{statuses.count(s)} {s}" for s in ("done", "running", "failed"))
            + f", {len(configs) - sum(s in ('done', 'running', 'failed') for s in statuses)} pending",
            flush=True,
        )
        if self.dry_run:
            print(format_table(status_table(plan_frame(configs))))
            return []
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        try:
            write_text(sweep_dir / RUNS_LIST, "".join(f"{run_dir(c).resolve()}\n" for c in configs))
            OmegaConf.save(self.config, sweep_dir / "multirun.yaml")
        except OSError as err:
            raise UserError(f"cannot write {sweep_dir}: {err.strerror}") from None
        queued, watching = self._slurm(sweep_dir, jobs)
        by_job = {tuple(job): run_dir(c).resolve() for job, c in zip(jobs, configs, strict=True)}
        todo = [
            job
            for job, s in zip(jobs, statuses, strict=True)
            if s not in ("done", "running") and tuple(job) not in queued
        ]
        planned = {
            by_job[tuple(j)]: str(Path(c.runs_dir).resolve()) for j, c in zip(jobs, configs, strict=True)
        }
        skipped = [by_job[tuple(job)] for job in jobs if job not in todo]
        launch_failed: list[Path] = []
        try:
            with watching:  # bninit's own SLURM status watcher, for its own jobs only
                returns = self._launch(todo, queued, by_job, launch_failed)
        except BaseException:  # Ctrl-C, SIGTERM, a launcher error: the runs resume next time
            self._record(sweep_dir, planned, skipped, launch_failed, "interrupted")
            raise
        unwritten = self._record(sweep_dir, planned, skipped, launch_failed, "finished")
        if unwritten is not None:
            raise UserError(f"cannot write {sweep_dir / OUTCOME}: {unwritten.strerror}")
        return returns

    def _record(
        self, sweep_dir: Path, planned: dict, skipped: list, failed: list, ended: str
    ) -> OSError | None:
        """Write outcome.json; the OSError if it cannot be written (an error in flight wins over it)."""
        try:
            write_outcome(sweep_dir, outcome_record(self.name, planned, skipped, failed, ended))
        except OSError as err:
            return err
        return None

    def _launch(self, todo: list, queued: dict, by_job: dict, launch_failed: list[Path]) -> list:
        """Hand `todo` to the launcher in batches, then wait for the SLURM jobs left `queued`."""
        if not todo and not queued:
            print(f"{self.name}: nothing to run", flush=True)
            return []
        if todo:
            print(
                f"{self.name}: launching {len(todo)} runs "
                f"({self.config.hydra.runtime.choices['hydra/launcher']} launcher)",
                flush=True,
            )
        size = self.max_batch_size or len(todo) or 1
        returns, start = [], time.perf_counter()
        with SweepConsole(self.name, [by_job[tuple(job)] for job in todo]):
            for first in range(0, len(todo), size):
                batch = todo[first : first + size]
                try:
                    results = self.launcher.launch(batch, initial_job_idx=first)
                except Exception as err:  # e.g. a joblib worker killed: the runs resume next time
                    raise RunError(self._stopped(err, by_job, launch_failed)) from None
                launch_failed += [
                    by_job[tuple(job)]
                    for job, r in zip(batch, results, strict=False)
                    if r.status == JobStatus.FAILED
                ]
                returns.append(results)
        if queued:
            from bninit.sweep.slurm import wait_for

            wait_for(set(queued.values()))
        print(
            f"{self.name}: {len(todo) - len(launch_failed)} runs finished, {len(launch_failed)} failed "
            f"in {time.perf_counter() - start:.1f}s",
            flush=True,
        )
        return returns

    def _stopped(self, err: Exception, by_job: dict, launch_failed: list[Path]) -> str:
        """The line for a launcher that raised; a SLURM job lost without a result counts failed."""
        from bninit.sweep.slurm import lost_job_line, submission_overrides

        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        line = lost_job_line(err, sweep_dir)
        if line is None:
            return (
                f"the launcher stopped ({type(err).__name__}: {first_line(err)}); "
                "run the same command again to resume"
            )
        try:
            job = line.split()[4]
            launch_failed.append(by_job[submission_overrides(sweep_dir / ".submitit", job)])
        except Exception:  # noqa: BLE001 (the line is what matters; the count is best effort)
            pass
        return line + "; run the same command again to retry it"

    def _slurm(self, sweep_dir: Path, jobs: list[list[str]]) -> tuple[dict[tuple[str, ...], str], Any]:
        """Runs of this sweep that SLURM still holds from an earlier submission (left to it), and
        the context that watches the jobs this sweep submits (nothing for other launchers)."""
        from bninit.sweep.slurm import is_slurm_launcher, queued_runs, sacct_available, watching_bninit_jobs

        if not is_slurm_launcher(self.config.hydra.launcher):
            return {}, contextlib.nullcontext()
        watching = watching_bninit_jobs(sacct_available())
        planned = {tuple(job) for job in jobs}
        queued = {job: slurm_id for job, slurm_id in queued_runs(sweep_dir).items() if job in planned}
        if queued:
            print(
                f"{self.name}: {len(queued)} runs still queued or running in SLURM (jobs "
                f"{', '.join(sorted(queued.values()))}): left to them, waited for",
                flush=True,
            )
        return queued, watching

    def plan(self, arguments: list[str]) -> tuple[list[list[str]], list[RunConfig]]:
        """Every job's overrides and its RunConfig (bninit.sweep.run_plan)."""
        parser = OverridesParser.create(config_loader=self.hydra_context.config_loader)
        wanted = [f"{k}={v}" for k, v in self.params.items()] + list(arguments)
        return plan_runs(wanted, self.preset, self.seeds, self.name, self.dry_run, parser)
