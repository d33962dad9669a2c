"""`bninit report CSV [...]`: the flags, the table on stdout, the files under -o DIR."""

import argparse
import sys

from bninit.errors import UserError
from bninit.report.inputs.options import DEFAULT_MARGIN, FORMATS, ReportOptions
from bninit.report.inputs.paper import PAPER_TABLES
from bninit.report.make import write_report
from bninit.report.stats.paired import ALTERNATIVES
from bninit.report.write.verdict_tables import summary


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, like every other bad input
        raise UserError(message)


def parse_against(words: list[str]) -> dict[str, str]:
    """`--against bn=a1 gamma=0.1` -> {"bn": "a1", "gamma": "0.1"}; one-line error otherwise."""
    where = {}
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not key or not value:
            raise UserError(f"--against {word!r}: expected KEY=VALUE (e.g. --against bn=base)")
        if key in where:
            raise UserError(f"--against {' '.join(words)}: {key} given twice")
        where[key] = value
    return where


def report_cli(args: list[str]) -> int:
    parser = _Parser(prog="bninit report", description="Significance tables and plots of a study.")
    parser.add_argument(
        "csv",
        nargs="+",
        help="results CSV(s) written by `bninit collect` (several: one study), or any per-seed CSV",
    )
    parser.add_argument("--metric", metavar="COL", help="the column compared (default test_acc_at_best_val)")
    parser.add_argument(
        "--pair-by", metavar="COL", help="rows with the same value of COL are a pair (default seed)"
    )
    parser.add_argument(
        "--cells",
        metavar="COL[,COL...]",
        type=lambda text: [col for col in text.split(",") if col],
        help="the columns that define a cell (default for a bninit CSV: dataset, arch, bn, gamma, c, "
        "lr, ...; for another CSV: every column but the metric and the pair)",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="all",
        help="table files to write; markdown or all print Markdown, latex prints LaTeX",
    )
    parser.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    parser.add_argument(
        "--holm", action="store_true", help="Holm-correct the p-values across the pairs of each comparison"
    )
    parser.add_argument(
        "--paper",
        choices=PAPER_TABLES,
        help="show the paper's numbers of this table and judge each cell against them",
    )
    parser.add_argument(
        "--reference", metavar="CSV", help="judge each cell against the same cell of another study's CSV"
    )
    parser.add_argument(
        "--margin",
        type=float,
        default=DEFAULT_MARGIN,
        help="equivalence margin (accuracy points) of 'the same as the paper / the reference' (default 1.0)",
    )
    parser.add_argument(
        "--against",
        nargs="+",
        action="append",
        metavar="KEY=VALUE",
        default=[],
        help="compare every cell with the cell of its block and lr that has these "
        "values (default bn=base); repeat for more comparisons",
    )
    parser.add_argument(
        "--pairwise",
        nargs="*",
        metavar="KEY",
        help="compare every pair of cells of a block and lr; KEYs (e.g. input_norm) "
        "are compared across instead of making blocks",
    )
    parser.add_argument(
        "--alternative",
        choices=ALTERNATIVES,
        help="H1 of the tests: greater (cell > reference, the paper's; default) or two-sided",
    )
    parser.add_argument(
        "--preset",
        help="use this preset's default comparisons (default: the preset whose cells the CSV has, if any)",
    )
    parser.add_argument(
        "--equivalence",
        type=float,
        metavar="MARGIN",
        help="also test every comparison for equivalence within +-MARGIN accuracy points (paired TOST)",
    )
    parser.add_argument(
        "--power",
        action="store_true",
        help="show the minimum detectable difference (80%% power) and the power against the observed "
        "difference in the tables (stats.csv always has them)",
    )
    parser.add_argument("--no-plots", dest="plots", action="store_false", help="skip the PNG plots")
    parser.add_argument(
        "-o", "--out", metavar="DIR", help="output directory (default: the CSV path minus .csv)"
    )
    opts = parser.parse_args(args)
    options = ReportOptions(
        alpha=opts.alpha,
        holm=opts.holm,
        paper=opts.paper,
        fmt=opts.format,
        plots=opts.plots,
        against=tuple(parse_against(words) for words in opts.against),
        pairwise=None if opts.pairwise is None else tuple(opts.pairwise),
        alternative=opts.alternative,
        preset=opts.preset,
        equivalence=opts.equivalence,
        show_power=opts.power,
        metric=opts.metric,
        pair_by=opts.pair_by,
        cells=None if opts.cells is None else tuple(opts.cells),
        reference=opts.reference,
        margin=opts.margin,
    )
    paths = write_report(opts.csv[0] if len(opts.csv) == 1 else opts.csv, opts.out, options)
    shown = paths.latex if opts.format == "latex" else paths.markdown
    print(shown.read_text(), end="")
    report = paths.report
    if not report.layout.own and opts.plots:
        print("no plots: they are drawn over bninit's columns (gamma, lr)", file=sys.stderr)
    for note in paths.notes:
        print(note, file=sys.stderr)
    if report.preset:
        how = "given" if report.preset_source == "given" else "found from the CSV's cells"
        print(f"preset {report.preset} ({how})", file=sys.stderr)
    for rep in report.reproductions:
        print(summary(rep), file=sys.stderr)
    written = [
        p
        for p in (
            paths.markdown,
            paths.latex,
            paths.stats_csv,
            paths.reproduction,
            paths.claims,
            *paths.plots,
        )
        if p
    ]
    print(
        f"wrote {len(written)} files to {paths.out_dir}/: "
        + ", ".join(str(p.relative_to(paths.out_dir)) for p in written),
        file=sys.stderr,
    )
    return 0
