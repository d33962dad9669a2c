"""Writing a report: analyse a study's CSV(s), then save report.md, report.tex, stats.csv and the
plots into one directory."""

from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from bninit.atomic import write_text
from bninit.errors import UserError
from bninit.report.analysis import Report, analyse
from bninit.report.choose import choose_comparisons
from bninit.report.claims import judge_claims
from bninit.report.defaults import AGAINST_BASE, INPUT_NORM_MARGIN
from bninit.report.latex import render_latex
from bninit.report.markdown import render_markdown
from bninit.report.options import FORMATS, Choice, ReportOptions
from bninit.report.paper import PAPER_TABLES
from bninit.report.pictures import write_pictures
from bninit.report.plots import write_plots
from bninit.report.reproduce import (
    Reproduction,
    against_paper,
    against_reference,
    check_margin,
    mixed_hardware,
)
from bninit.report.statstable import stats_table
from bninit.report.study import read_studies, read_study


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


def check_options(options: ReportOptions) -> None:
    """One-line UserError for a value no study could make sense of."""
    if options.fmt not in FORMATS:
        raise UserError(f"--format {options.fmt!r}: allowed: {', '.join(FORMATS)}")
    if options.paper is not None and options.paper not in PAPER_TABLES:
        raise UserError(f"--paper {options.paper!r}: unknown table; known: {', '.join(PAPER_TABLES)}")
    if options.equivalence is not None and not options.equivalence > 0:
        raise UserError(
            f"--equivalence {options.equivalence:g}: the margin must be > 0 (accuracy points, e.g. 0.5)"
        )
    check_margin(options.margin)


def choose(runs, options: ReportOptions, layout) -> Choice:
    """The comparisons of this report: the options' own, else the preset's; --alternative and
    --equivalence override what a preset says."""
    specs, found, how = choose_comparisons(runs, options.against, options.pairwise, options.preset, layout)
    if options.alternative is not None and specs is not None:  # the user's choice wins over a preset's
        specs = [replace(spec, alternative=options.alternative) for spec in specs]
    if options.equivalence is not None:
        specs = [replace(spec, equivalence=options.equivalence) for spec in specs or [AGAINST_BASE]]
    asked = bool(options.against) or options.pairwise is not None or options.preset is not None
    return Choice(specs, not asked, found, how, layout)


def write_report(
    csv_path, out_dir: str | Path | None = None, options: ReportOptions | None = None, **changes
) -> ReportPaths:
    """Analyse `csv_path` (a path, or several read as one study) and write report.md, report.tex,
    stats.csv, plots/*.png (and reproduction.csv when judged against the paper or a reference)
    into `out_dir` (default: the first CSV's path without its suffix, e.g. results/table1a/).
    `options`: what is asked (`ReportOptions`); `changes`: fields of it to change (`holm=True`)."""
    options = replace(options or ReportOptions(), **changes)
    check_options(options)
    runs, layout = read_studies(csv_path, options.metric, options.pair_by, options.cells)
    if options.paper is not None and not layout.own:
        raise UserError(f"--paper {options.paper}: only for a CSV `bninit collect` wrote")
    report = analyse(runs, options, choose(runs, options, layout))
    report.warnings += mixed_hardware(runs)
    report.reproductions = judge(report, runs, options)
    if options.paper is not None:
        report.claims = judge_claims(report.cells, options.alpha, INPUT_NORM_MARGIN)
    first = csv_path if isinstance(csv_path, str | Path) else list(csv_path)[0]
    out = Path(out_dir) if out_dir is not None else Path(first).with_suffix("")
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
    claims = save("claims.csv", report.claims.to_csv(index=False)) if report.claims is not None else None
    figures, notes = [], []
    # The figures: drawn over bninit's gamma and lr (none for another tool's CSV).
    if options.plots and layout.own:
        figures = write_plots(report, out / "plots")
        pictures, notes = write_pictures(report, out / "plots")  # curves and grid, a CSV beside each
        figures += pictures
    return ReportPaths(out, markdown, latex, stats_csv, figures, report, reproduction, claims, notes)


def judge(report: Report, runs, options: ReportOptions) -> list[Reproduction]:
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
