"""`bninit demo`: the offline study end to end on CPU: the `demo` preset (digits, ResNet-20, 15
seeds, BASE and the method at three gammas), collected to a CSV, then the significance report."""

import os
import time
from pathlib import Path

from bninit.errors import UserError

DEFAULT_OUT = "outputs"  # ignored by git: a demo leaves a clone clean
REFERENCE = Path("results/demo-reference/demo.csv")  # the committed reference study (repo root)

USAGE = """usage: bninit demo [-o DIR] [--jobs N] [KEY=VALUE ...]

Trains the `demo` preset (digits, resnet20, lr 0.1, 30 epochs; BASE and gamma 0.05 / 0.1 / 0.5 with
c 100; seeds 1..15: 60 runs) with N parallel workers (default: one per CPU core, joblib launcher),
collects the runs to DIR/demo.csv and writes the report (report.md, report.tex, stats.csv, plots/)
to DIR/demo/ (default DIR: outputs, which git ignores), then judges each cell against the
committed reference study (results/demo-reference/, when run with its settings from the repo
root). Interrupt it any time: the same command resumes.
KEY=VALUE pass to the sweep, e.g. seeds=5 epochs=10 runs_dir=/tmp/runs."""


def demo_main(args: list[str]) -> int:
    from bninit.cli.sweep import sweep_main
    from bninit.report.make import write_report
    from bninit.report.write.verdict_tables import against_reference_lines
    from bninit.sweep.outcome import last_outcome

    if "-h" in args or "--help" in args:
        print(USAGE)
        return 0
    out, jobs, overrides = _parse(args)
    csv_path = out / "demo.csv"
    start = time.perf_counter()
    launcher = ["hydra/launcher=joblib", f"hydra.launcher.n_jobs={jobs}"] if jobs > 1 else []
    # The sweep's collect callback writes the study's CSV where the report reads it.
    code = sweep_main(["demo", *launcher, f"hydra.callbacks.collect.csv={csv_path.resolve()}", *overrides])
    if code != 0:
        return code
    record = last_outcome()  # where the sweep's collect wrote the study's CSV
    csv_path = Path(record["csv"][0]) if record and record["csv"] else csv_path
    paths = write_report(csv_path, out / "demo")
    minutes = (time.perf_counter() - start) / 60
    print(paths.markdown.read_text())
    print(f"demo finished in {minutes:.1f} min ({jobs} worker(s)). Files:")
    for path in [csv_path, paths.markdown, paths.latex, paths.stats_csv, *paths.plots]:
        print(f"  {path}")
    print("Does it reproduce the reference?")
    for line in against_reference_lines(csv_path, REFERENCE):
        print(line)
    return 0


def _parse(args: list[str]) -> tuple[Path, int, list[str]]:
    out, jobs, rest, it = Path(DEFAULT_OUT), os.cpu_count() or 1, [], iter(args)
    for arg in it:
        if arg in ("-o", "--out", "--jobs"):
            value = next(it, None)
            if value is None:
                raise UserError(f"{arg} needs a value")
            if arg == "--jobs":
                if not value.isdigit() or int(value) < 1:
                    raise UserError(f"--jobs {value!r}: must be a whole number >= 1")
                jobs = int(value)
            else:
                out = Path(value)
        elif arg.startswith("-"):
            raise UserError(f"unknown option '{arg}'; known: -o DIR, --jobs N (see bninit demo --help)")
        else:
            rest.append(arg)
    return out, jobs, rest
