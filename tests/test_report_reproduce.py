"""Did it reproduce? Welch, TOST and the one-sample test against formulas written out here; a
study made of the paper's own numbers judged against the paper; a study against a reference."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from bninit.report.inputs.paper import paper_numbers
from bninit.report.make import write_report
from bninit.report.stats import welch
from test_report_analysis import cell_rows, report_error, write_csv

Z15 = np.array([0.3, -1.2, 0.8, 1.5, -0.4, 0.1, -0.9, 2.0, -1.6, 0.6, -0.2, 1.1, -0.7, 0.0, -0.5])


def exactly(mean: float, std: float, n: int = 15) -> np.ndarray:
    """n values whose mean and sample std (ddof 1) are exactly `mean` and `std`."""
    z = Z15[:n] - Z15[:n].mean()
    return mean + std * z / z.std(ddof=1)


def welch_by_hand(m1, s1, n1, m2, s2, n2):
    """Welch's t, its Welch-Satterthwaite df and standard error, written out."""
    v1, v2 = s1 * s1 / n1, s2 * s2 / n2
    se = math.sqrt(v1 + v2)
    df = (v1 + v2) ** 2 / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1))
    return (m1 - m2) / se, df, se


@pytest.mark.parametrize(
    "m1, s1, n1, m2, s2, n2",
    [(90.4, 0.3, 15, 90.19, 0.32, 15), (85.0, 1.4, 6, 86.1, 0.2, 15), (3.0, 2.0, 4, 0, 1, 40)],
)
def test_welch_and_tost_from_summary_statistics(m1, s1, n1, m2, s2, n2):
    t, df, se = welch_by_hand(m1, s1, n1, m2, s2, n2)
    got = welch.from_summary(m1, s1, n1, m2, s2, n2, margin=0.5, alpha=0.05)
    assert got["welch_p"] == pytest.approx(2 * sps.t.sf(abs(t), df), abs=1e-9)
    assert got["welch_p"] == pytest.approx(
        sps.ttest_ind_from_stats(m1, s1, n1, m2, s2, n2, equal_var=False).pvalue, abs=1e-9
    )
    # TOST: H1 delta > -0.5 (t = (delta + 0.5) / se, upper tail) and H1 delta < +0.5 (lower tail)
    delta = m1 - m2
    p_low = 1 - sps.t.cdf((delta + 0.5) / se, df)
    p_high = sps.t.cdf((delta - 0.5) / se, df)
    assert got["tost_p"] == pytest.approx(max(p_low, p_high), abs=1e-9)
    half = sps.t.ppf(0.95, df) * se  # the 90 % interval, the one the TOST uses
    assert (got["ci_low"], got["ci_high"]) == pytest.approx((delta - half, delta + half), abs=1e-9)
    # the TOST passes exactly when that interval lies inside (-margin, +margin)
    assert (got["tost_p"] <= 0.05) == (-0.5 < got["ci_low"] and got["ci_high"] < 0.5)


def test_worked_example_by_hand():
    """Ours 90.40 ± 0.30 (n 15) against the paper's 90.19 ± 0.32 (n 15), margin 1: se =
    sqrt(0.09/15 + 0.1024/15) = 0.113255, df = (0.006 + 0.0068267)^2 / ((0.006^2 + 0.0068267^2) / 14)
    = 27.88; t = 0.21 / 0.113255 = 1.854, so Welch's two-sided p is 0.074 (not different), and the
    TOST's t's are (0.21 + 1) / 0.113255 = 10.68 and (0.21 - 1) / 0.113255 = -6.975, so its p is
    t_27.88's tail beyond 6.975, about 7e-8: consistent."""
    got = welch.from_summary(90.40, 0.30, 15, 90.19, 0.32, 15, margin=1.0, alpha=0.05)
    se = math.sqrt(0.09 / 15 + 0.1024 / 15)
    assert se == pytest.approx(0.113255, abs=1e-6)
    assert got["welch_p"] == pytest.approx(0.0744, abs=5e-4)
    assert got["tost_p"] == pytest.approx(
        sps.t.cdf(-0.79 / se, welch_by_hand(0, 0.3, 15, 0, 0.32, 15)[1]), abs=1e-9
    )
    assert got["verdict"] == "consistent"


