"""The paper's claims judged on synthetic studies whose outcome is known."""

import numpy as np
import pandas as pd
from scipy import stats as sps

from bninit.report.make import write_report
from bninit.report.stats import paired
from test_report_analysis import BASE_ACC, CLEAR, WEAK, WORSE, cell_rows, write_csv


def claims_of(tmp_path, rows) -> pd.DataFrame:
    paths = write_report(write_csv(tmp_path / "s.csv", rows), tmp_path / "out", paper="1a", plots=False)
    assert "### The paper's claims" in paths.markdown.read_text()
    return pd.read_csv(tmp_path / "out" / "claims.csv").set_index("claim")


def test_table_1a_claims_reproduced_contradicted_and_absent(tmp_path):
    base = np.asarray(BASE_ACC)
    rows = cell_rows("base", 1.0, 1, 0.1, base)
    rows += cell_rows("ours", 0.1, 100, 0.1, base + CLEAR)  # clearly better than BASE
    rows += cell_rows("ours", 1.0, 100, 0.1, base + WORSE)  # clearly worse than BASE
    claims = claims_of(tmp_path, rows)
    assert claims.loc["1a-every-lr", "verdict"] == "reproduced"
    expected = sps.ttest_rel(base + CLEAR, base, alternative="greater").pvalue  # one pair: no Holm
    assert abs(claims.loc["1a-every-lr", "p"] - expected) < 1e-12
    assert claims.loc["1a-gamma1-lr0.1", "verdict"] == "contradicted"  # significant the other way
    assert claims.loc["ablation", "verdict"] == "not in this study"  # no c = 1 cells
    assert claims.loc["2b-vs-variants", "verdict"] == "not in this study"
    assert claims.loc["1a-slight-lr0.1", "verdict"] == "no test"  # listed with the numbers
    assert "+1.02" in claims.loc["1a-slight-lr0.1", "note"]  # mean of CLEAR


def test_not_different_and_none_better_claims_on_st_cars(tmp_path):
    base = np.asarray(BASE_ACC)
    cars = {"dataset": "stanford_cars", "arch": "resnet50"}
    rows = cell_rows("base", 1.0, 1, 0.01, base, **cars)
    rows += cell_rows("ours", 0.5, 100, 0.01, base + WEAK, **cars)  # p ~ 0.12: not significant
    rows += cell_rows("ours", 0.1, 100, 0.01, base + np.asarray(WEAK) / 2, **cars)
    claims = claims_of(tmp_path, rows)
    assert claims.loc["1b-cars-0.5", "verdict"] == "reproduced"
    p = sps.ttest_rel(base + WEAK, base).pvalue  # two-sided, one pair
    assert abs(claims.loc["1b-cars-0.5", "p"] - p) < 1e-12
    assert claims.loc["1b-cars-none", "verdict"] == "reproduced"
    one_sided = [
        sps.ttest_rel(base + d, base, alternative="greater").pvalue for d in (WEAK, np.asarray(WEAK) / 2)
    ]
    assert abs(claims.loc["1b-cars-none", "p"] - min(paired.holm(one_sided))) < 1e-12  # Holm over 2 pairs
    # now gamma 0.5 clearly better: the "not different" claim is not reproduced
    rows = [r for r in rows if not (r["bn"] == "ours" and r["gamma"] == 0.5)]
    rows += cell_rows("ours", 0.5, 100, 0.01, base + CLEAR, **cars)
    claims = claims_of(tmp_path, rows)
    assert claims.loc["1b-cars-0.5", "verdict"] == "not reproduced"
    assert claims.loc["1b-cars-none", "verdict"] == "not reproduced"
