"""`bninit report`: tables, marks, pairing warnings, paper columns, LaTeX, plots, bad input.

Studies are built as `bninit collect` CSVs from synthetic numbers (plus one from real tiny runs)."""

import json
import math
import shutil
import subprocess
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from bninit.cli.main import main
from bninit.config import PLACEMENT_KEYS
from bninit.report.make import write_report
from bninit.run.train import run
from bninit.seeds import md5_seed
from bninit.store.collect import RESULT_COLUMNS

BASE_ACC = [90.06, 89.93, 90.32, 90.05, 89.73, 90.18, 90.65, 90.47]  # 8 seeds
CLEAR = [1.2, 0.9, 1.1, 1.0, 0.8, 1.3, 1.0, 0.9]  # p ~ 3e-7
BORDERLINE = [0.5, -0.3, 0.4, 0.2, -0.1, 0.6, 0.1, 0.3]  # p ~ 0.044
WEAK = [0.6, -0.4, 0.5, 0.3, -0.2, 0.4, -0.1, 0.2]  # p ~ 0.12
WORSE = [-0.5, -0.3, -0.6, 0.1, -0.4, -0.5, -0.2, -0.3]  # p ~ 0.998


def run_row(bn, gamma, c, lr, seed, acc, status="done", **config) -> dict:
    """One row of a `bninit collect` CSV (the fixed schema)."""
    row = {
        "dataset": "cifar10",
        "arch": "resnet18",
        "bn": bn,
        "gamma": gamma,
        "c": c,
        "input_norm": "bn",
        "lr": lr,
        "momentum": 0.9,
        "weight_decay": 1e-4,
        "epochs": 180,
        "batch_size": 128,
        **config,
    }
    done = status == "done"
    row.update(
        {
            "seed": seed,
            "md5_seed": md5_seed(seed),
            "best_epoch": 170 if done else math.nan,
            "best_val_acc": acc if done else math.nan,
            "test_acc_at_best_val": acc if done else math.nan,
            "final_test_acc": acc,
            "epochs_done": 180 if done else 12,
            "wall_time_s": 100.0,
            "status": status,
            "bninit_version": "0.1.0",
            "torch_version": "2.14.1",
            "device": "cpu",
            "cell": f"{bn}-g{gamma:g}-c{c:g}-lr{lr:g}",
            "run_dir": f"/gone/{bn}{gamma}{lr}/{seed}",
        }
    )
    return row


def cell_rows(bn, gamma, c, lr, accs, **config) -> list[dict]:
    return [run_row(bn, gamma, c, lr, seed, acc, **config) for seed, acc in enumerate(accs, start=1)]


STUDY = {  # (bn, gamma, c, lr) -> per-seed accuracies; BASE deliberately last in the CSV
    ("ours", 0.1, 100, 0.1): np.add(BASE_ACC, CLEAR),
    ("ours", 0.5, 100, 0.1): np.add(BASE_ACC, BORDERLINE),
    ("ours", 1.0, 100, 0.1): np.add(BASE_ACC, WORSE),
    ("ours", 0.1, 100, 0.01): np.add(BASE_ACC, WEAK) - 2,
    ("ours", 0.5, 100, 0.01): np.add(BASE_ACC, CLEAR) - 2,
    ("base", 1.0, 1, 0.1): np.array(BASE_ACC),
    ("base", 1.0, 1, 0.01): np.array(BASE_ACC) - 2,
}


def one_sided_p(key) -> float:
    lr = key[3]
    return sps.ttest_rel(STUDY[key], STUDY[("base", 1.0, 1, lr)], alternative="greater").pvalue


def write_csv(path: Path, rows: list[dict]) -> Path:
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.fixture
def study_csv(tmp_path) -> Path:
    rows = [row for key, accs in STUDY.items() for row in cell_rows(*key, accs)]
    return write_csv(tmp_path / "study.csv", rows)