def test_welch_from_values_and_one_sample_against_a_mean():
    a, b = exactly(98.9, 0.4), exactly(98.5, 0.7, 12)
    t, df, se = welch_by_hand(a.mean(), a.std(ddof=1), 15, b.mean(), b.std(ddof=1), 12)
    got = welch.from_values(a, b, margin=1.0, alpha=0.05)
    assert got["welch_p"] == pytest.approx(sps.ttest_ind(a, b, equal_var=False).pvalue, abs=1e-9)
    assert got["welch_p"] == pytest.approx(2 * sps.t.sf(abs(t), df), abs=1e-9)
    one = welch.from_mean(a, 93.79, margin=1.0, alpha=0.05)
    t1 = (a.mean() - 93.79) / (a.std(ddof=1) / math.sqrt(15))
    assert one["welch_p"] == pytest.approx(2 * sps.t.sf(abs(t1), 14), abs=1e-9)
    assert one["verdict"] == "higher"


@pytest.mark.parametrize(
    "tost_p, p, delta, expected",
    [
        (0.01, 0.9, 0.1, "consistent"),
        (0.01, 0.01, 0.3, "consistent"),
        (0.2, 0.01, 2.0, "higher"),
        (0.2, 0.01, -2.0, "lower"),
        (0.2, 0.3, 0.5, "inconclusive"),
    ],
)
def test_the_verdict_rule_in_its_order(tost_p, p, delta, expected):
    assert welch.verdict(tost_p, p, delta, 0.05) == expected


def paper_study(tmp_path, shift=None) -> str:
    """Table 1a made of the paper's own numbers: 15 values per cell with exactly its mean and std."""
    rows = []
    for _, cell in paper_numbers("1a").iterrows():
        values = exactly(cell["mean"], cell["std"])
        key = (cell["method"], cell["gamma"], cell["c"], cell["lr"])
        if shift is not None and key == shift:
            values = values + 2.0
        rows += cell_rows(cell["method"], float(cell["gamma"]), float(cell["c"]), float(cell["lr"]), values)
    return write_csv(tmp_path / "t1a.csv", rows)


def test_the_papers_own_numbers_reproduce_the_paper(tmp_path):
    paths = write_report(paper_study(tmp_path), tmp_path / "out", paper="1a", plots=False)
    table = pd.read_csv(paths.reproduction)
    assert len(table) == 24 and set(table["verdict"]) <= {"consistent", "inconclusive"}
    assert (table["paper_n"] == 15).all() and table["delta"].abs().max() < 1e-9
    assert (table["verdict"] == "consistent").sum() >= 20  # stds up to ~0.6 with margin 1
    text = paths.markdown.read_text()
    assert "## Does it reproduce?" in text and "Table 1a: " in text and "sample std (ddof 1)" in text


def test_a_low_spread_cell_two_points_higher_is_judged_higher(tmp_path):
    paper = paper_numbers("1a")
    low = paper[paper["std"] <= 0.5].iloc[0]
    key = (low["method"], low["gamma"], low["c"], low["lr"])
    paths = write_report(paper_study(tmp_path, shift=key), tmp_path / "out", paper="1a", plots=False)
    table = pd.read_csv(paths.reproduction)
    hit = (table["bn"] == key[0]) & np.isclose(table["gamma"], key[1]) & np.isclose(table["lr"], key[3])
    hit &= np.isclose(table["c"], key[2])
    assert table.loc[hit, "verdict"].tolist() == ["higher"]
    assert set(table.loc[~hit, "verdict"]) <= {"consistent", "inconclusive"}
    assert "1 higher" in paths.markdown.read_text()


def test_a_study_against_a_reference(tmp_path):
    base, ours = exactly(98.5, 0.5), exactly(98.9, 0.4)
    study = cell_rows("base", 1.0, 1, 0.1, base) + cell_rows("ours", 0.1, 100, 0.1, ours)
    hw = {"cpu": "AMD EPYC", "cpu_capability": "AVX2", "gpu": "", "cuda": "", "cudnn": ""}
    mine = write_csv(tmp_path / "mine.csv", [{**row, **hw} for row in study])
    other = [{**row, **hw, "cpu": "Intel Xeon", "cpu_capability": "AVX512"} for row in study]
    other[0]["test_acc_at_best_val"] += 0.01  # one seed differs
    theirs = write_csv(tmp_path / "theirs.csv", other)
    paths = write_report(mine, tmp_path / "out", reference=theirs, plots=False)
    table = pd.read_csv(paths.reproduction)
    assert table["identical_seeds"].tolist() == [14, 15] and table["common_seeds"].tolist() == [15, 15]
    p = sps.ttest_ind(base, base + np.eye(15)[0] * 0.01, equal_var=False).pvalue
    assert table.loc[0, "welch_p"] == pytest.approx(p, abs=1e-9)
    assert set(table["verdict"]) == {"consistent"} and set(table["same_hardware"]) == {"no"}
    assert table.loc[0, "hardware"].startswith("different CPU kind: per-seed numbers are not expected")
    old = write_csv(tmp_path / "old.csv", study)  # made before hardware was recorded
    again = pd.read_csv(write_report(old, tmp_path / "o2", reference=old, plots=False).reproduction)
    assert set(again["hardware"]) == {"hardware not recorded"} and again["identical_seeds"].tolist() == [
        15,
        15,
    ]


