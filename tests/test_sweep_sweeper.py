"""The cells sweeper on Hydra's public API: the command line's sweep values are crossed like
Hydra's basic sweeper crosses them; its errors are raised (never printed, never an exit) for the
command line to print."""

import json

import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

from bninit.config import RunConfig
from bninit.errors import RunError, Stop, UserError
from bninit.sweep.run_plan import override_combinations
from bninit.sweep.sweeper import CellSweeper


def combinations(*overrides: str) -> list[list[str]]:
    return override_combinations(OverridesParser.create().parse_overrides(list(overrides)))


def test_sweep_values_are_crossed_in_command_line_order():
    assert combinations("gamma=0.05,0.1", "seed=range(1,3)", "lr=0.1") == [
        ["gamma=0.05", "seed=1", "lr=0.1"],
        ["gamma=0.05", "seed=2", "lr=0.1"],
        ["gamma=0.1", "seed=1", "lr=0.1"],
        ["gamma=0.1", "seed=2", "lr=0.1"],
    ]


def test_a_later_value_of_a_key_wins_and_no_sweep_is_one_job():
    assert combinations("epochs=2", "epochs=3", "bn=base") == [["epochs=3", "bn=base"]]
    assert combinations() == [[]]


def test_an_interval_sweep_is_refused_in_one_line():
    with pytest.raises(UserError, match="lr: an interval sweep needs a sampling sweeper"):
        combinations("lr=interval(0.01,0.1)")


def stopping_sweeper(tmp_path, plan=None, launch_error=None) -> CellSweeper:
    """The sweeper with a planned pair of runs, a sweep dir under tmp_path and a launcher that
    raises `launch_error` (no Hydra run needed)."""
    sweeper = CellSweeper(name="demo")
    sweeper.config = OmegaConf.create(
        {
            "hydra": {
                "sweep": {"dir": str(tmp_path / "sweep")},
                "launcher": {"_target_": "hydra._internal.core_plugins.basic_launcher.BasicLauncher"},
                "runtime": {"choices": {"hydra/launcher": "basic"}},
            }
        }
    )
    configs = [RunConfig(runs_dir=str(tmp_path / "runs"), seed=seed) for seed in (1, 2)]

    def planned(arguments):
        if plan is not None:
            raise plan
        return [[f"seed={c.seed}"] for c in configs], configs

    class Launcher:
        def launch(self, jobs, initial_job_idx):
            raise launch_error

    sweeper.plan, sweeper.launcher = planned, Launcher()
    return sweeper


def test_the_sweeper_raises_a_bad_value_for_the_command_line_to_print(tmp_path, capsys):
    bad = UserError("gamma=-1 is not allowed")
    with pytest.raises(Stop) as stop:
        stopping_sweeper(tmp_path, plan=bad).sweep([])
    assert stop.value.error is bad and stop.value.error.exit_code == 2
    assert capsys.readouterr().err == ""  # printed by the CLI only
    assert not (tmp_path / "sweep").exists()  # nothing half-written


def test_a_launcher_that_stops_is_a_run_error_and_the_outcome_says_interrupted(tmp_path, capsys):
    with pytest.raises(Stop) as stop:
        stopping_sweeper(tmp_path, launch_error=RuntimeError("worker killed\nmore")).sweep([])
    assert isinstance(stop.value.error, RunError) and stop.value.error.exit_code == 1
    assert str(stop.value.error) == (
        "the launcher stopped (RuntimeError: worker killed); run the same command again to resume"
    )
    assert "error" not in capsys.readouterr().err
    record = json.loads((tmp_path / "sweep" / "outcome.json").read_text())
    assert record["ended"] == "interrupted" and len(record["pending"]) == 2 and record["failed"] == []