def table_rows(markdown: str, block: str) -> list[list[str]]:
    """The paper-style table of one block, as rows of cell strings (header first)."""
    lines = markdown.split(f"## {block}\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    return [[c.strip() for c in line.strip("|").split("|")] for line in lines if not line.startswith("|---")]


def marks(markdown: str) -> dict[tuple, str]:
    """(bn, gamma, lr) -> the cell's text in the main table."""
    head, *rows = table_rows(markdown, "cifar10 / resnet18")
    out = {}
    for row in rows:
        bn = "base" if row[0] == "BASE" else row[0]
        for col, text in zip(head[3:], row[3:], strict=True):
            out[(bn, float(row[1]), float(col.removeprefix("lr ")))] = text
    return out


@pytest.mark.parametrize("alpha", [0.05, 0.01])
def test_bold_exactly_where_p_at_most_alpha(study_csv, tmp_path, alpha):
    paths = write_report(study_csv, tmp_path / "out", alpha=alpha, plots=False)
    shown = marks(paths.markdown.read_text())
    bold = {key: one_sided_p(key) <= alpha for key in STUDY if key[0] != "base"}
    assert set(bold.values()) == {True, False}  # the study has both kinds
    for (bn, gamma, _, lr), significant in bold.items():
        assert ("**" in shown[(bn, gamma, lr)]) == significant, (bn, gamma, lr)
    assert "**" not in shown[("base", 1.0, 0.1)]
    assert bold[("ours", 0.5, 100, 0.1)] == (alpha == 0.05)  # p = 0.044 flips with alpha


def test_holm_takes_bold_from_the_borderline_cell(study_csv, tmp_path):
    paths = write_report(study_csv, tmp_path / "out", holm=True, plots=False)
    shown = marks(paths.markdown.read_text())
    clear_1, clear_2 = ("ours", 0.1, 100, 0.1), ("ours", 0.5, 100, 0.01)  # the same diffs: equal p
    borderline, weak, worse = ("ours", 0.5, 100, 0.1), ("ours", 0.1, 100, 0.01), ("ours", 1.0, 100, 0.1)
    p = {key: one_sided_p(key) for key in (clear_1, clear_2, borderline, weak, worse)}
    assert p[clear_1] == pytest.approx(p[clear_2]) and p[clear_1] < p[borderline] < p[weak] < p[worse]
    # Holm by hand, m = 5, p ascending: clear, clear, borderline, weak, worse. Adjusted p(k) =
    # max over j <= k of (m - j + 1) * p(j), capped at 1; the tie makes both clear ones 5 * p.
    adjusted = {
        clear_1: 5 * p[clear_1],
        clear_2: 5 * p[clear_1],
        borderline: 3 * p[borderline],
        weak: max(3 * p[borderline], 2 * p[weak]),
        worse: min(1.0, max(3 * p[borderline], 2 * p[weak], p[worse])),
    }
    # the step-down rule: reject the k-th smallest while p(k) <= alpha / (m - k + 1): 0.044 > 0.05 / 3
    assert p[borderline] > 0.05 / 3 and p[clear_1] <= 0.05 / 5
    for (bn, gamma, _, lr), significant in {k: k in (clear_1, clear_2) for k in adjusted}.items():
        assert ("**" in shown[(bn, gamma, lr)]) == significant, (bn, gamma, lr)
    assert "**" not in shown[("ours", 0.5, 0.1)] and p[borderline] <= 0.05
    table = pd.read_csv(paths.stats_csv)
    for (bn, gamma, _, lr), expected in adjusted.items():
        row = table[(table["bn"] == bn) & (table["gamma"] == gamma) & (table["lr"] == lr)].iloc[0]
        assert row["p_holm"] == pytest.approx(expected), (bn, gamma, lr)
    assert "Holm-corrected across the 5 comparisons" in paths.markdown.read_text()


def test_underline_on_column_max_and_base_row_first(study_csv, tmp_path):
    paths = write_report(study_csv, tmp_path / "out", plots=False)
    markdown = paths.markdown.read_text()
    head, *rows = table_rows(markdown, "cifar10 / resnet18")
    assert head[:5] == ["method", "γ", "c", "lr 0.1", "lr 0.01"]
    assert rows[0][0] == "BASE"
    assert [float(r[1]) for r in rows[1:]] == [0.1, 0.5, 1.0]
    underlined = {key for key, text in marks(markdown).items() if "<ins>" in text}
    assert underlined == {("ours", 0.1, 0.1), ("ours", 0.5, 0.01)}
    mean = np.mean(STUDY[("ours", 0.1, 100, 0.1)])
    std = np.std(STUDY[("ours", 0.1, 100, 0.1)], ddof=1)
    assert marks(markdown)[("ours", 0.1, 0.1)] == f"<ins>**{mean:.2f} ± {std:.2f}**</ins> (8)"
    assert "one-sided paired t-test" in markdown and "α = 0.05" in markdown and "n = 8" in markdown


def test_stats_csv_has_every_number_per_cell(study_csv, tmp_path):
    paths = write_report(study_csv, tmp_path / "out", plots=False)
    table = pd.read_csv(paths.stats_csv)
    assert len(table) == len(STUDY)
    key = ("ours", 0.5, 100, 0.1)
    row = table[(table["bn"] == "ours") & (table["gamma"] == 0.5) & (table["lr"] == 0.1)].iloc[0]
    d = STUDY[key] - STUDY[("base", 1.0, 1, 0.1)]
    assert row["p"] == pytest.approx(one_sided_p(key))
    assert row["mean_diff"] == pytest.approx(d.mean())
    assert row["d_z"] == pytest.approx(d.mean() / d.std(ddof=1))
    assert row["wins"] == 6 and row["n_pairs"] == 8 and row["n"] == 8
    assert row["std"] == pytest.approx(np.std(STUDY[key], ddof=1))
    assert row["seeds"] == "1 2 3 4 5 6 7 8"


def test_pairing_is_checked_and_reported(tmp_path):
    rows = cell_rows("base", 1.0, 1, 0.1, [90, 91, 92, 93, 94])  # seeds 1-5
    rows += [run_row("ours", 0.1, 100, 0.1, s, 90.5 + s) for s in (1, 2, 3, 6)]  # 6: no BASE
    rows += [
        run_row("ours", 0.1, 100, 0.1, 2, 99.0),  # seed 2 twice
        run_row("ours", 0.1, 100, 0.1, 4, math.nan, status="failed"),
    ]  # 5: absent
    rows += [run_row("ours", 0.5, 100, 0.1, 1, 95.0)]  # one seed only
    paths = write_report(write_csv(tmp_path / "s.csv", rows), tmp_path / "out", plots=False)
    report = paths.report
    markdown = paths.markdown.read_text()
    warnings = markdown.split("## Warnings", 1)[1]
    assert "ours gamma=0.1 c=100 lr=0.1: seed(s) 4 failed, left out" in warnings
    assert "ours gamma=0.1 c=100 lr=0.1: seed(s) 2 appear more than once" in warnings
    assert "ours gamma=0.1 c=100 lr=0.1: seed(s) 5 missing" in warnings
    assert "ours gamma=0.1 c=100 lr=0.1: seed(s) 6 have no BASE run" in warnings
    assert "BASE lr=0.1: seed(s) 6 missing" in warnings
    assert "ours gamma=0.5 c=100 lr=0.1: 1 seed(s) paired with BASE; no test" in warnings

    cells = report.cells.set_index("gamma")
    assert cells.loc[0.1, "n"] == 4 and cells.loc[0.1, "n_pairs"] == 3  # seeds 1, 2, 3
    assert cells.loc[0.1, "mean_diff"] == pytest.approx(1.5)  # the first row of seed 2, not 99
    comparison = [line for line in markdown.splitlines() if line.startswith("| ours | 0.5 |")]
    assert comparison[-1].endswith("| no test |")  # in the comparison table, not "n.s."
    assert "(1) †" in marks(markdown)[("ours", 0.5, 0.1)]


def test_paper_numbers_beside_ours(tmp_path):
    rows = cell_rows("base", 1.0, 1, 0.1, [89.0, 89.5, 90.0]) + cell_rows(
        "ours", 0.1, 100, 0.1, [90.6, 90.8, 91.0]
    )
    csv = write_csv(tmp_path / "t1a.csv", rows)
    paths = write_report(csv, tmp_path / "out", paper="1a", plots=False)
    head, base, ours = table_rows(paths.markdown.read_text(), "cifar10 / resnet18")
    assert head == ["method", "γ", "c", "lr 0.1", "paper", "Δ/σ"]
    assert base[4:] == ["89.44 ± 0.45", f"{(89.5 - 89.44) / 0.45:+.1f}"]
    assert ours[4:] == ["90.80 ± 0.20", "+0.0"]
    assert "Table 1a of Davis & Frank" in paths.markdown.read_text()


def test_latex_is_booktabs_and_compiles(study_csv, tmp_path):
    paths = write_report(study_csv, tmp_path / "out", plots=False)
    tex = paths.latex.read_text()
    for command in ("\\begin{tabular}", "\\toprule", "\\midrule", "\\bottomrule", "\\caption{"):
        assert command in tex
    assert tex.count("\\begin{table}") == tex.count("\\end{table}") == 2  # table + comparison
    assert tex.count("{") == tex.count("}") + tex.count("\\{") - tex.count("\\}")
    assert tex.isascii() and "weight\\_decay" in tex
    assert tex.count("\\underline{\\textbf{") == 2 and tex.count("\\textbf{") == 3 + 1  # + caption
    if shutil.which("pdflatex"):  # the structure is checked everywhere, compiled where TeX is
        doc = tmp_path / "doc.tex"
        doc.write_text(
            "\\documentclass{article}\n\\usepackage{booktabs}\n\\begin{document}\n"
            f"\\input{{{paths.latex}}}\n\\end{{document}}\n"
        )
        done = subprocess.run(
            ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", doc.name],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout[-2000:]
        assert (tmp_path / "doc.pdf").stat().st_size > 1000


def test_plots_are_written_and_history_plot_skipped_without_run_dirs(study_csv, tmp_path):
    paths = write_report(study_csv, tmp_path / "out")
    names = sorted(p.name for p in paths.plots if p.suffix == ".png")
    assert names == [
        "cifar10_resnet18-acc_vs_gamma.png",
        "cifar10_resnet18-grid.png",
        "cifar10_resnet18-paired_diffs.png",
    ]
    pixels = {p.name.split("-")[1]: mpimg.imread(p) for p in paths.plots if p.suffix == ".png"}
    # one 4.2 x 3.4 inch panel per learning rate (2 here) at 120 dpi: 1008 x 408 pixels
    assert pixels["acc_vs_gamma.png"].shape[:2] == pixels["paired_diffs.png"].shape[:2] == (408, 1008)
    for name, image in pixels.items():  # drawn, not blank: many colours, and ink on the page
        colours = np.unique(image[..., :3].reshape(-1, 3), axis=0)
        assert len(colours) > 20, name
        assert (image[..., :3].min(axis=2) < 0.5).mean() > 0.005, name  # dark pixels: text, lines, points


@pytest.mark.slow
def test_report_on_real_tiny_digits_runs(make_cfg, tmp_path):
    """2 cells x 3 seeds x 1 epoch of real training, turned into CSV rows the way collect does."""
    rows = []
    for method in (["bn=base"], ["bn=ours", "gamma=0.1"]):
        for seed in (1, 2, 3):
            result = run(make_cfg(*method, "epochs=1", f"seed={seed}"))
            saved = json.loads((Path(result["run_dir"]) / "result.json").read_text())
            config = {k: v for k, v in saved["config"].items() if k not in PLACEMENT_KEYS + ("seed",)}
            rows.append(
                {
                    **config,
                    **{k: saved.get(k) for k in RESULT_COLUMNS if k in saved},
                    "epochs_done": len(saved["history"]),
                    "bninit_version": "0.1.0",
                    "torch_version": saved["versions"]["torch"],
                    "cell": Path(saved["run_dir"]).parent.name,
                }
            )
    csv = write_csv(tmp_path / "digits.csv", rows)
    paths = write_report(csv, tmp_path / "report")
    report = paths.report

    ours = report.cells[report.cells["bn"] == "ours"].iloc[0]
    accs = [r["test_acc_at_best_val"] for r in rows if r["bn"] == "ours"]
    assert ours["n"] == 3 and ours["n_pairs"] == 3
    assert ours["mean"] == pytest.approx(np.mean(accs))
    assert "## digits / resnet20" in paths.markdown.read_text()
    assert sorted(p.name for p in paths.plots if p.suffix == ".png") == [
        "digits_resnet20-acc_vs_gamma.png",
        "digits_resnet20-bn_scale.png",
        "digits_resnet20-curves.png",
        "digits_resnet20-grid.png",
        "digits_resnet20-paired_diffs.png",
    ]

    shutil.rmtree(tmp_path / "runs")  # run dirs gone: the history plot is skipped, nothing fails
    again = write_report(csv, tmp_path / "report2")
    assert "digits_resnet20-bn_scale.png" not in [p.name for p in again.plots]


def report_error(capsys, *args) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(["report", *args])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def test_bad_inputs_are_one_line_errors(tmp_path, capsys, study_csv):
    out = tmp_path / "out"
    assert "no such file" in report_error(capsys, str(tmp_path / "nope.csv"), "-o", str(out))
    (tmp_path / "empty.csv").write_text("")
    assert "the file is empty" in report_error(capsys, str(tmp_path / "empty.csv"), "-o", str(out))
    header_only = write_csv(tmp_path / "header.csv", [run_row("base", 1.0, 1, 0.1, 1, 90.0)])
    header_only.write_text(header_only.read_text().splitlines()[0] + "\n")
    assert "no runs in it" in report_error(capsys, str(header_only), "-o", str(out))
    other = tmp_path / "other.csv"
    pd.read_csv(study_csv).drop(columns=["gamma", "status"]).to_csv(other, index=False)
    err = report_error(capsys, str(other), "-o", str(out))
    assert "not a bninit results CSV: missing column(s) gamma, status" in err
    no_base = write_csv(tmp_path / "nobase.csv", cell_rows("ours", 0.1, 100, 0.01, [90.0, 91.0]))
    err = report_error(capsys, str(no_base), "-o", str(out))
    assert "no BASE cell (bn=base gamma=1 c=1) to compare with for: cifar10 / resnet18 lr=0.01" in err
    assert "invalid choice: '3a'" in report_error(capsys, str(study_csv), "--paper", "3a")
    assert "--alpha 1.5: must be between 0 and 1" in report_error(capsys, str(study_csv), "--alpha", "1.5")
    assert not out.exists()  # nothing half-written


@pytest.mark.slow
def test_installed_command_prints_the_table(cli, study_csv, tmp_path):
    done = cli("report", str(study_csv), "--format", "latex", "--no-plots")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("% Written by `bninit report`")
    out = tmp_path / "study"  # default: the CSV path without .csv
    assert (out / "report.tex").read_text() == done.stdout  # the table printed is the file written
    stats_csv = pd.read_csv(out / "stats.csv")
    assert len(stats_csv) == len(STUDY)
    clear = stats_csv[(stats_csv["gamma"] == 0.1) & (stats_csv["lr"] == 0.1)].iloc[0]
    assert clear["p"] == pytest.approx(one_sided_p(("ours", 0.1, 100, 0.1)))
    assert not (out / "report.md").exists()
    assert f"wrote 2 files to {out}/" in done.stderr


def test_config_columns_added_later_make_their_own_blocks(tmp_path):
    """A column collect adds later (here `precision`) is a config column: cells and BASE split by it."""
    rows = []
    for precision, shift in (("fp32", 0.0), ("bf16", -1.0)):
        rows += cell_rows("base", 1.0, 1, 0.1, np.add(BASE_ACC, shift), precision=precision)
        rows += cell_rows("ours", 0.1, 100, 0.1, np.add(BASE_ACC, CLEAR) + shift, precision=precision)
    paths = write_report(write_csv(tmp_path / "p.csv", rows), tmp_path / "out", plots=False)
    report = paths.report
    assert [title for title, _ in report.blocks()] == [
        "cifar10 / resnet18 / precision=fp32",
        "cifar10 / resnet18 / precision=bf16",
    ]
    ours = report.cells[report.cells["bn"] == "ours"]
    assert list(ours["mean_diff"]) == pytest.approx([np.mean(CLEAR)] * 2)  # each vs its own BASE
    assert "## cifar10 / resnet18 / precision=bf16" in paths.markdown.read_text()


def test_the_python_entry_points_the_docs_name(study_csv, tmp_path):
    """docs/report.md: `bninit.report.write_report(csv, out, ReportOptions(...))`; the analysed
    report's `render_markdown` / `render_latex` are exactly the files' text."""
    import bninit.report as report

    paths = report.write_report(study_csv, tmp_path / "out", report.ReportOptions(holm=True, plots=False))
    assert paths.markdown.read_text() == report.render_markdown(paths.report)
    assert paths.latex.read_text() == report.render_latex(paths.report)
    assert "Holm-corrected across the 5 comparisons" in paths.markdown.read_text()
    assert paths.report.n_tested == 5 and report.analyse is report.judge.analysis.analyse
    with pytest.raises(AttributeError):
        report.nothing_here  # noqa: B018
