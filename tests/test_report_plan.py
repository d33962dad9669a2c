"""`bninit plan`: seeds per comparison from a pilot's paired differences (checked against an
independent noncentral-t computation and a simulation), runs and hours for a preset, bad input."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from bninit.cli.main import main
from bninit.report.sample_size import plan_study
from test_report_analysis import BASE_ACC, cell_rows, write_csv
from test_report_power import simulated_power

PILOT = {  # (bn, gamma, c, lr) -> accuracies of seeds 1..4
    ("base", 1.0, 1, 0.1): BASE_ACC[:4],
    ("ours", 0.1, 100, 0.1): np.add(BASE_ACC[:4], [0.5, 0.1, 0.6, 0.2]),
    ("ours", 0.5, 100, 0.1): np.add(BASE_ACC[:4], [0.3, -0.4, 0.2, 0.1]),
}


@pytest.fixture
def pilot_csv(tmp_path):
    """A pilot of 3 of table1a's cells (cifar10, resnet18), 4 seeds."""
    rows = [row for key, accs in PILOT.items() for row in cell_rows(*key, accs)]
    return write_csv(tmp_path / "pilot.csv", rows)


def independent_seeds(sd, effect, alpha=0.05, target=0.8) -> int:
    """Smallest n with P(T' > t_{1-alpha, n-1}) >= target, T' ~ noncentral t: a plain loop."""
    n = 2
    while sps.nct.sf(sps.t.ppf(1 - alpha, n - 1), n - 1, effect / sd * math.sqrt(n)) < target:
        n += 1
    return n


def test_seeds_per_comparison_and_the_study_total(pilot_csv):
    plan = plan_study(pilot_csv, effect=0.3)
    base = np.asarray(BASE_ACC[:4])
    for key, row in zip(list(PILOT)[1:], plan.rows.itertuples(), strict=True):
        sd = np.std(np.asarray(PILOT[key]) - base, ddof=1)
        assert row.sd_diff == pytest.approx(sd)
        assert row.seeds_needed == independent_seeds(sd, 0.3)
        assert row.pilot_pairs == 4
    assert plan.seeds == plan.rows["seeds_needed"].max()
    # its cells are part of table1a: the study is table1a's 24 cells
    assert plan.preset == "table1a" and plan.cells == 24 and plan.runs == 24 * plan.seeds
    assert plan.hours == pytest.approx(plan.runs * 100.0 / 3600)  # every pilot run took 100 s
    assert plan.device == "CPU"


def test_the_planned_seeds_reach_the_power_in_a_simulation(pilot_csv):
    plan = plan_study(pilot_csv, effect=0.3)
    row = plan.rows.iloc[0]
    assert simulated_power(0.3, row.sd_diff, int(row.seeds_needed)) >= 0.8 - 0.01


def test_preset_counts_its_cells(pilot_csv):
    plan = plan_study(pilot_csv, effect=0.3, preset="demo")
    assert plan.preset == "demo" and plan.cells == 4 and plan.runs == 4 * plan.seeds


def test_a_missing_pair_and_a_zero_variance_comparison(tmp_path):
    rows = cell_rows("base", 1.0, 1, 0.1, BASE_ACC[:3])
    rows += cell_rows("ours", 0.1, 100, 0.1, np.add(BASE_ACC[:3], 0.25))  # constant difference
    rows += cell_rows("ours", 0.5, 100, 0.1, np.add(BASE_ACC[:3], [0.2, -0.1, 0.4]))[:2]  # seed 3 missing
    plan = plan_study(write_csv(tmp_path / "p.csv", rows), effect=0.5)
    constant, short = plan.rows.itertuples()
    assert pd.isna(constant.seeds_needed) and constant.sd_diff == pytest.approx(0, abs=1e-12)
    assert short.pilot_pairs == 2
    assert short.seeds_needed == independent_seeds(np.std([0.2, -0.1], ddof=1), 0.5)


def plan_error(capsys, *args) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(["plan", *args])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def test_cli_prints_the_table_and_bad_input_is_one_line(pilot_csv, tmp_path, capsys):
    rows = [row for key, accs in PILOT.items() for row in cell_rows(*key, accs, dataset="svhn")]
    no_preset = write_csv(tmp_path / "svhn.csv", rows)  # no preset has these cells
    assert main(["plan", str(no_preset), "--effect", "0.3"]) == 0
    out = capsys.readouterr().out
    assert "| ours γ=0.1 c=100 vs BASE | svhn / resnet18 | 0.1 | 4 |" in out
    assert "Study: the pilot's cells, 3 cells x" in out and "CPU-hours" in out
    assert "--effect -1: must be > 0" in plan_error(capsys, str(pilot_csv), "--effect", "-1")
    assert "--power 1.5: must be between 0 and 1" in plan_error(
        capsys, str(pilot_csv), "--effect", "0.3", "--power", "1.5"
    )
    assert "--effect" in plan_error(capsys, str(pilot_csv))  # required
    one_seed = write_csv(
        tmp_path / "one.csv",
        cell_rows("base", 1.0, 1, 0.1, BASE_ACC[:1]) + cell_rows("ours", 0.1, 100, 0.1, BASE_ACC[:1]),
    )
    assert "no comparison has 2 or more paired seeds" in plan_error(capsys, str(one_seed), "--effect", "0.3")
    pd.DataFrame({"x": [1]}).to_csv(tmp_path / "bad.csv", index=False)
    assert "not a bninit results CSV" in plan_error(capsys, str(tmp_path / "bad.csv"), "--effect", "0.3")
