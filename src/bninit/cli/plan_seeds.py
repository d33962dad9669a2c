"""`bninit plan PILOT_CSV --effect D`: the seeds (and runs, hours) a study needs, from a pilot."""

import argparse

from bninit.errors import UserError
from bninit.report.sample_size import plan_study, render_plan


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, like every other bad input
        raise UserError(message)


def plan_cli(args: list[str]) -> int:
    parser = _Parser(
        prog="bninit plan",
        description="How many seeds each comparison needs to detect a mean difference D, from a pilot study.",
    )
    parser.add_argument("csv", metavar="PILOT_CSV", help="a pilot study's CSV (e.g. 3-5 seeds per cell)")
    parser.add_argument(
        "--effect", type=float, required=True, metavar="D", help="mean difference to detect, accuracy points"
    )
    parser.add_argument("--power", type=float, default=0.8, help="target power (default 0.8)")
    parser.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    parser.add_argument(
        "--preset", help="count the runs of this preset's cells (default: the preset of the pilot's cells)"
    )
    opts = parser.parse_args(args)
    print(render_plan(plan_study(opts.csv, opts.effect, opts.power, opts.alpha, opts.preset)), end="")
    return 0
