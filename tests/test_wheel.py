"""The wheel a pip user installs: built from this tree, installed into a fresh venv outside the
repository without the package index (the dependencies are the ones this test's Python already
has), then the installed `bninit` command alone trains, plans a sweep, reports and benchmarks."""

import importlib.util
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def dependency_dirs() -> list[str]:
    """The site-packages folders this Python imports from (a CI venv's own, or the folders a .pth
    file adds), never the source tree: the fresh venv reuses them instead of the index."""
    return [p for p in sys.path if "site-packages" in p and Path(p).is_dir()]


def run(args: list[str], venv: Path, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(cwd)}
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path]:
    """(the fresh venv, a work folder outside the repository) with the wheel installed."""
    # Built without build isolation and installed without the index: nothing is downloaded, so
    # the build backend and pip must be in this Python already (the test extra's venv has both).
    for module in ("setuptools", "pip"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"building and installing the wheel offline needs {module} in {sys.executable}")
    tmp = tmp_path_factory.mktemp("wheel")
    # built from a copy of the sources: no stale build/ folder of the clone can leak into it
    source = tmp / "source"
    skip = shutil.ignore_patterns(
        ".*", "build", "dist", "*.egg-info", "__pycache__", "runs", "outputs", "results"
    )
    shutil.copytree(ROOT, source, symlinks=True, ignore=skip)
    pip_wheel = ["-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp)]
    subprocess.run(
        [sys.executable, *pip_wheel, str(source)],
        check=True,
        capture_output=True,
    )
    [wheel] = tmp.glob("bninit-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {
        "bninit/conf/config.yaml",
        "bninit/conf/dataset/digits.yaml",
        "bninit/conf/bn/ours.yaml",
        "bninit/bench/speed.py",
        "bninit/bench/worker.py",
        "bninit/report/inputs/paper_tables.csv",  # --paper and sweep plans read them as package data
        "bninit/report/inputs/claims.csv",
        "hydra_plugins/bninit_sweeper/__init__.py",
    }
    assert shipped <= names, shipped - names
    assert not any("slurm_local" in n for n in names)  # the local test cluster needs a clone
    venv = tmp / "venv"
    # no pip or setuptools of its own: every dependency (pip too) comes from the folders below
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True
    )
    [site] = venv.glob("lib/python*/site-packages")
    (site / "deps.pth").write_text("\n".join(dependency_dirs()) + "\n")
    work = tmp / "work"
    work.mkdir()
    run([str(venv / "bin" / "python"), "-m", "pip", "install", "--no-index", "-q", str(wheel)], venv, work)
    return venv, work


@pytest.mark.slow
def test_the_installed_package_is_the_wheel_not_the_clone(installed):
    venv, work = installed
    proc = run([str(venv / "bin" / "python"), "-c", "import bninit; print(bninit.__file__)"], venv, work)
    assert Path(proc.stdout.strip()).is_relative_to(venv) and not Path(proc.stdout.strip()).is_relative_to(
        ROOT
    )


@pytest.mark.slow
def test_train_sweep_report_and_bench_from_the_installed_command(installed):
    venv, work = installed
    bninit = str(venv / "bin" / "bninit")
    train = run([bninit, "train", "epochs=1", f"runs_dir={work / 'runs'}"], venv, work)
    [result] = (work / "runs").glob("digits/resnet20/*/seed=1/result.json")
    assert "done: test acc" in train.stdout
    plan = run([bninit, "sweep", "demo", "--dry-run"], venv, work)
    assert "demo" in plan.stdout
    csv = ROOT / "results" / "demo-reference" / "demo.csv"
    # --paper reads the paper's tables and claims as the installed package's data
    run([bninit, "report", str(csv), "--paper", "1a", "-o", str(work / "report")], venv, work)
    assert any((work / "report").glob("*.md")) and (work / "report" / "claims.csv").is_file()
    bench = run([bninit, "bench", "--help"], venv, work)
    assert bench.stdout.startswith("usage: bninit bench")
