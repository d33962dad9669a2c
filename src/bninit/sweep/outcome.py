"""A sweep's outcome, written into the sweep's own directory (outcome.json): which run dirs it
planned, which it skipped (finished or run by another process before it started), and how each
planned run stands at the end (done, failed, interrupted, pending), with the CSV(s) its runs were
collected into. The command line reads it for its summary, CSV path and exit code.

A run the launcher reported failed counts as failed even when its dir could not record why (a
full disk while writing error.json leaves it looking interrupted).
"""

import json
from pathlib import Path
from typing import Any

from bninit.atomic import write_text
from bninit.store.collect import run_status

OUTCOME = "outcome.json"
ENDS = ("done", "failed", "interrupted", "running", "pending")

_written: list[Path] = []  # the outcome files this process wrote, latest last (read by the CLI)


def outcome_record(
    name: str,
    planned: dict[Path, str],
    skipped: list[Path],
    launch_failed: list[Path],
    ended: str,
) -> dict[str, Any]:
    """The record for `planned` (run dir -> its runs_dir) with each run's status read from disk."""
    by_status: dict[str, list[str]] = {status: [] for status in ENDS}
    failed = {str(p) for p in launch_failed}
    for directory in planned:
        status = run_status(directory) or "pending"
        if str(directory) in failed and status != "done":
            status = "failed"
        by_status[status].append(str(directory))
    runs_dirs: dict[str, list[str]] = {}
    for directory, runs_dir in planned.items():
        runs_dirs.setdefault(runs_dir, []).append(str(directory))
    return {
        "name": name,
        "ended": ended,
        "planned": [str(p) for p in planned],
        "skipped": [str(p) for p in skipped],
        **by_status,
        "runs_dirs": runs_dirs,
        "csv": [],
    }


def write_outcome(sweep_dir: Path, record: dict[str, Any]) -> Path:
    path = Path(sweep_dir) / OUTCOME
    write_text(path, json.dumps(record, indent=2) + "\n")
    if path not in _written:
        _written.append(path)
    return path


def read_outcome(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def last_outcome() -> dict[str, Any] | None:
    """The outcome of the latest sweep this process ran (None: it wrote none, e.g. a dry run)."""
    return read_outcome(_written[-1]) if _written else None


def forget_outcomes() -> None:
    _written.clear()


def lost(record: dict[str, Any]) -> list[str]:
    """The run dirs a finished sweep lost: failed, or left interrupted with no failure recorded."""
    return record["failed"] + (record["interrupted"] if record["ended"] == "finished" else [])
