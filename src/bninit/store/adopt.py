"""Adoption: a run dir an earlier identity version named is moved to the name the current version
gives it, so an upgrade never trains a finished run again.

A move happens under the old dir's run lock (a live owner leaves it where it is, reported) and is
one rename: the dir, its checkpoint, result and lock move together. Then identity.json is
rewritten with the current version. The sweep adopts its planned runs before it looks at them;
`bninit migrate RUNS_DIR` adopts every run dir under RUNS_DIR.
"""

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from bninit.config import RunConfig, from_composed
from bninit.errors import UserError
from bninit.store.damage import Damaged
from bninit.store.identity import IDENTITY_FILE, former_dirs, identity_record, run_dir
from bninit.store.lock import LockHeld, acquire, release
from bninit.store.rundir import CONFIG, ERROR, RESULT, read_record, write_json


@dataclass(frozen=True)
class Move:
    """What adoption did with one run dir: moved, running (a live lock: left), taken (the new
    name already holds a run: left) or unreadable (no config to name it by: left)."""

    old: Path
    new: Path | None
    outcome: str
    why: str = ""

    def line(self) -> str:
        if self.outcome == "moved":
            return f"moved {self.old} -> {self.new}"
        return f"left {self.old}: {self.why}"


def adopt(old: Path, cfg: RunConfig) -> Move:
    """Move the run dir `old` to `cfg`'s current run dir, under `old`'s lock."""
    old, new = Path(old), run_dir(cfg)
    if new.exists():
        return Move(old, new, "taken", f"{new} already exists")
    try:
        me = acquire(old)
    except LockHeld as err:
        return Move(old, new, "running", str(err))
    try:
        new.parent.mkdir(parents=True, exist_ok=True)
        os.rename(old, new)  # one step: the lock file moves with the dir
    except OSError as err:
        release(old, me)
        return Move(old, new, "failed", err.strerror or str(err))
    write_json(new / IDENTITY_FILE, identity_record(cfg))
    release(new, me)
    try:
        old.parent.rmdir()  # the old cell dir, once its last seed has moved
    except OSError:
        pass
    return Move(old, new, "moved")


def adopt_former(cfg: RunConfig) -> list[Move]:
    """Adopt `cfg`'s run from where an earlier identity version put it (nothing when none did)."""
    if run_dir(cfg).exists():
        return []
    for old in former_dirs(cfg):
        if old.is_dir():
            return [adopt(old, cfg)]
    return []


def migrate(runs_dir: Path) -> list[Move]:
    """Adopt every run dir under runs_dir whose name the current identity version changes."""
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        raise UserError(f"runs_dir '{runs_dir}' is not a directory")
    moves = []
    for directory in sorted(runs_dir.glob("*/*/*/seed=*")):
        if not directory.is_dir():
            continue
        try:
            cfg = stored_config(directory, runs_dir)
        except (Damaged, UserError, TypeError) as err:
            moves.append(Move(directory, None, "unreadable", str(err)))
            continue
        if cfg is None:
            continue  # a dir with no config yet: nothing ever ran in it
        if run_dir(cfg).resolve() != directory.resolve():
            moves.append(adopt(directory, cfg))
    return moves


def stored_config(directory: Path, runs_dir: Path) -> RunConfig | None:
    """The RunConfig a run dir was made with (config.yaml, else result.json's or error.json's),
    placed in runs_dir."""
    values = read_record(directory / CONFIG, parse=yaml.safe_load)
    for record in (RESULT, ERROR):
        if values is None:
            found = read_record(directory / record)
            values = found.get("config") if found else None
    if values is None:
        return None
    return dataclasses.replace(from_composed(dict(values)), runs_dir=str(runs_dir))
