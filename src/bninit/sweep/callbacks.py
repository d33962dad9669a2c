"""Hydra callbacks: at the end of every multirun, collect the sweep's runs into its CSV(s)."""

from pathlib import Path

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from bninit.store.collect import collect, counts, write_csv
from bninit.sweep.outcome import OUTCOME, read_outcome, write_outcome


class CollectRuns(Callback):
    """Write <csv> with one row per run dir of the sweep just finished (its outcome.json, written
    by the sweeper), whatever each run's status. A sweep over several runs_dir values writes
    <runs_dir>/<sweep name>.csv into each instead. The CSVs are added to the outcome."""

    def __init__(self, csv: str) -> None:
        self.csv = Path(csv)

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        sweep_dir = Path(str(config.hydra.sweep.dir))
        record = read_outcome(sweep_dir / OUTCOME)
        if OmegaConf.select(config, "hydra.sweeper.dry_run", default=False) or record is None:
            return
        runs_dirs = record["runs_dirs"]
        for runs_dir, run_dirs in runs_dirs.items():
            csv = self.csv if len(runs_dirs) == 1 else Path(runs_dir) / f"{record['name']}.csv"
            frame = collect(Path(d) for d in run_dirs)
            write_csv(frame, csv)
            record["csv"].append(str(csv))
            found = ", ".join(f"{n} {s}" for s, n in counts(frame).items() if n)
            print(f"collected {len(frame)} runs ({found or 'none started'}) -> {csv}", flush=True)
        write_outcome(sweep_dir, record)
