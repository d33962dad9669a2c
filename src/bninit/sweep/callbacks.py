"""Hydra callbacks: at the end of every multirun, collect the sweep's runs into its CSV."""

from pathlib import Path

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from bninit.store.collect import collect, counts, write_csv
from bninit.store.rundir import RUNS_LIST


class CollectRuns(Callback):
    """Write <csv> with one row per run dir of the sweep just finished (runs.txt of its sweep
    dir, written by the sweeper), whatever each run's status."""

    def __init__(self, csv: str) -> None:
        self.csv = Path(csv)

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        runs = Path(str(config.hydra.sweep.dir)) / RUNS_LIST
        if OmegaConf.select(config, "hydra.sweeper.dry_run", default=False) or not runs.exists():
            return
        frame = collect(Path(line) for line in runs.read_text().splitlines() if line)
        write_csv(frame, self.csv)
        found = ", ".join(f"{n} {s}" for s, n in counts(frame).items() if n)
        print(f"collected {len(frame)} runs ({found or 'none started'}) -> {self.csv}", flush=True)
