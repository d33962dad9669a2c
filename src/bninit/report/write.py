"""Writing a report: analyse a study's CSV, then save report.md, report.tex, stats.csv and the
plots into one directory."""

from dataclasses import dataclass, field, replace
from pathlib import Path

from bninit.atomic import write_text
from bninit.errors import UserError
from bninit.report.analysis import FORMATS, Report, analyse, choose_comparisons, read_study, stats_table
from bninit.report.defaults import AGAINST_BASE
from bninit.report.paper import PAPER_TABLES
from bninit.report.pictures import write_pictures
from bninit.report.plots import write_plots
from bninit.report.render import render_latex, render_markdown


@dataclass(frozen=True)
class ReportPaths:
    """Where `write_report` put everything (None: that format was not asked for), and the analysis."""

    out_dir: Path
    markdown: Path | None
    latex: Path | None
    stats_csv: Path
    plots: list[Path]
    report: Report
    notes: list[str] = field(default_factory=list)  # one line each for the user (e.g. no curves)


def write_report(
    csv_path: str | Path,
    out_dir: str | Path | None = None,
    alpha: float = 0.05,
    holm: bool = False,
    paper: str | None = None,
    fmt: str = "all",
    plots: bool = True,
    against=(),
    pairwise=None,
    alternative: str | None = None,
    preset: str | None = None,
    equivalence: float | None = None,
    show_power: bool = False,
    metric: str | None = None,
    pair_by: str | None = None,
    cells=None,
) -> ReportPaths:
    """Analyse `csv_path` and write report.md / report.tex / stats.csv / plots/*.png into `out_dir`
    (default: the CSV's path without its suffix, e.g. results/table1a/).

    `against`: KEY=VALUE dicts, one comparison each; `pairwise`: None, or the keys compared across
    (e.g. ["input_norm"]); `alternative`: "greater" or "two-sided" (None: greater, or the preset's
    own); `preset`: its default comparisons (default: the preset detected from the CSV's cells);
    `equivalence`: a margin (accuracy points) for a TOST of every comparison (None: the preset's
    own, if any); `show_power`: the power columns and notes in the tables.

    `metric`, `pair_by`, `cells` (column names): read a CSV of any tool, comparing `metric` between
    the cells that `cells` define, paired by `pair_by` (defaults: bninit's test_acc_at_best_val,
    seed, and every other column); its report has no plots."""
    if fmt not in FORMATS:
        raise UserError(f"--format {fmt!r}: allowed: {', '.join(FORMATS)}")
    if paper is not None and paper not in PAPER_TABLES:
        raise UserError(f"--paper {paper!r}: unknown table; known: {', '.join(PAPER_TABLES)}")
    runs, layout = read_study(csv_path, metric, pair_by, cells)
    if paper is not None and layout.foreign:
        raise UserError(f"--paper {paper}: only for a CSV `bninit collect` wrote")
    specs, found, how = choose_comparisons(runs, against, pairwise, preset, layout)
    if equivalence is not None and not equivalence > 0:
        raise UserError(f"--equivalence {equivalence:g}: the margin must be > 0 (accuracy points, e.g. 0.5)")
    if alternative is not None and specs is not None:  # the user's choice wins over a preset's
        specs = [replace(spec, alternative=alternative) for spec in specs]
    if equivalence is not None:
        specs = [replace(spec, equivalence=equivalence) for spec in specs or [AGAINST_BASE]]
    asked = bool(against) or pairwise is not None or preset is not None
    report = analyse(
        runs,
        alpha=alpha,
        holm=holm,
        paper=paper,
        comparisons=specs,
        alternative=alternative or "greater",
        strict=not asked,
        preset=found,
        preset_source=how,
        show_power=show_power,
        layout=layout,
    )
    out = Path(out_dir) if out_dir is not None else Path(csv_path).with_suffix("")
    out.mkdir(parents=True, exist_ok=True)

    def save(name: str, text: str) -> Path:
        write_text(out / name, text)
        return out / name

    markdown = save("report.md", render_markdown(report)) if fmt in ("markdown", "all") else None
    latex = save("report.tex", render_latex(report)) if fmt in ("latex", "all") else None
    stats_csv = save("stats.csv", stats_table(report).to_csv(index=False))
    figures, notes = [], []
    if plots and not layout.foreign:  # the figures are drawn over bninit's gamma and lr
        figures = write_plots(report, out / "plots")
        pictures, notes = write_pictures(report, out / "plots")  # curves and grid, a CSV beside each
        figures += pictures
    return ReportPaths(out, markdown, latex, stats_csv, figures, report, notes)
