"""`bninit report` and `bninit plan`: a study's CSV in, seed-paired significance tables, verdicts
and figures out. The rooms, in the order a report goes through them:

* `inputs/`: what is read: the study's CSV and its layout, the paper's published tables and
  claims (shipped as CSVs), the options (one per flag);
* `stats/`: the statistics, pure functions of numbers: the paired t-test, Holm and Wilcoxon
  (`paired`), power and sample size (`power`), Welch's test and TOST (`welch`);
* `judge/`: which comparisons a report makes and their seed pairs, the analysed study (`Report`),
  each cell's reproduction verdict and the paper's claims;
* `write/`: the neutral tables, the words, the Markdown and LaTeX writers, stats.csv;
* `figures/`: the per-block plots, the learning curves, the gamma x lr grid;
* `make`: `bninit report` from top to bottom (read, choose, test, judge, write);
  `sample_size`: `bninit plan`.

From Python: `bninit.report.write_report(csv, out_dir, options)` with `options` a
`bninit.report.ReportOptions`; `bninit.report.analyse(runs)` for the analysis alone.
"""

from typing import Any

# public name -> the module that defines it (imported when first used: `bninit plan` needs no plots)
_API = {
    "write_report": "bninit.report.make",
    "ReportPaths": "bninit.report.make",
    "ReportOptions": "bninit.report.inputs.options",
    "analyse": "bninit.report.judge.analysis",
    "Report": "bninit.report.judge.analysis",
    "render_markdown": "bninit.report.write.markdown",
    "render_latex": "bninit.report.write.latex",
    "plan_study": "bninit.report.sample_size",
}
__all__ = list(_API)


def __getattr__(name: str) -> Any:
    if name in _API:
        import importlib

        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'bninit.report' has no attribute {name!r}")
