"""`bninit report` on another tool's CSV with --alpha, --holm, --equivalence and --power: every
figure in stats.csv and the printed table against scipy (paired t, shifted paired t for the
TOST, the noncentral t for power) and a Holm correction worked by hand."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from bninit.cli.main import main

BASELINE = np.array([75.1, 74.6, 75.4, 75.0, 74.8])
DIFFS = {  # per run, model - baseline
    "wide": [0.9, 0.6, 1.1, 0.7, 1.0],  # one-sided p 0.0004
    "deep": [0.4, -0.1, 0.5, 0.2, 0.1],  # p 0.054: significant at alpha 0.1, not after Holm
    "narrow": [0.05, -0.1, 0.08, -0.02, 0.03],  # p 0.41, within +-0.5 of the baseline
}
ACC = {"baseline": BASELINE, **{model: BASELINE + d for model, d in DIFFS.items()}}
FLAGS = ("--metric", "top1", "--pair-by", "run", "--cells", "model", "--against", "model=baseline")


@pytest.fixture
def results_csv(tmp_path):
    rows = [{"model": m, "run": r + 1, "top1": a} for m, accs in ACC.items() for r, a in enumerate(accs)]
    path = tmp_path / "results.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def report(csv, capsys, *flags) -> tuple[pd.DataFrame, str]:
    """stats.csv as a frame (model -> row) and the printed table."""
    assert main(["report", str(csv), *FLAGS, "--no-plots", *flags]) == 0
    table = pd.read_csv(csv.with_suffix("") / "stats.csv").set_index("model")
    return table, capsys.readouterr().out


def p_greater(model) -> float:
    return sps.ttest_rel(ACC[model], BASELINE, alternative="greater").pvalue


def row_of(printed: str, model: str) -> str:
    return next(line for line in printed.splitlines() if line.startswith(f"| {model} | model=baseline"))


def test_alpha_sets_what_is_significant(results_csv, capsys):
    table, printed = report(results_csv, capsys, "--alpha", "0.1")
    for model in DIFFS:
        assert table.loc[model, "p"] == pytest.approx(p_greater(model), rel=1e-9)
        assert bool(table.loc[model, "significant"]) == (p_greater(model) <= 0.1)
    assert 0.05 < p_greater("deep") <= 0.1  # significant only because alpha is 0.1
    assert row_of(printed, "deep").endswith("| better (p <= 0.1) |")
    assert row_of(printed, "narrow").endswith("| n.s. |")


def test_holm_adjusts_across_the_comparisons(results_csv, capsys):
    table, printed = report(results_csv, capsys, "--alpha", "0.1", "--holm")
    p = {model: p_greater(model) for model in DIFFS}
    assert p["wide"] < p["deep"] < p["narrow"]
    # Holm by hand, m = 3, ascending: 3 p(1), max(3 p(1), 2 p(2)), max(..., p(3))
    holm = {"wide": 3 * p["wide"]}
    holm["deep"] = max(holm["wide"], 2 * p["deep"])
    holm["narrow"] = min(1.0, max(holm["deep"], p["narrow"]))
    for model, expected in holm.items():
        assert table.loc[model, "p_holm"] == pytest.approx(expected, rel=1e-9)
        assert bool(table.loc[model, "significant"]) == (expected <= 0.1)
    assert holm["deep"] > 0.1  # 2 x 0.054: Holm takes deep's "better" away
    assert row_of(printed, "wide").endswith("| better (Holm p <= 0.1) |")
    assert row_of(printed, "deep").endswith("| n.s. |")


def power(effect, sd, n=5) -> float:
    """The one-sided paired t-test's power at alpha 0.05: its t statistic is noncentral t (n - 1
    df, noncentrality effect / sd * sqrt(n)) and it rejects above t_0.95."""
    return sps.nct.sf(sps.t.ppf(0.95, n - 1), n - 1, effect / sd * np.sqrt(n))


def test_equivalence_and_power_columns(results_csv, capsys):
    table, printed = report(results_csv, capsys, "--equivalence", "0.5", "--power")
    assert "| TOST p (±0.5) | equivalence | MDE (80%) | power vs obs. Δ |" in printed
    for model, d in DIFFS.items():
        x = ACC[model]
        tost = max(  # two one-sided paired t-tests against a difference of -0.5 and +0.5
            sps.ttest_rel(x + 0.5, BASELINE, alternative="greater").pvalue,
            sps.ttest_rel(x - 0.5, BASELINE, alternative="less").pvalue,
        )
        row = table.loc[model]
        assert row["tost_p"] == pytest.approx(tost, rel=1e-9)
        assert bool(row["equivalent"]) == (tost <= 0.05)
        sd = np.std(d, ddof=1)
        assert row["sd_diff"] == pytest.approx(sd)
        assert power(row["mde"], sd) == pytest.approx(0.8, abs=1e-6)  # the MDE is where power is 80%
        observed = power(abs(np.mean(d)), sd)
        assert row["power_observed"] == pytest.approx(observed)
        cells = [c.strip() for c in row_of(printed, model).strip("|").split("|")[-4:]]
        assert cells[2:] == [f"{row['mde']:.2f}", f"{100 * observed:.0f}%"]
    assert bool(table.loc["narrow", "equivalent"]) and not bool(table.loc["wide", "equivalent"])
