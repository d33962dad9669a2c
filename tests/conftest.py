"""Tests compose the real Hydra config (conf/) and shrink it, so they run the code a user runs."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bninit.sweep.compose import compose_run_config

BNINIT = shutil.which("bninit", path=str(Path(sys.executable).parent)) or "bninit"


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
    """cli(*args) runs the installed `bninit` command in tmp_path like a user would."""

    def call(*args: str, timeout: float = 300, cwd: Path | None = None):
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        return subprocess.run(
            [BNINIT, *args], cwd=cwd or tmp_path, env=env, text=True, capture_output=True, timeout=timeout
        )

    return call


import torch  # noqa: E402

# Two cores at most here; tests are small and one thread each avoids oversubscription.
torch.set_num_threads(1)
