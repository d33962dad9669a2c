"""A run's log: `train.log` in its run dir holds every line the run printed, appended across
resumes (each session opens with a dated header line), and the traceback of a crash."""

import os
import platform
import time
from pathlib import Path

LOG = "train.log"


class RunLog:
    """say() writes a line to the run's train.log and, with echo, to stdout.

    The file is opened on the first line (a run that fails before saying anything leaves no log
    and so no run dir). A line the disk cannot take is dropped from the log, never fatal: the
    checkpoint write that follows reports a full disk.
    """

    def __init__(self, directory: Path, echo: bool = True) -> None:
        self.path, self.echo, self._opened = Path(directory) / LOG, echo, False

    def say(self, message: str) -> None:
        if self.echo:
            print(message, flush=True)
        self.write(message)

    def write(self, text: str) -> None:
        lines = text.rstrip("\n") + "\n"
        if not self._opened:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
            lines = f"--- {stamp}, pid {os.getpid()} on {platform.node()} ---\n" + lines
        try:
            with open(self.path, "a") as handle:
                handle.write(lines)
            self._opened = True
        except OSError:
            pass
