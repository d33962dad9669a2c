"""`bninit report` from top to bottom: read the study, choose its comparisons, test their seed
pairs, judge the cells (against the paper, a reference) and the paper's claims, then write
report.md, report.tex, stats.csv, the judgements' CSVs and the figures into one directory."""

from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from bninit.atomic import write_text
from bninit.errors import UserError
from bninit.report.figures.at_a_glance import write_pictures
from bninit.report.figures.block_plots import write_plots
from bninit.report.inputs.options import ReportOptions, check_options
from bninit.report.inputs.study import read_studies, read_study
from bninit.report.judge.analysis import Report, analyse
from bninit.report.judge.claims import judge_claims
from bninit.report.judge.comparisons import INPUT_NORM_MARGIN, choose
from bninit.report.judge.reproduction import Reproduction, against_paper, against_reference, mixed_hardware
from bninit.report.write.latex import render_latex
from bninit.report.write.markdown import render_markdown
from bninit.report.write.stats_csv import stats_table
from bninit.report.write.verdict_tables import claims_csv


@dataclass(frozen=True)
class ReportPaths:
    """Where `write_report` put everything (None: that format was not asked for), and the analysis."""

    out_dir: Path
    markdown: Path | None
    latex: Path | None
    stats_csv: Path
    plots: list[Path]
    report: Report
    reproduction: Path | None = None  # reproduction.csv, when judged against the paper / a reference
    claims: Path | None = None  # claims.csv, with --paper
    notes: list[str] = field(default_factory=list)  # one line each for the user (e.g. no curves)


def write_report(
    csv_path, out_dir: str | Path | None = None, options: ReportOptions | None = None, **changes
) -> ReportPaths:
    """Analyse `csv_path` (a path, or several read as one study) and write report.md, report.tex,
    stats.csv, plots/*.png (and reproduction.csv when judged against the paper or a reference)
    into `out_dir` (default: the first CSV's path without its suffix, e.g. results/table1a/).
    `options`: what is asked (`ReportOptions`); `changes`: fields of it to change (`holm=True`)."""
    options = replace(options or ReportOptions(), **changes)
    check_options(options)
    # 1. read the study (one CSV, or several read as one)
    runs, layout = read_studies(csv_path, options.metric, options.pair_by, options.cells)
    if options.paper is not None and not layout.own:
        raise UserError(f"--paper {options.paper}: only for a CSV `bninit collect` wrote")
    # 2. choose the comparisons; 3. make the cells and test each comparison's seed pairs
    report = analyse(runs, options, choose(runs, options, layout))
    # 4. judge: the cells against the paper / a reference, the paper's claims
    report.warnings += mixed_hardware(runs)
    report.reproductions = judge(report, runs, options)
    if options.paper is not None:
        report.claims = judge_claims(report.cells, options.alpha, INPUT_NORM_MARGIN)
    # 5. write: the tables as text, the numbers as CSVs, the figures
    first = csv_path if isinstance(csv_path, str | Path) else list(csv_path)[0]
    out = Path(out_dir) if out_dir is not None else Path(first).with_suffix("")
    return write_files(report, out, options)


def judge(report: Report, runs: pd.DataFrame, options: ReportOptions) -> list[Reproduction]:
    """The study against the paper's table (--paper) and against another study (--reference)."""
    found = []
    if options.paper is not None:
        found.append(against_paper(report, options.margin))
    if options.reference is not None:
        reference, _ = read_study(options.reference, options.metric, options.pair_by, options.cells)
        found.append(
            against_reference(runs, reference, options.margin, options.alpha, str(options.reference))
        )
    return found


def write_files(report: Report, out: Path, options: ReportOptions) -> ReportPaths:
    """report.md / report.tex (as `options.fmt` asks), stats.csv, reproduction.csv and claims.csv
    (when judged) and the figures (bninit's CSVs only: drawn over gamma and lr) into `out`."""
    out.mkdir(parents=True, exist_ok=True)

    def save(name: str, text: str) -> Path:
        write_text(out / name, text)
        return out / name

    fmt = options.fmt
    markdown = save("report.md", render_markdown(report)) if fmt in ("markdown", "all") else None
    latex = save("report.tex", render_latex(report)) if fmt in ("latex", "all") else None
    stats_csv = save("stats.csv", stats_table(report).to_csv(index=False))
    reproduction = None
    if report.reproductions:
        table = pd.concat([rep.rows.assign(against=rep.name) for rep in report.reproductions])
        reproduction = save("reproduction.csv", table.to_csv(index=False))
    claims = None
    if report.claims is not None:
        claims = save("claims.csv", claims_csv(report.claims).to_csv(index=False))
    figures, notes = [], []
    if options.plots and report.layout.own:
        figures = write_plots(report, out / "plots")
        pictures, notes = write_pictures(report, out / "plots")  # curves and grid, a CSV beside each
        figures += pictures
    return ReportPaths(out, markdown, latex, stats_csv, figures, report, reproduction, claims, notes)
