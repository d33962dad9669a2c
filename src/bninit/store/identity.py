"""A run's identity: the versioned record that names its cell's directory.

The directory is the key behind skip, resume, collect and status, so its name is a contract:
runs_dir/<dataset>/<arch>/<method tag>-<hash>/seed=<n>, where the hash is the sha1 of the cell's
identity record (RunConfig.identity(): the IDENTITY keys and the OPTIONAL keys set away from their
defaults, canonical values, the seed left out) as sorted JSON. That naming is identity version 1.

A later version that must name cells differently adds its naming to CELL_NAMES and raises
IDENTITY_VERSION; every earlier naming stays, so the directories earlier versions wrote are found
(former_dirs) and adopted (bninit.store.adopt). Each run records its version in identity.json; a
run dir without one was written by version 1.
"""

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bninit.config import RunConfig

IDENTITY_VERSION = 1
IDENTITY_FILE = "identity.json"


def method_tag(cfg: RunConfig) -> str:
    """A readable name for the cell: BN variant, gamma, c, lr and input normalization."""
    return f"{cfg.bn}-g{cfg.gamma:g}-c{cfg.c:g}-lr{cfg.lr:g}-in_{cfg.input_norm}"


def record_hash(record: dict[str, Any]) -> str:
    """Eight hex digits of the sha1 of `record` as sorted JSON."""
    return hashlib.sha1(json.dumps(record, sort_keys=True).encode()).hexdigest()[:8]


def cell_name_v1(cfg: RunConfig) -> str:
    return f"{method_tag(cfg)}-{record_hash(cfg.identity())}"


# Version -> the cell directory's name under that version. Entries are never removed.
CELL_NAMES: dict[int, Callable[[RunConfig], str]] = {1: cell_name_v1}


def cell_name(cfg: RunConfig, version: int | None = None) -> str:
    """The cell directory's name under `version` (default: the current one)."""
    return CELL_NAMES[IDENTITY_VERSION if version is None else version](cfg)


def run_dir(cfg: RunConfig, version: int | None = None) -> Path:
    """runs_dir/<dataset>/<arch>/<cell name>/seed=<n>: the same config, the same place."""
    return Path(cfg.runs_dir) / cfg.dataset / cfg.arch / cell_name(cfg, version) / f"seed={cfg.seed}"


def former_dirs(cfg: RunConfig) -> list[Path]:
    """Where earlier identity versions put this run, newest first, when it differs from now."""
    now = run_dir(cfg)
    found = []
    for version in sorted((v for v in CELL_NAMES if v < IDENTITY_VERSION), reverse=True):
        path = run_dir(cfg, version)
        if path != now and path not in found:
            found.append(path)
    return found


def identity_record(cfg: RunConfig) -> dict[str, Any]:
    """What identity.json holds: the version, the cell's name and the record behind its hash."""
    return {"identity_version": IDENTITY_VERSION, "cell": cell_name(cfg), "identity": cfg.identity()}


def recorded_version(directory: Path) -> int:
    """The identity version a run dir was written under (no identity.json: version 1)."""
    try:
        record = json.loads((Path(directory) / IDENTITY_FILE).read_text())
        return int(record["identity_version"])
    except (OSError, ValueError, KeyError, TypeError):
        return 1
