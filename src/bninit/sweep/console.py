"""What a person sees during a sweep: the study, not the epochs.

The launched runs may live in other processes (joblib, submitit) whose prints never reach this
terminal, so a thread watches their run dirs while the launcher blocks: a result.json or
error.json that appears (or changes) is a run that finished or failed. Each gives one line (cell,
seed, test accuracy or the error's first line, wall time); progress (done / failed / total, ETA)
is a live rich bar on a terminal and, in a log or pipe, appended to each run's line.
"""

import sys
import threading
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bninit.store.damage import Damaged
from bninit.store.rundir import ERROR, RESULT, read_record, read_result
from bninit.sweep.status import format_duration

POLL_S = 1.0


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns


class SweepConsole:
    """Use as a context manager around the launch; `run_dirs` are the runs being launched."""

    def __init__(self, name: str, run_dirs: list[Path], poll_s: float = POLL_S, live: bool | None = None):
        self.name, self.poll_s = name, poll_s
        self.waiting = {Path(d): (_stamp(Path(d) / RESULT), _stamp(Path(d) / ERROR)) for d in run_dirs}
        self.total, self.done, self.failed = len(run_dirs), 0, 0
        self.width = max((len(_label(Path(d))) for d in run_dirs), default=0)
        self.live = sys.stdout.isatty() if live is None else live
        self._stop, self._thread, self._progress, self._task = threading.Event(), None, None, None
        self._start = time.monotonic()

    def __enter__(self) -> "SweepConsole":
        self._start = time.monotonic()
        if self.live:
            self._progress = Progress(
                TextColumn(f"{self.name}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[failed]} failed"),
                TimeElapsedColumn(),
                TextColumn("ETA {task.fields[eta]}"),
                console=Console(highlight=False),
            )
            self._task = self._progress.add_task(self.name, total=self.total, failed=0, eta="?")
            self._progress.start()
        self._thread = threading.Thread(target=self._watch, name="bninit-sweep-console", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.poll()  # the runs that ended just before the launcher returned
        if self._progress is not None:
            self._progress.stop()

    def _watch(self) -> None:
        while not self._stop.wait(self.poll_s):
            self.poll()

    def poll(self) -> None:
        for directory, (result_was, error_was) in list(self.waiting.items()):
            if _stamp(directory / RESULT) not in (None, result_was):
                line = self._finished(directory)
            elif _stamp(directory / ERROR) not in (None, error_was):
                line = self._failed(directory)
            else:
                continue
            if line is not None:
                del self.waiting[directory]
                self._show(line)

    def _finished(self, directory: Path) -> str | None:
        try:
            record = read_result(directory)
        except Damaged:
            return None  # written atomically, so not yet: look again next time
        self.done += 1
        acc, seconds = record["test_acc_at_best_val"], record.get("wall_time_s") or 0.0
        return f"done    {_label(directory):<{self.width}}  test {acc:6.2f}%  {format_duration(seconds):>7}"

    def _failed(self, directory: Path) -> str | None:
        try:
            record = read_record(directory / ERROR) or {}
        except Damaged:
            record = {}
        self.failed += 1
        error = str(record.get("error", "error.json cannot be read")).strip().splitlines() or ["?"]
        seconds = record.get("wall_time_s")
        took = format_duration(seconds) if seconds is not None else "?"
        return f"failed  {_label(directory):<{self.width}}  {error[0]}  {took:>7}"

    def eta(self) -> str:
        ended = self.done + self.failed
        if ended == 0:
            return "?"
        return format_duration((time.monotonic() - self._start) / ended * (self.total - ended))

    def _show(self, line: str) -> None:
        if self._progress is not None:
            self._progress.console.print(line, markup=False)
            self._progress.update(
                self._task, completed=self.done + self.failed, failed=self.failed, eta=self.eta()
            )
        else:
            progress = f"[{self.done + self.failed}/{self.total}, {self.failed} failed, ETA {self.eta()}]"
            print(f"{line}  {progress}", flush=True)


def _label(directory: Path) -> str:
    return f"{directory.parent.name} {directory.name}"
