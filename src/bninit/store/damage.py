"""Damaged files in a run dir: a result, config, error record, checkpoint or lock that cannot be
read. Damage stays with its run: readers count the run as `damaged` and warn once, naming the
file; training moves the file aside (`<name>.damaged-<UTC time>`, never deleted) and starts the
seed again."""

import sys
import time
from pathlib import Path


class Damaged(Exception):
    """A file of a run dir exists but cannot be read; `path` names it, the message says why."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = Path(path), reason


def reason_of(err: BaseException) -> str:
    """A short, one-line description of why reading failed."""
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0]}" if text else type(err).__name__


def warn(err: Damaged) -> None:
    """The one warning line (stderr) a reader prints for a damaged file."""
    print(
        f"bninit: warning: {err.path} cannot be read ({err.reason}); run counted as damaged", file=sys.stderr
    )


def set_aside(path: Path) -> Path:
    """Rename a damaged file to `<name>.damaged-<UTC time>` beside it; return the new path."""
    path = Path(path)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while aside.exists():  # two damaged versions within a second: keep both
        aside, n = path.with_name(f"{path.name}.damaged-{stamp}-{n}"), n + 1
    path.rename(aside)
    return aside
