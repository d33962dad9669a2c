"""Files a user keeps are written atomically: to a temp file in the same directory, then renamed
over the target, so a crash leaves the old file or the new one, never half of one."""

import os
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# The signals that stop or requeue a run: Ctrl-C, a kill, SLURM's time-limit and preemption signals.
STOPPING_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2}


@contextmanager
def stopping_signals_deferred() -> Iterator[None]:
    """Hold the stopping signals until the block ends, then deliver them to their handlers.

    A handler that raises (Ctrl-C's KeyboardInterrupt; submitit's requeue on a SLURM time limit,
    which exits from its handler) would otherwise fire inside torch.save, whose zip writer then
    fails with its own error ("unexpected pos ...") instead: a run that should have been requeued
    is recorded as failed. Python runs handlers in the main thread only (and a signal mask would
    not help: torch's threads would take the signal), so elsewhere this holds nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived: list[int] = []
    handlers = {s: signal.getsignal(s) for s in STOPPING_SIGNALS}
    held = [s for s, h in handlers.items() if h not in (signal.SIG_IGN, None)]  # None: set in C
    for signum in held:
        signal.signal(signum, lambda signum, frame: arrived.append(signum))
    try:
        yield
    finally:
        for signum in held:
            signal.signal(signum, handlers[signum])
        for signum in arrived:
            signal.raise_signal(signum)


def atomic_write(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Call `write(handle)` on a temp file beside `path`, fsync it, then rename it to `path`; a
    stopping signal that arrives meanwhile is delivered once the file is in place.

    The file gets the usual permissions (0666 less the umask), not mkstemp's private 0600.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with stopping_signals_deferred():
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                write(handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda handle: handle.write(text.encode()))
