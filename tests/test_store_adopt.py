"""Old studies stay valid: run dirs written before identities were versioned (tests/data/old_runs:
three done, one failed, one interrupted, 1-epoch digits runs) are found by status, collect and the
sweep, and a change of identity version adopts them (moved under their lock, live ones left)."""

import dataclasses
import json
import platform
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from bninit.cli.migrate import migrate_main
from bninit.config import OPTIONAL, RunConfig, declare
from bninit.config.compose import compose_run_config
from bninit.store import identity
from bninit.store.adopt import adopt_former, migrate
from bninit.store.collect import collect_dir, run_status
from bninit.store.identity import run_dir
from bninit.store.rundir import is_done

OLD_RUNS = Path(__file__).parent / "data" / "old_runs"
CELLS = {  # what each old run dir holds, by its name (written by the code of that time)
    "digits/resnet20/ours-g0.05-c100-lr0.1-in_bn-43d986b8/seed=1": "done",
    "digits/resnet20/ours-g0.05-c100-lr0.1-in_bn-43d986b8/seed=2": "done",
    "digits/resnet20/ours-g0.05-c100-lr0.1-in_bn-43d986b8/seed=3": "failed",
    "digits/resnet20/base-g1-c1-lr0.1-in_bn-e04ba433/seed=1": "done",
    "digits/resnet20/ours-g0.5-c100-lr0.1-in_bn-00ef6c48/seed=1": "interrupted",
}
OVERRIDES = {  # the command line that made each
    "digits/resnet20/ours-g0.05-c100-lr0.1-in_bn-43d986b8/seed=1": ["epochs=1", "seed=1", "gamma=0.05"],
    "digits/resnet20/ours-g0.05-c100-lr0.1-in_bn-43d986b8/seed=2": ["epochs=1", "seed=2", "gamma=0.05"],
    "digits/resnet20/ours-g0.05-c100-lr0.1-in_bn-43d986b8/seed=3": ["epochs=1", "seed=3", "gamma=0.05"],
    "digits/resnet20/base-g1-c1-lr0.1-in_bn-e04ba433/seed=1": ["epochs=1", "seed=1", "bn=base"],
    "digits/resnet20/ours-g0.5-c100-lr0.1-in_bn-00ef6c48/seed=1": ["epochs=3", "seed=1", "gamma=0.5"],
}


@pytest.fixture
def old_runs(tmp_path) -> Path:
    runs = tmp_path / "runs"
    shutil.copytree(OLD_RUNS, runs)
    return runs


def test_old_runs_keep_their_status_and_rows(old_runs):
    assert {name: run_status(old_runs / name) for name in CELLS} == CELLS
    frame = collect_dir(old_runs)
    assert sorted(frame["status"]) == sorted(CELLS.values())
    done = frame[frame["status"] == "done"]
    assert done["test_acc_at_best_val"].between(0, 100).all() and (done["epochs"] == 1).all()


@pytest.mark.parametrize("name", sorted(CELLS))
def test_todays_config_names_each_old_run_dir(old_runs, name):
    cfg = compose_run_config([f"runs_dir={old_runs}", *OVERRIDES[name]])
    assert run_dir(cfg) == old_runs / name
    assert is_done(run_dir(cfg)) == (CELLS[name] == "done")  # a sweep skips exactly these


def test_a_config_with_a_new_optional_field_still_finds_the_old_runs(old_runs):
    Extended = dataclasses.make_dataclass(
        "Extended", [("logger_level", str, declare("info", OPTIONAL))], bases=(RunConfig,), frozen=True
    )
    for name, overrides in OVERRIDES.items():
        cfg = compose_run_config([f"runs_dir={old_runs}", *overrides])
        assert run_dir(Extended(**cfg.to_dict())) == old_runs / name


@pytest.fixture
def version_2(monkeypatch):
    """A synthetic identity version 2 that names every cell differently."""
    monkeypatch.setitem(identity.CELL_NAMES, 2, lambda cfg: f"v2-{identity.cell_name_v1(cfg)}")
    monkeypatch.setattr(identity, "IDENTITY_VERSION", 2)


def test_migrate_moves_every_old_run_to_its_new_name(old_runs, version_2, capsys):
    assert migrate_main([str(old_runs)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(CELLS) + 1 and lines[-1].startswith(
        "migrate: 5 run dirs moved to identity version 2"
    )
    for name, status in CELLS.items():
        dataset, arch, cell, seed = name.split("/")
        new = old_runs / dataset / arch / f"v2-{cell}" / seed
        assert f"moved {old_runs / name} -> {new}" in lines
        assert run_status(new) == status and not (old_runs / name).exists()
        assert json.loads((new / "identity.json").read_text())["identity_version"] == 2
    assert sorted(p.name for p in (old_runs / "digits" / "resnet20").iterdir()) == sorted(
        {f"v2-{n.split('/')[2]}" for n in CELLS}
    )  # the emptied old cell dirs are gone
    assert migrate(old_runs) == []  # a second migrate has nothing to do


def test_a_run_under_a_live_lock_is_left_and_reported(old_runs, version_2, capsys):
    name = "digits/resnet20/ours-g0.5-c100-lr0.1-in_bn-00ef6c48/seed=1"
    with subprocess.Popen(["sleep", "60"]) as owner:  # another live process on this host
        lock = {"pid": owner.pid, "host": platform.node(), "slurm_job": None, "since": time.time()}
        (old_runs / name / "run.lock").write_text(json.dumps(lock))
        try:
            assert migrate_main([str(old_runs)]) == 1
        finally:
            owner.kill()
    err = capsys.readouterr().err
    assert f"left {old_runs / name}: {old_runs / name} is being run by pid {owner.pid}" in err
    assert (old_runs / name / "run.lock").exists() and run_status(old_runs / name) == "interrupted"


def test_a_sweep_adopts_its_runs_before_it_looks_at_them(old_runs, version_2):
    name = "digits/resnet20/ours-g0.05-c100-lr0.1-in_bn-43d986b8/seed=2"
    cfg = compose_run_config([f"runs_dir={old_runs}", *OVERRIDES[name]])
    assert not run_dir(cfg).exists()
    [move] = adopt_former(cfg)
    assert move.outcome == "moved" and move.new == run_dir(cfg) and is_done(run_dir(cfg))
    assert adopt_former(cfg) == []


@pytest.mark.slow
def test_a_sweep_over_old_runs_counts_them_done_and_failed(old_runs, cli):
    result = cli("sweep", "demo", "--dry-run", "seeds=3", "epochs=1", "gamma=0.05", f"runs_dir={old_runs}")
    assert result.returncode == 0, result.stderr
    assert "demo: 3 runs in 1 cells; 2 done, 0 running, 1 failed, 0 pending" in result.stdout
