"""`bninit report` on a CSV another tool wrote: --metric, --pair-by, --cells; the tables and
stats.csv in the user's column names; the p-values against scipy.stats.ttest_rel; one-line errors."""

import pandas as pd
import pytest
from scipy import stats as sps

from bninit.report.write.words import fmt_p

SIX_LINES = """model,optimizer,run,top1
baseline,sgd,1,75.1
baseline,sgd,2,74.6
baseline,sgd,3,75.4
wide,sgd,1,76.0
wide,sgd,2,75.2
wide,sgd,3,76.5
"""
BASELINE, WIDE, DEEP = [75.1, 74.6, 75.4], [76.0, 75.2, 76.5], [75.5, 75.0, 75.9]
FLAGS = ("--metric", "top1", "--pair-by", "run")


@pytest.fixture
def results_csv(tmp_path):
    path = tmp_path / "results.csv"
    path.write_text(SIX_LINES)
    return path


def test_two_cells_give_the_paired_t_p_in_markdown_and_stats_csv(cli, results_csv, tmp_path):
    done = cli(
        "report", str(results_csv), *FLAGS, "--cells", "model,optimizer", "--against", "model=baseline"
    )
    assert done.returncode == 0, done.stderr
    p = sps.ttest_rel(WIDE, BASELINE, alternative="greater").pvalue
    markdown = (tmp_path / "results" / "report.md").read_text()
    assert done.stdout == markdown
    assert "| model | optimizer | top1 |" in markdown
    assert "| baseline | sgd | 75.03 ± 0.40 (3) |" in markdown
    row = next(line for line in markdown.splitlines() if line.startswith("| wide | sgd | model=baseline"))
    assert f" {fmt_p(p)} " in row and "3/3" in row
    assert "γ" not in markdown and "lr" not in markdown
    assert "no plots" in done.stderr and not (tmp_path / "results" / "plots").exists()
    table = pd.read_csv(tmp_path / "results" / "stats.csv")
    assert list(table.columns[:5]) == ["model", "optimizer", "cell", "n", "run"]
    wide = table[table["model"] == "wide"].iloc[0]
    assert wide["p"] == pytest.approx(p, rel=1e-9)
    assert wide["reference"] == "model=baseline optimizer=sgd" and wide["run"] == "1 2 3"
    assert wide["mean_diff"] == pytest.approx(sum(WIDE) / 3 - sum(BASELINE) / 3)


def test_pairwise_on_three_cells_tests_every_pair(cli, tmp_path):
    path = tmp_path / "three.csv"
    rows = [
        f"{m},{r + 1},{acc}"
        for m, accs in (("a", BASELINE), ("b", WIDE), ("c", DEEP))
        for r, acc in enumerate(accs)
    ]
    path.write_text("model,run,top1\n" + "\n".join(rows) + "\n")
    done = cli("report", str(path), *FLAGS, "--pairwise", "--alternative", "two-sided", "--no-plots")
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(tmp_path / "three" / "stats.csv")
    pairs = table[table["against"] == "pairwise"]
    assert len(pairs) == 3
    accs = {"model=a": BASELINE, "model=b": WIDE, "model=c": DEEP}
    for pair in pairs.itertuples():
        expected = sps.ttest_rel(accs[pair.cell], accs[pair.reference]).pvalue
        assert pair.p == pytest.approx(expected, rel=1e-9)
        assert f"(p {fmt_p(expected)})" in done.stdout
    assert "| Δ row - column | model=a | model=b | model=c |" in done.stdout


def test_without_a_comparison_the_cells_are_compared_pairwise(cli, results_csv):
    done = cli("report", str(results_csv), *FLAGS, "--no-plots")  # cells: model, optimizer
    assert done.returncode == 0, done.stderr
    assert "| Δ row - column | model=baseline | model=wide |" in done.stdout


@pytest.mark.parametrize(
    ("text", "args", "error"),
    [
        (
            SIX_LINES + "wide,sgd,3,76.6\n",
            ("--cells", "model,optimizer"),
            "row 8: duplicate (model=wide, optimizer=sgd, run=3)",
        ),
        (SIX_LINES.replace("74.6", "n/a"), ("--cells", "model"), "row 3: top1 'n/a' is not a number"),
        (
            SIX_LINES,
            ("--cells", "model,opt"),
            "--cells opt: no such column; the CSV's columns: model, optimizer, run, top1",
        ),
    ],
)
def test_bad_csv_is_one_line_exit_2(cli, tmp_path, text, args, error):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    done = cli("report", str(path), *FLAGS, *args)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"bninit report: error: {path}: {error}"]


def test_unknown_metric_and_pair_columns_list_the_columns(cli, results_csv):
    for flags, named in (
        (("--metric", "acc"), "--metric acc"),
        (("--metric", "top1", "--pair-by", "seed"), "--pair-by seed"),
    ):
        done = cli("report", str(results_csv), *flags)
        assert done.returncode == 2
        assert done.stderr.strip() == (
            f"bninit report: error: {results_csv}: {named}: no such column; "
            "the CSV's columns: model, optimizer, run, top1"
        )
