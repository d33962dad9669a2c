"""The cells sweeper on Hydra's public API: the command line's sweep values are crossed like
Hydra's basic sweeper crosses them."""

import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser

from bninit.errors import UserError
from bninit.sweep.sweeper import override_combinations


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
