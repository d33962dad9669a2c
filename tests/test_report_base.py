"""BASE means BASE: standard BN at gamma 1 and c 1. Standard BN at another gamma or c is an arm
like any other, shown with its gamma and c, and never the default reference."""

import numpy as np
import pandas as pd

from bninit.report.make import write_report
from test_report_analysis import BASE_ACC, CLEAR, WEAK, cell_rows, report_error, write_csv


def study(tmp_path, with_base: bool = True):
    """What `bn=base,ours gamma=0.1,1` style multiruns make: BN at gamma 0.1 beside BASE."""
    rows = cell_rows("base", 0.1, 1, 0.1, np.add(BASE_ACC, CLEAR))  # bn=base gamma=0.1: not BASE
    rows += cell_rows("ours", 0.1, 100, 0.1, np.add(BASE_ACC, WEAK))
    if with_base:
        rows += cell_rows("base", 1.0, 1, 0.1, BASE_ACC)
    return write_csv(tmp_path / "s.csv", rows)


def test_standard_bn_at_another_gamma_is_an_arm_not_base(tmp_path):
    paths = write_report(study(tmp_path), tmp_path / "out", plots=False)
    text = paths.markdown.read_text()
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert rows[1].startswith("| BASE | 1 | 1 |")  # BASE first, the only row called BASE
    assert "| base | 0.1 | 1 |" in text and sum(r.startswith("| BASE |") for r in rows[:4]) == 1
    stats = pd.read_csv(paths.stats_csv)
    arm = stats[(stats["bn"] == "base") & np.isclose(stats["gamma"], 0.1)].iloc[0]
    assert arm["cell"].endswith("base gamma=0.1 c=1 lr=0.1")
    assert np.isclose(arm["ref_mean"], np.mean(BASE_ACC)) and arm["better"]  # compared with BASE
    base = stats[(stats["bn"] == "base") & np.isclose(stats["gamma"], 1)].iloc[0]
    assert base["cell"].endswith("BASE lr=0.1") and np.isnan(base["p"])  # the reference itself


def test_without_base_standard_bn_at_gamma_0_1_is_never_the_reference(tmp_path, capsys):
    err = report_error(capsys, str(study(tmp_path, with_base=False)), "-o", str(tmp_path / "out"))
    assert "no BASE cell (bn=base gamma=1 c=1)" in err
    csv = str(study(tmp_path, with_base=False))
    err = report_error(capsys, csv, "--against", "bn=base", "-o", str(tmp_path / "out"))
    assert "no BASE cell (bn=base gamma=1 c=1) in the CSV" in err  # --against bn=base: BASE too
    paths = write_report(csv, tmp_path / "o", against=[{"bn": "base", "gamma": "0.1"}], plots=False)
    assert "the reference (bn=base gamma=0.1)" in paths.markdown.read_text()
