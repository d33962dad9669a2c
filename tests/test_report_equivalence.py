"""--equivalence and --power in the report: TOST p per pair equals two shifted one-sided
scipy.stats.ttest_rel, the columns appear in Markdown, LaTeX and stats.csv only when asked (or by
the input_norm preset), and the demo study's default report stays what it was."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from bninit.report.make import write_report
from test_report_analysis import STUDY, study_csv, write_csv  # noqa: F401 (fixture)
from test_report_compare import input_norm_rows

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "results" / "demo-reference"


def tost_by_scipy(x, y, margin) -> float:
    lower = sps.ttest_rel(np.add(x, margin), y, alternative="greater").pvalue
    upper = sps.ttest_rel(np.subtract(x, margin), y, alternative="less").pvalue
    return max(lower, upper)


def power_by_nct(effect, sd, n, alpha=0.05) -> float:
    """Power of the one-sided paired t-test: the t statistic of a true mean difference `effect` is
    noncentral t (n - 1 df, noncentrality effect / sd * sqrt(n)); it rejects above t_(1-alpha)."""
    return sps.nct.sf(sps.t.ppf(1 - alpha, n - 1), n - 1, effect / sd * np.sqrt(n))


def test_equivalence_and_power_in_every_format(study_csv, tmp_path):  # noqa: F811
    paths = write_report(study_csv, tmp_path / "out", plots=False, equivalence=0.5, show_power=True)
    rows = paths.report.primary.rows
    for row in rows.itertuples():
        cell, ref = paths.report.cells.loc[row.cell_index], paths.report.cells.loc[row.ref_index]
        key = (cell["bn"], cell["gamma"], cell["c"], cell["lr"])
        base = STUDY[("base", 1.0, 1, cell["lr"])]
        assert row.tost_p == pytest.approx(tost_by_scipy(STUDY[key], base, 0.5))
        assert row.equivalent == (row.tost_p <= 0.05)
        sd = np.std(np.subtract(STUDY[key], base), ddof=1)
        # the MDE is the effect whose power is 80%: power rises with the effect, so this pins it
        assert power_by_nct(row.mde, sd, 8) == pytest.approx(0.8, abs=1e-6)
        assert row.mde > (sps.norm.ppf(0.95) + sps.norm.ppf(0.8)) * sd / np.sqrt(8)  # t's tails: wider
        assert row.power_observed == pytest.approx(power_by_nct(abs(row.mean_diff), sd, 8))
        assert ref["bn"] == "base"
    markdown = paths.markdown.read_text()
    assert "| TOST p (±0.5) | equivalence | MDE (80%) | power vs obs. Δ |" in markdown
    assert "not shown equivalent" in markdown
    assert "Could this study have seen the non-significant differences?" in markdown
    latex = paths.latex.read_text()
    assert "TOST p ($\\pm$0.5) & equivalence & MDE (80\\%)" in latex
    assert latex.isascii()
    table = pd.read_csv(paths.stats_csv)
    for col in ("margin", "tost_p", "equivalent", "sd_diff", "mde", "power_observed"):
        assert col in table.columns


def test_equivalent_verdict_when_the_tost_says_so(tmp_path):
    from test_report_analysis import BASE_ACC, cell_rows

    close = np.add(BASE_ACC, [0.05, -0.04, 0.02, 0.0, 0.03, -0.02, 0.01, 0.04])
    rows = cell_rows("base", 1.0, 1, 0.1, BASE_ACC) + cell_rows("ours", 0.1, 100, 0.1, close)
    paths = write_report(write_csv(tmp_path / "c.csv", rows), tmp_path / "out", plots=False, equivalence=0.2)
    assert paths.report.primary.rows["tost_p"].iloc[0] == pytest.approx(tost_by_scipy(close, BASE_ACC, 0.2))
    assert "equivalent within ±0.2" in paths.markdown.read_text()


def test_no_new_columns_unless_asked(study_csv, tmp_path):  # noqa: F811
    paths = write_report(study_csv, tmp_path / "out", plots=False)
    markdown = paths.markdown.read_text()
    assert "TOST" not in markdown and "MDE |" not in markdown
    not_significant = (pd.read_csv(paths.stats_csv)["significant"] == False).any()  # noqa: E712
    assert ("Could this study have seen" in markdown) == bool(not_significant)
    table = pd.read_csv(paths.stats_csv)
    assert "tost_p" not in table.columns and "mde" in table.columns  # power: always in stats.csv


def test_demo_reference_report_is_unchanged(tmp_path, monkeypatch):
    """The committed report of the demo reference, as made: judged against the previous reference
    (paths as given on the command line, relative to the repo root)."""
    monkeypatch.chdir(ROOT)
    previous = Path("results/demo-2026-11-30.csv")
    paths = write_report(
        Path("results/demo-reference/demo.csv"), tmp_path / "demo", plots=False, reference=previous
    )
    assert paths.markdown.read_text() == (DEMO / "demo" / "report.md").read_text()
    assert paths.latex.read_text() == (DEMO / "demo" / "report.tex").read_text()


def test_input_norm_default_tests_equivalence_within_half_a_point(tmp_path):
    rows = input_norm_rows()
    paths = write_report(write_csv(tmp_path / "in.csv", rows), tmp_path / "out", plots=False)
    (compared,) = paths.report.comparisons
    assert compared.spec.equivalence == 0.5
    accs = pd.DataFrame(rows)
    for row in compared.rows.itertuples():
        a, b = (paths.report.cells.loc[i] for i in (row.cell_index, row.ref_index))
        x, y = (
            accs[(accs["input_norm"] == c["input_norm"]) & (accs["lr"] == c["lr"])]
            .sort_values("seed")["test_acc_at_best_val"]
            .to_numpy()
            for c in (a, b)
        )
        assert row.tost_p == pytest.approx(tost_by_scipy(x, y, 0.5))
    markdown = paths.markdown.read_text()
    assert "TOST: the paired equivalence p for |Δ| < 0.5" in markdown and ", TOST " in markdown
    assert "tost_p" in pd.read_csv(paths.stats_csv).columns
    assert paths.latex.read_text().isascii()


def test_bad_margin_is_one_line(study_csv, capsys):  # noqa: F811
    from test_report_analysis import report_error

    assert "--equivalence 0: the margin must be > 0" in report_error(
        capsys, str(study_csv), "--equivalence", "0", "--no-plots"
    )