def test_a_cell_that_mixes_machines_is_warned_about(tmp_path):
    rows = cell_rows("base", 1.0, 1, 0.1, exactly(98.5, 0.5)) + cell_rows(
        "ours", 0.1, 100, 0.1, exactly(99, 0.4)
    )
    for i, row in enumerate(rows):
        row.update(
            cpu="Intel Xeon" if i == 3 else "AMD EPYC", cpu_capability="AVX2", gpu="", cuda="", cudnn=""
        )
    paths = write_report(write_csv(tmp_path / "s.csv", rows), tmp_path / "out", plots=False)
    assert "ran on 2 different machines (AMD EPYC / Intel Xeon)" in paths.markdown.read_text()


def test_bad_verdict_inputs_are_one_line_errors(tmp_path, capsys):
    study = str(write_csv(tmp_path / "s.csv", cell_rows("base", 1.0, 1, 0.1, exactly(98.5, 0.5))))
    other = str(write_csv(tmp_path / "o.csv", cell_rows("base", 1.0, 1, 0.01, exactly(98.5, 0.5))))
    out = str(tmp_path / "out")
    assert "no cell in common" in report_error(capsys, study, "--reference", other, "-o", out)
    assert "--margin 0: the equivalence margin must be > 0" in report_error(
        capsys, study, "--margin", "0", "-o", out
    )
    assert "invalid choice: '9z'" in report_error(capsys, study, "--paper", "9z", "-o", out)
    assert not (tmp_path / "out").exists()


def test_the_demos_verdict_against_its_reference(tmp_path):
    from bninit.report.write.verdict_tables import against_reference_lines

    rows = cell_rows("base", 1.0, 1, 0.1, exactly(98.5, 0.5)) + cell_rows(
        "ours", 0.1, 100, 0.1, exactly(98.9, 0.4)
    )
    ref = write_csv(tmp_path / "ref.csv", rows)
    same = write_csv(tmp_path / "same.csv", rows)
    lines = against_reference_lines(same, ref)
    assert lines[0].startswith("Against ") and "2 of 2 cells consistent" in lines[0]
    assert "cifar10 / resnet18 BASE lr 0.1: 98.50 vs 98.50" in lines[1] and lines[1].endswith("consistent")
    assert "15/15 seeds bit-identical" in lines[2] and lines[3] == "  hardware: hardware not recorded"
    shorter = write_csv(tmp_path / "short.csv", [{**row, "epochs": 10} for row in rows if row["seed"] <= 5])
    [line] = against_reference_lines(shorter, ref)
    assert line.startswith("no comparable reference: ") and "other settings or seeds" in line
    assert against_reference_lines(same, tmp_path / "gone.csv")[0].startswith("no comparable reference")


def test_the_stronger_base_published_without_a_std_gets_a_one_sample_test(tmp_path):
    crop = {"augment": "crop_flip"}
    base, ours = exactly(92.0, 0.3), exactly(94.2, 0.25)  # BASE 1.8 points below the paper
    rows = cell_rows("base", 1.0, 1, 0.1, base, **crop) + cell_rows("ours", 0.1, 100, 0.1, ours, **crop)
    paths = write_report(write_csv(tmp_path / "sb.csv", rows), tmp_path / "out", paper="sb", plots=False)
    [row] = pd.read_csv(paths.reproduction).to_dict("records")
    assert row["test"] == "one-sample t" and row["paper_mean"] == 93.79 and np.isnan(row["paper_std"])
    assert row["welch_p"] == pytest.approx(sps.ttest_1samp(base, 93.79).pvalue, abs=1e-9)
    assert row["verdict"] == "lower" and "| 93.79 | - |" in paths.markdown.read_text()
