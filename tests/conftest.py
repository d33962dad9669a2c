"""Tests compose the real Hydra config (conf/) and shrink it, so they run the code a user runs."""

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bninit.config.compose import compose_run_config
from inprocess import run_main

BNINIT = shutil.which("bninit", path=str(Path(sys.executable).parent)) or "bninit"
# A CLI subprocess uses one thread (torch's OpenMP and MKL pools), like the tests in-process, so
# tests run side by side (pytest-xdist) do not oversubscribe the cores.
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
GPU_SKIP = "needs a CUDA GPU: torch.cuda.is_available() is False here"


def like_a_terminal() -> None:
    """In the child before bninit starts: Ctrl-C's default action, as a terminal's foreground job
    has it (a suite started in the background, `cmd &` in a script, inherits SIGINT ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def pytest_configure(config):
    config.addinivalue_line("markers", "gpu: needs a CUDA GPU (skipped without one, with the reason)")


def pytest_collection_modifyitems(config, items):
    import torch

    if os.environ.get("PYTEST_XDIST_WORKER"):  # a pytest-xdist worker (scripts/test.sh)
        share_workers(items)
    if torch.cuda.is_available():
        return
    for item in items:
        if item.get_closest_marker("gpu") is not None:
            item.add_marker(pytest.mark.skip(reason=GPU_SKIP))


def share_workers(items) -> None:
    """Under pytest-xdist (scripts/test.sh: --dist loadfile, so a test file's module and session
    fixtures, the SLURM cluster among them, are built once, on one worker): the longest work is
    handed out first (the SLURM tests, mostly waiting on the cluster, then the files with slow
    tests) so that no long file starts last."""
    rank = {
        item: 0 if item.get_closest_marker("slurm") else 1 if item.get_closest_marker("slow") else 2
        for item in items
    }
    items.sort(key=rank.__getitem__)


@pytest.fixture
def make_cfg(tmp_path):
    """make_cfg(*overrides) -> RunConfig for digits/resnet20, 2 epochs, runs under tmp_path."""

    def make(*overrides: str):
        return compose_run_config([f"runs_dir={tmp_path / 'runs'}", "epochs=2", *overrides])

    return make


@pytest.fixture
def bninit_command() -> str:
    """Path of the installed `bninit` console script (the one beside this Python)."""
    return BNINIT


@pytest.fixture
def cli(tmp_path):
    """cli(*args) runs `bninit *args` in tmp_path inside this process (bninit.cli.main.main, with
    what a process keeps to itself put back afterwards: see inprocess.py); returns .returncode,
    .stdout, .stderr like subprocess.run. `timeout` is the subprocess fixture's, accepted here."""

    def call(*args: str, timeout: float = 300, cwd: Path | None = None):
        return run_main(list(args), cwd or tmp_path, {**ONE_THREAD, "PYTHONUNBUFFERED": "1"}, BNINIT)

    return call


@pytest.fixture
def cli_process(tmp_path):
    """cli_process(*args) runs the installed `bninit` command in a subprocess in tmp_path, like a
    user: the end-to-end checks of the console script itself."""

    def call(*args: str, timeout: float = 300, cwd: Path | None = None):
        env = {**os.environ, **ONE_THREAD, "PYTHONUNBUFFERED": "1"}
        return subprocess.run(
            [BNINIT, *args], cwd=cwd or tmp_path, env=env, text=True, capture_output=True, timeout=timeout
        )

    return call


import torch  # noqa: E402

# Two cores at most here; tests are small and one thread each avoids oversubscription.
torch.set_num_threads(1)
