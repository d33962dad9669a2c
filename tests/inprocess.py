"""`bninit ARGS` run inside the test process: `bninit.cli.main.main(ARGS)` with what a process of
its own would have kept to itself.

Starting the installed command costs 2-4 s (Python, torch, Hydra); calling main() costs nothing
once the test process has imported them. What one command changes of the process is put back
afterwards: sys.argv, the working directory, the environment, signal handlers, torch's thread
count, Hydra's global state, the logging setup, warning filters, and the loky worker pool a
joblib sweep leaves behind (its workers write to this call's captured output). The output is
captured at the file descriptors, so the lines of the sweep's worker processes land in it too, in
order with the command's own. An exception out of main() is what a process would show: its
traceback on stderr and exit status 1; SystemExit gives its code.
"""

import io
import logging
import os
import signal
import sys
import tempfile
import traceback
import warnings
from contextlib import ExitStack, contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2)


@dataclass
class Done:
    """What subprocess.run returns, as far as the tests read it."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str


def exit_status(code) -> int:
    """A SystemExit's code as the process's exit status (Python's own rule: None is 0, a message
    is printed and is 1)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


@contextmanager
def kept(env: dict[str, str], argv: list[str], cwd: Path):
    """Set argv, cwd and env for one command; afterwards put the process back as it was."""
    import torch
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.hydra_config import HydraConfig

    saved_env, saved_argv, saved_cwd = dict(os.environ), sys.argv, os.getcwd()
    handlers = {sig: signal.getsignal(sig) for sig in SIGNALS}
    threads = torch.get_num_threads()
    loggers = _logging_state()
    os.environ.update(env)
    sys.argv = argv
    os.chdir(cwd)
    try:
        with warnings.catch_warnings():
            yield
    finally:
        os.chdir(saved_cwd)
        sys.argv = saved_argv
        os.environ.clear()
        os.environ.update(saved_env)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        torch.set_num_threads(threads)
        GlobalHydra.instance().clear()
        HydraConfig.instance().cfg = None
        _restore_logging(loggers)
        _stop_loky_workers()


def _loggers() -> list[logging.Logger]:
    known = logging.Logger.manager.loggerDict.values()
    return [logging.root, *(lg for lg in known if isinstance(lg, logging.Logger))]


def _logging_state() -> dict:
    return {lg: (list(lg.handlers), lg.level, lg.propagate, lg.disabled) for lg in _loggers()}


def _restore_logging(saved: dict) -> None:
    for lg in _loggers():
        handlers, level, propagate, disabled = saved.get(lg, ([], logging.NOTSET, True, False))
        for handler in lg.handlers:
            if handler not in handlers:
                handler.close()
        lg.handlers[:] = handlers
        lg.setLevel(level)
        lg.propagate, lg.disabled = propagate, disabled


def _stop_loky_workers() -> None:
    """joblib keeps its loky workers for the next Parallel call; they hold this call's output."""
    module = sys.modules.get("joblib.externals.loky.reusable_executor")
    executor = getattr(module, "_executor", None)
    if executor is not None:
        executor.shutdown(wait=True, kill_workers=True)


@contextmanager
def captured():
    """Fds 1 and 2 (and sys.stdout/err, written straight through to them) into two temp files;
    yields a dict that holds their text once the block is left."""
    texts: dict[str, str] = {}
    sys.stdout.flush()
    sys.stderr.flush()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, ExitStack() as stack:
        saved = [os.dup(1), os.dup(2)]
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        streams = [io.TextIOWrapper(io.FileIO(fd, "w", closefd=False), write_through=True) for fd in (1, 2)]
        try:
            stack.enter_context(redirect_stdout(streams[0]))
            stack.enter_context(redirect_stderr(streams[1]))
            yield texts
        finally:
            stack.close()
            for stream in streams:
                stream.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
            for name, tmp in (("stdout", out), ("stderr", err)):
                tmp.seek(0)
                texts[name] = tmp.read().decode(errors="replace")


def run_main(args: list[str], cwd: Path, env: dict[str, str], argv0: str = "bninit") -> Done:
    """`bninit *args` in `cwd` with `env` added, in this process."""
    from bninit.cli.main import main

    with captured() as texts:
        with kept(env, [argv0, *args], cwd):
            try:
                code = main(list(args))
            except SystemExit as stop:
                code = exit_status(stop.code)
            except Exception:
                traceback.print_exc()
                code = 1
            sys.stdout.flush()
            sys.stderr.flush()
    return Done(list(args), code, texts["stdout"], texts["stderr"])
