"""The ablation preset as the paper states it (Sect. 4.4): c = 1 against c = 100 at the same gamma
and lr; and its plan has those c = 100 cells."""

import numpy as np
import pandas as pd
from scipy import stats as sps

from bninit.config.presets import expand_cells, load_preset
from bninit.report.make import write_report
from test_report_analysis import BASE_ACC, CLEAR, WEAK, cell_rows, write_csv


def test_the_ablation_plan_has_c_100_and_c_1_at_every_gamma_and_lr():
    cells = expand_cells(load_preset("ablation")["cells"])
    ours = {(float(c["gamma"]), float(c["c"]), float(c["lr"])) for c in cells if c["bn"] == "ours"}
    for gamma in (0.01, 0.05, 0.1, 0.25, 0.5, 0.75):
        for lr in (0.1, 0.01, 0.001):
            assert {(gamma, 1.0, lr), (gamma, 100.0, lr)} <= ours
    assert len(cells) == 42


def test_the_ablation_report_compares_c_100_with_c_1_at_the_same_gamma_and_lr(tmp_path):
    c100 = {0.1: np.add(BASE_ACC, CLEAR), 0.5: np.add(BASE_ACC, WEAK)}
    rows = []
    for gamma, accs in c100.items():
        rows += cell_rows("ours", gamma, 100, 0.1, accs)
        rows += cell_rows("ours", gamma, 1, 0.1, np.asarray(BASE_ACC) - 0.2)
    rows += cell_rows("ours", 1.0, 100, 0.1, BASE_ACC) + cell_rows("base", 1.0, 1, 0.1, BASE_ACC)
    paths = write_report(write_csv(tmp_path / "ablation.csv", rows), tmp_path / "out", plots=False)
    assert paths.report.preset == "ablation"
    stats = pd.read_csv(paths.stats_csv)
    pairs = stats[stats["against"] == "c=1 (cells bn=ours c=100)"]
    assert sorted(pairs["gamma"]) == [0.1, 0.5]  # gamma 1 with c 100 has no c = 1 partner: left out
    for gamma, accs in c100.items():
        row = pairs[np.isclose(pairs["gamma"], gamma)].iloc[0]
        expected = sps.ttest_rel(accs, np.asarray(BASE_ACC) - 0.2, alternative="greater").pvalue
        assert row["p"] == np.float64(expected) or abs(row["p"] - expected) < 1e-12
        assert np.isclose(row["ref_mean"], np.mean(BASE_ACC) - 0.2)
    assert "no reference cell" not in paths.markdown.read_text()
    assert "bninit's choice (the paper does not state it): the grid" in paths.markdown.read_text()
    assert (stats["against"] == "bn=base").any()  # and every cell against BASE
