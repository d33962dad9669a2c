"""`bninit report` beyond BASE: --against any reference, --pairwise, --alternative, the presets'
default comparisons (found from the CSV's cells), and the paper's numbers beside them.

Every p-value is checked against scipy.stats.ttest_rel on the same seed-paired accuracies."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from bninit.config.presets import preset_cells, preset_names
from bninit.report.inputs.paper import paper_numbers
from bninit.report.judge.comparisons import PRESET_COMPARISONS
from bninit.report.make import write_report
from test_report_analysis import (
    BASE_ACC,
    BORDERLINE,
    CLEAR,
    WEAK,
    WORSE,
    cell_rows,
    report_error,
    run_row,
    write_csv,
)

A1_STUDY = {  # (bn, gamma, c, lr) -> per-seed accuracies: ours and a1 at two gammas, BASE
    ("base", 1.0, 1, 0.1): np.array(BASE_ACC),
    ("a1", 0.1, 100, 0.1): np.add(BASE_ACC, WEAK),
    ("a1", 0.5, 100, 0.1): np.add(BASE_ACC, WORSE),
    ("ours", 0.1, 100, 0.1): np.add(BASE_ACC, CLEAR),
    ("ours", 0.5, 100, 0.1): np.add(BASE_ACC, BORDERLINE),
}


@pytest.fixture
def a1_csv(tmp_path):
    rows = [row for key, accs in A1_STUDY.items() for row in cell_rows(*key, accs)]
    return write_csv(tmp_path / "a1.csv", rows)


def pair_rows(report, label: str) -> pd.DataFrame:
    (compared,) = [c for c in report.comparisons if c.spec.label == label]
    return compared.rows


def key_of(report, index) -> tuple:
    cell = report.cells.loc[index]
    return (cell["bn"], cell["gamma"], cell["c"], cell["lr"])


@pytest.mark.parametrize("alternative", ["greater", "two-sided"])
def test_against_pairs_each_cell_with_the_reference_of_the_same_gamma(a1_csv, tmp_path, alternative):
    paths = write_report(
        a1_csv, tmp_path / "out", plots=False, against=[{"bn": "a1"}], alternative=alternative
    )
    rows = pair_rows(paths.report, "bn=a1")
    pairs = {key_of(paths.report, r.cell_index): key_of(paths.report, r.ref_index) for r in rows.itertuples()}
    assert pairs == {
        ("ours", 0.1, 100, 0.1): ("a1", 0.1, 100, 0.1),
        ("ours", 0.5, 100, 0.1): ("a1", 0.5, 100, 0.1),
    }  # BASE has no a1 of gamma 1
    for row in rows.itertuples():
        cell, ref = key_of(paths.report, row.cell_index), pairs[key_of(paths.report, row.cell_index)]
        expected = sps.ttest_rel(A1_STUDY[cell], A1_STUDY[ref], alternative=alternative)
        assert (row.t, row.p) == pytest.approx((expected.statistic, expected.pvalue))
        assert row.wilcoxon_p == pytest.approx(
            sps.wilcoxon(A1_STUDY[cell], A1_STUDY[ref], alternative=alternative).pvalue
        )
    warnings = paths.markdown.read_text().split("## Warnings", 1)[1]
    assert "bn=a1: no reference cell with the same gamma, c for BASE lr=0.1; not compared" in warnings
    table = pd.read_csv(paths.stats_csv)
    ours = table[(table["bn"] == "ours") & (table["gamma"] == 0.1)].iloc[0]
    assert ours["against"] == "bn=a1" and ours["alternative"] == alternative
    assert ours["reference"].endswith("a1 gamma=0.1 c=100 lr=0.1")
    assert ours["wilcoxon_method"] in ("exact", "permutation", "normal approx.")


def test_several_against_give_one_table_each_and_bold_follows_the_first(a1_csv, tmp_path):
    paths = write_report(
        a1_csv, tmp_path / "out", plots=False, against=[{"bn": "base"}, {"bn": "ours", "gamma": "0.1"}]
    )
    report = paths.report
    assert [c.spec.label for c in report.comparisons] == ["bn=base", "bn=ours gamma=0.1"]
    markdown = paths.markdown.read_text()
    assert markdown.count("Paired comparison") == 2
    assert "better than BASE of the same learning rate" in markdown
    rows = pair_rows(report, "bn=ours gamma=0.1")
    refs = {key_of(report, i) for i in rows["ref_index"]}
    assert refs == {("ours", 0.1, 100, 0.1)}  # a single matching cell is everyone's reference
    assert len(rows) == len(A1_STUDY) - 1
    table = pd.read_csv(paths.stats_csv)
    assert len(table) == len(A1_STUDY) + len(rows)  # a row per cell, then one per extra pair


@pytest.mark.parametrize("alternative", ["greater", "two-sided"])
def test_pairwise_matrix_p_values_are_scipys(a1_csv, tmp_path, alternative):
    paths = write_report(a1_csv, tmp_path / "out", plots=False, pairwise=[], alternative=alternative)
    report = paths.report
    rows = pair_rows(report, "pairwise")
    k = len(A1_STUDY)
    assert len(rows) == (k * (k - 1) if alternative == "greater" else k * (k - 1) // 2)
    for row in rows.itertuples():
        a, b = key_of(report, row.cell_index), key_of(report, row.ref_index)
        expected = sps.ttest_rel(A1_STUDY[a], A1_STUDY[b], alternative=alternative)
        assert row.p == pytest.approx(expected.pvalue)
        assert row.mean_diff == pytest.approx(np.mean(A1_STUDY[a] - A1_STUDY[b]))
    assert report.primary is None  # no reference cell: no bold in the main table
    markdown = paths.markdown.read_text()
    assert (
        "Pairwise comparison, lr 0.1" in markdown
        and "**" not in markdown.split("## cifar10")[1].split("Pairwise")[0]
    )
    assert "\\begin{tabular}{lrrrrr}" in paths.latex.read_text()  # the 5 x 5 matrix
    table = pd.read_csv(paths.stats_csv)
    assert (table["against"] == "pairwise").sum() == len(rows)


def input_norm_rows(seeds=6) -> list[dict]:
    rng = np.random.default_rng(3)
    rows = []
    for cell in preset_cells("input_norm"):
        shift = {"bn": 0.0, "fixed": -0.1, "offline": 0.8}[cell["input_norm"]]
        for seed in range(1, seeds + 1):
            acc = round(90 + shift + rng.normal(0, 0.3), 2)
            rows.append(
                run_row(
                    "ours", cell["gamma"], cell["c"], cell["lr"], seed, acc, input_norm=cell["input_norm"]
                )
            )
    return rows


def test_input_norm_study_without_base_reports_two_sided_pairwise(tmp_path):
    rows = input_norm_rows()
    paths = write_report(write_csv(tmp_path / "in.csv", rows), tmp_path / "out", plots=False)
    report = paths.report
    assert report.preset == "input_norm" and report.preset_source == "detected"
    assert [title for title, _ in report.blocks()] == ["cifar10 / resnet18"]  # not split by input_norm
    (compared,) = report.comparisons
    assert compared.spec.pairwise and compared.alternative == "two-sided"
    assert len(compared.rows) == 2 * 3  # 2 lrs x 3 unordered pairs
    accs = pd.DataFrame(rows)
    for row in compared.rows.itertuples():
        a, b = (report.cells.loc[i] for i in (row.cell_index, row.ref_index))
        x, y = (
            accs[(accs["input_norm"] == c["input_norm"]) & (accs["lr"] == c["lr"])]
            .sort_values("seed")["test_acc_at_best_val"]
            .to_numpy()
            for c in (a, b)
        )
        assert row.p == pytest.approx(sps.ttest_rel(x, y, alternative="two-sided").pvalue)
    markdown = paths.markdown.read_text()
    assert "| method | γ | c | input_norm | lr 0.1 | lr 0.01 |" in markdown
    assert "| Δ row - column | input_norm=bn | input_norm=fixed | input_norm=offline |" in markdown
    assert "two-sided paired-t p" in markdown and "H1: row ≠ column" in markdown


def preset_csv(name: str, path, seeds: int = 3):
    """A study shaped like preset `name`: its cells, `seeds` seeds, random accuracies."""
    rng = np.random.default_rng(sum(map(ord, name)))
    rows = []
    for cell in preset_cells(name):
        extra = {k: v for k, v in cell.items() if k not in ("bn", "gamma", "c", "lr")}
        for seed in range(1, seeds + 1):
            acc = round(float(rng.normal(90, 1)), 2)
            rows.append(run_row(cell["bn"], float(cell["gamma"]), cell["c"], cell["lr"], seed, acc, **extra))
    return write_csv(path, rows)


EXPECTED_TABLES = {  # the comparison tables of one block of each preset's default report
    "table2b": [
        "with BASE",
        "with the reference (bn=rbn)",
        "with the reference (bn=rbn_minus)",
        "with the reference (bn=iebn)",
        "with the reference (bn=iebn_minus)",
    ],
    "alt": ["with BASE", "with the reference (bn=a1)", "with the reference (bn=a2)"],
    "input_norm": ["Pairwise comparison, lr 0.1", "Pairwise comparison, lr 0.01"],
    # the ablation (Sect. 4.4): c = 100 against c = 1 at the same gamma and lr, then against BASE
    "ablation": ["of the cells with bn=ours c=100 with the reference (c=1)", "with BASE"],
}


def test_every_preset_has_its_default_comparisons():
    assert sorted(PRESET_COMPARISONS) == preset_names()


@pytest.mark.parametrize("name", preset_names())
def test_each_presets_study_reports_with_no_flags(name, tmp_path):
    paths = write_report(preset_csv(name, tmp_path / f"{name}.csv"), tmp_path / "out", plots=False)
    report = paths.report
    assert report.preset == name
    assert [c.spec.label for c in report.comparisons] == [c.label for c in PRESET_COMPARISONS[name]]
    assert all(len(c.rows) for c in report.comparisons)
    first_block = paths.markdown.read_text().split("\n## ")[1]
    expected = EXPECTED_TABLES.get(name, ["with BASE"])
    found = [line for line in first_block.splitlines() if line.startswith(("Paired", "Pairwise"))]
    assert len(found) == len(expected)
    assert all(text in line for text, line in zip(expected, found, strict=True))
    assert f"Study: preset {name} (found from the CSV's cells)" in paths.markdown.read_text()


def test_alt_compares_ours_with_a1_at_the_same_gamma(tmp_path):
    report = write_report(preset_csv("alt", tmp_path / "alt.csv"), tmp_path / "out", plots=False).report
    rows = pair_rows(report, "bn=a1 (cells bn=ours)")
    assert len(rows) == 21  # 7 gammas x 3 lrs
    for row in rows.itertuples():
        ours, a1 = key_of(report, row.cell_index), key_of(report, row.ref_index)
        assert ours[0] == "ours" and a1[0] == "a1" and ours[1:] == a1[1:]


def test_paper_numbers_beside_the_new_comparisons(tmp_path):
    csv = preset_csv("table2b", tmp_path / "t2b.csv")
    paths = write_report(csv, tmp_path / "out", plots=False, paper="2b")
    paper = paper_numbers("2b")

    def published(bn, dataset, lr):
        return paper[
            (paper["method"] == bn) & (paper["dataset"] == dataset) & np.isclose(paper["lr"], lr)
        ].iloc[0]["mean"]

    rows = pair_rows(paths.report, "bn=rbn (cells bn=ours)")
    assert len(rows) == 8  # 4 datasets x 2 lrs
    for row in rows.itertuples():
        cell = paths.report.cells.loc[row.cell_index]
        want = published("ours", cell["dataset"], cell["lr"]) - published("rbn", cell["dataset"], cell["lr"])
        assert row.paper_diff == pytest.approx(want)
    markdown = paths.markdown.read_text()
    cifar10 = markdown.split("## cifar10 / resnet18")[1].split("\n## ")[0]
    assert "| ours | 0.1 | 100 | 0.1 | rbn gamma=1 c=1 |" in cifar10
    assert f"| {90.80 - 90.17:+.2f} |" in cifar10  # the paper's ours - RBN at lr 0.1
    table = pd.read_csv(paths.stats_csv)
    assert table["paper_diff"].notna().sum() >= len(rows)


def test_missing_reference_is_a_warning_when_asked_and_an_error_otherwise(tmp_path, capsys):
    rows = cell_rows("base", 1.0, 1, 0.1, BASE_ACC) + cell_rows(
        "ours", 0.1, 100, 0.1, np.add(BASE_ACC, CLEAR)
    )
    rows += cell_rows("ours", 0.1, 100, 0.01, np.add(BASE_ACC, WEAK))  # no BASE at lr 0.01
    csv = write_csv(tmp_path / "s.csv", rows)
    err = report_error(capsys, str(csv), "-o", str(tmp_path / "out"))
    assert "no BASE cell (bn=base gamma=1 c=1) to compare with for: cifar10 / resnet18 lr=0.01" in err
    paths = write_report(csv, tmp_path / "out", plots=False, against=[{"bn": "base"}])
    assert "no reference cell (bn=base) in: cifar10 / resnet18 lr=0.01" in paths.markdown.read_text()
    assert len(paths.report.primary.rows) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--against", "method=ours"], "--against: unknown key 'method'; allowed: bn, gamma, c, input_norm"),
        (["--against", "bn=a3"], "--against bn=a3: no cell has bn=a3; bn is one of: ours, base"),
        (["--against", "gamma=0.3"], "--against gamma=0.3: no cell has gamma=0.3; gamma is one of: 0.1"),
        (["--against", "bn=base", "gamma=0.1"], "--against bn=base gamma=0.1: no cell has all of these"),
        (["--against", "bn"], "--against 'bn': expected KEY=VALUE (e.g. --against bn=base)"),
        (["--against", "lr=0.1"], "--against: unknown key 'lr'"),
        (["--pairwise", "arch"], "--pairwise: unknown key 'arch'"),
        (["--alternative", "less"], "invalid choice: 'less'"),
        (["--preset", "table9"], "unknown preset 'table9'; known: "),
    ],
)
def test_bad_comparisons_are_one_line_errors(tmp_path, capsys, args, message):
    rows = cell_rows("ours", 0.1, 100, 0.1, BASE_ACC) + cell_rows("base", 1.0, 1, 0.1, BASE_ACC)
    csv = write_csv(tmp_path / "s.csv", rows)
    assert message in report_error(capsys, str(csv), *args, "-o", str(tmp_path / "out"))


def test_two_sided_marks_better_and_worse(tmp_path):
    rows = cell_rows("base", 1.0, 1, 0.1, BASE_ACC)
    rows += cell_rows("ours", 0.1, 100, 0.1, np.add(BASE_ACC, CLEAR))
    rows += cell_rows("ours", 1.0, 100, 0.1, np.add(BASE_ACC, [-d for d in CLEAR]))
    paths = write_report(
        write_csv(tmp_path / "s.csv", rows), tmp_path / "out", plots=False, alternative="two-sided"
    )
    markdown = paths.markdown.read_text()
    assert "better (p <= 0.05) |" in markdown and "worse (p <= 0.05) |" in markdown
    assert markdown.count("**") == 2 + 2  # caption's **bold** + the better cell only
    cells = paths.report.cells.query("bn == 'ours'").set_index("gamma")
    assert cells.loc[1.0, "significant"] and not cells.loc[1.0, "better"]
    assert not math.isnan(cells.loc[0.1, "p"])


@pytest.mark.slow
def test_installed_command_reports_a_table2b_study(cli, tmp_path):
    csv = preset_csv("table2b", tmp_path / "t2b.csv")
    done = cli("report", str(csv), "--paper", "2b", "--no-plots")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("with the reference (bn=rbn)") == 4  # one table per dataset
    assert "preset table2b (found from the CSV's cells)" in done.stderr
    done = cli("report", str(csv), "--against", "bn=rbn", "--alternative", "two-sided", "--no-plots")
    assert done.returncode == 0, done.stderr
    assert "two-sided paired t" in done.stdout and "with the reference (bn=rbn)" in done.stdout
