"""What a run keeps between epochs and how it comes back: RunState (the checkpoint's content
besides the model, optimizer, scheduler, scaler and RNG), and a damaged checkpoint, result or
config moved aside (kept, never deleted) so the seed starts again or the config is rewritten."""

import dataclasses
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import yaml

from bninit.config import RunConfig
from bninit.store.damage import Damaged, set_aside
from bninit.store.rundir import CONFIG, read_record, write_yaml
from bninit.store.runlog import RunLog


@dataclass
class RunState:
    """What a run has done so far: saved in its checkpoint after every epoch (with the model,
    optimizer, scheduler, grad scaler and data-order RNG), restored on resume."""

    epoch: int = 0
    history: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    best_val_acc: float = -1.0
    test_acc_at_best_val: float | None = 0.0
    elapsed: float = 0.0
    best_model: dict[str, torch.Tensor] | None = None  # the best-val weights (eval_test=at_best)
    hardware: list[dict] = field(default_factory=list)  # every machine it ran on (fingerprint)

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


def set_damaged_aside(err: Damaged, log: RunLog, seed: int) -> None:
    """Move the damaged file aside (kept, never deleted) and say so on stderr and in the log."""
    aside = set_aside(err.path)
    line = (
        f"damaged: {err.path} cannot be read ({err.reason}); moved to {aside.name}, "
        f"seed {seed} runs again from the start"
    )
    print(line, file=sys.stderr, flush=True)
    log.write(line)


def read_or_set_aside(read: Callable[[Path], Any], out: Path, log: RunLog, seed: int) -> Any:
    """`read(out)`, or None after moving a damaged file aside (the seed then runs from the start)."""
    try:
        return read(out)
    except Damaged as err:
        set_damaged_aside(err, log, seed)
        return None


def rewrite_damaged_config(out: Path, cfg: RunConfig, say: Callable[[str], None]) -> None:
    """A resumable run with a damaged config.yaml: the checkpoint holds the run, so only the
    config file is moved aside and written again."""
    try:
        read_record(out / CONFIG, parse=yaml.safe_load)
    except Damaged as err:
        aside = set_aside(err.path)
        say(f"damaged: {err.path} cannot be read ({err.reason}); moved to {aside.name}, rewritten")
        write_yaml(out / CONFIG, cfg.to_dict())
