"""The committed demo reference report (results/demo-reference/demo/report.md), read as a user reads
it: every number of its tables recomputed here from the committed CSVs with scipy and pandas, so
the golden file that tests/test_report_equivalence.py compares new reports with is itself right."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "results" / "demo-reference" / "demo.csv"
PREVIOUS = ROOT / "results" / "demo-2026-11-30.csv"
REPORT = ROOT / "results" / "demo-reference" / "demo" / "report.md"
GAMMAS = (0.05, 0.1, 0.5)


def accuracies(csv: Path, bn: str, gamma: float) -> pd.Series:
    """One cell's test accuracies at the best-validation epoch, indexed by seed."""
    runs = pd.read_csv(csv)
    cell = runs[(runs["bn"] == bn) & np.isclose(runs["gamma"], gamma) & (runs["status"] == "done")]
    return cell.set_index("seed")["test_acc_at_best_val"].sort_index()


def table(markdown: str, first_cell: str) -> dict[str, list[str]]:
    """Rows of the Markdown tables whose first cell starts with `first_cell`, keyed by the cells
    before the numbers (method, gamma, ...), as lists of cell texts."""
    rows = {}
    for line in markdown.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0].startswith(first_cell):
            rows.setdefault(len(cells), []).append(cells)
    return rows


def fmt_p(p: float) -> str:
    return f"{p:.1e}" if p < 1e-3 else f"{p:.3f}"


@pytest.fixture(scope="module")
def markdown() -> str:
    return REPORT.read_text()


def test_the_main_table_is_each_cells_mean_and_sample_std(markdown):
    rows = {(r[0], r[1]): r[3] for r in table(markdown, "")[4] if r[0] in ("BASE", "ours")}
    for bn, gamma in [("base", 1.0), *(("ours", g) for g in GAMMAS)]:
        acc = accuracies(STUDY, bn, gamma)
        text = rows[("BASE" if bn == "base" else "ours", f"{gamma:g}")]
        assert re.sub(r"<[^>]+>|\*\*", "", text) == f"{acc.mean():.2f} ± {acc.std(ddof=1):.2f} ({len(acc)})"


def test_the_paired_comparison_matches_scipy(markdown):
    (rows,) = [r for n, r in table(markdown, "ours").items() if n == 14]
    base = accuracies(STUDY, "base", 1.0)
    p_one_sided = {}
    for gamma in GAMMAS:
        d = accuracies(STUDY, "ours", gamma) - base  # paired by seed (the index)
        assert d.notna().all() and len(d) == 15
        row = next(r for r in rows if r[1] == f"{gamma:g}")
        t = sps.ttest_rel(accuracies(STUDY, "ours", gamma), base, alternative="greater")
        p_one_sided[gamma] = t.pvalue
        low, high = sps.t.interval(0.95, len(d) - 1, loc=d.mean(), scale=sps.sem(d))
        assert row[4] == "15"
        assert row[5] == f"{d.mean():+.2f} [{low:+.2f}, {high:+.2f}]"
        assert row[6] == f"{t.statistic:.2f}" and row[7] == fmt_p(t.pvalue)
        assert row[9] == f"{d.mean() / d.std(ddof=1):.2f}" and row[10] == f"{(d > 0).sum()}/15"
        # 15 pairs with tied |differences|: scipy's normal approximation of the signed-rank test
        wilcoxon = sps.wilcoxon(d, alternative="greater", method="asymptotic")
        assert row[11] == fmt_p(wilcoxon.pvalue) and row[12] == "normal approx."
        assert row[13] == ("better (p <= 0.05)" if t.pvalue <= 0.05 else "n.s.")
    # Holm by hand over the 3 comparisons: smallest p x 3, then x 2, then x 1, never decreasing
    order = sorted(GAMMAS, key=p_one_sided.get)
    holm, running = {}, 0.0
    for k, gamma in enumerate(order):
        running = max(running, min(1.0, (3 - k) * p_one_sided[gamma]))
        holm[gamma] = running
    for gamma in GAMMAS:
        assert next(r for r in rows if r[1] == f"{gamma:g}")[8] == fmt_p(holm[gamma])


def test_the_power_line_matches_the_noncentral_t(markdown):
    """'|Δ| x, power y%, 80% power needs Δ >= z' for each non-significant cell."""
    base = accuracies(STUDY, "base", 1.0)
    line = next(line for line in markdown.splitlines() if line.startswith("Could this study"))
    pattern = r"ours γ=([\d.]+) c=100 lr 0.1: \|Δ\| ([\d.]+), power (\d+)%, 80% power needs Δ >= ([\d.]+)"
    found = re.findall(pattern, line)
    assert [float(g) for g, *_ in found] == [0.05, 0.5]  # the two n.s. cells

    def power(effect, sd, n=15):  # one-sided paired t at alpha 0.05: noncentral t, n - 1 df
        return sps.nct.sf(sps.t.ppf(0.95, n - 1), n - 1, effect / sd * np.sqrt(n))

    for gamma, abs_diff, shown_power, mde in found:
        d = accuracies(STUDY, "ours", float(gamma)) - base
        sd = d.std(ddof=1)
        assert abs_diff == f"{abs(d.mean()):.2f}"
        assert shown_power == f"{100 * power(abs(d.mean()), sd):.0f}"
        # the MDE shown to 2 decimals: 80% power is reached between its rounding bounds
        assert power(float(mde) - 0.005, sd) < 0.8 <= power(float(mde) + 0.005, sd)


def test_the_reproduction_table_matches_welch_tests(markdown):
    (rows,) = [r for n, r in table(markdown, "digits / resnet20").items() if n == 9]
    assert len(rows) == 4
    for row in rows:
        gamma = re.search(r"γ=([\d.]+)", row[0])
        bn, g = ("ours", float(gamma.group(1))) if gamma else ("base", 1.0)
        x, y = accuracies(STUDY, bn, g), accuracies(PREVIOUS, bn, g)
        diff = x.mean() - y.mean()
        vx, vy = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
        df = (vx + vy) ** 2 / (vx**2 / (len(x) - 1) + vy**2 / (len(y) - 1))  # Welch-Satterthwaite
        half = sps.t.ppf(0.95, df) * np.sqrt(vx + vy)  # the 90% interval the TOST uses
        welch = sps.ttest_ind(x, y, equal_var=False).pvalue
        tost = max(
            sps.ttest_ind(x + 1, y, equal_var=False, alternative="greater").pvalue,  # H0: Δ <= -1
            sps.ttest_ind(x - 1, y, equal_var=False, alternative="less").pvalue,  # H0: Δ >= +1
        )
        assert row[1] == "15" and row[2] == f"{x.mean():.2f} ± {x.std(ddof=1):.2f}"
        assert row[3] == f"{y.mean():.2f} ± {y.std(ddof=1):.2f}"
        assert row[4] == f"{diff:+.2f} [{diff - half:+.2f}, {diff + half:+.2f}]"
        assert row[5] == fmt_p(welch) and row[6] == fmt_p(tost)
        assert tost <= 0.05 and row[7] == "consistent"  # TOST p <= 0.05: within the 1-point margin
        assert row[8] == f"{(x == y.reindex(x.index)).sum()}/15"
