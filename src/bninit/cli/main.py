"""The `bninit` command: `bninit <subcommand> [hydra overrides]`.

The one place an error is printed: every UserError (or a Stop carrying one out of Hydra) becomes
`bninit <subcommand>: error: <message>` on stderr and the error's exit code."""

import importlib
import sys
from collections.abc import Callable

from bninit.errors import Stop, UserError

USAGE = """usage: bninit <subcommand> [KEY=VALUE ...]

subcommands:
  train     one training run (or a Hydra multirun with -m); `bninit train --help` lists every key
            e.g. bninit train dataset=digits arch=resnet20 gamma=0.05 c=100 lr=0.1 seed=3
            bninit train -m seed='range(1,16)' gamma=0.05,0.1 lr=0.1,0.01   (a Hydra multirun)
  sweep     a paper preset (every cell x seeds 1..15, each run once) through a Hydra launcher
            e.g. bninit sweep table1a --dry-run;  bninit sweep demo hydra/launcher=joblib
  collect   one CSV row per run dir: bninit collect runs/ -o results/table1a.csv
  status    done / running / failed / pending per cell, with an ETA: bninit status runs/
  report    significance tables (Markdown, LaTeX, CSV) and plots from a collected CSV
            bninit report CSV [--format markdown|latex|all] [--alpha 0.05] [--holm] [--paper 1a] [-o DIR]
            [--against KEY=VALUE ...] [--pairwise [KEY ...]] [--alternative greater|two-sided] [--preset NAME]
            [--equivalence MARGIN] [--power] [--margin POINTS] [--reference OTHER_CSV]
  plan      seeds (and runs, hours) a study needs to detect a difference D, from a pilot study's CSV
            bninit plan PILOT_CSV --effect D [--power 0.8] [--alpha 0.05] [--preset NAME]
  demo      the offline study end to end (digits, 15 seeds: sweep, collect, report): minutes on a CPU
  data      bninit data check [data_dir=PATH]: which datasets are ready, and where;
            bninit data prepare NAME [data_dir=PATH]: decode a dataset once into the tensor cache
  migrate   bninit migrate RUNS_DIR: move run dirs an earlier bninit named differently to today's names
  bench     the side-by-side speed benchmark of the training loop (bninit bench --help)
  gpu-check the one-command GPU measurement: speed, determinism, concurrency (bninit gpu-check --help)

Every run lands in runs_dir/<dataset>/<arch>/<method>-<hash>/seed=<n>/; re-running a finished run
skips it, re-running an interrupted one resumes it."""

HYDRA_INFO_FLAGS = (
    "--help",
    "-h",
    "--hydra-help",
    "--cfg",
    "-c",
    "--info",
    "-i",
    "--resolve",
    "--package",
    "-p",
    "--shell-completion",
    "-sc",
)


def fail(err: UserError, subcommand: str) -> None:
    """Print the error's one line and exit with its code."""
    print(f"bninit {subcommand}: error: {err}", file=sys.stderr)
    sys.exit(err.exit_code)


def train_main(args: list[str]) -> int:
    if "-m" in args or "--multirun" in args:
        from bninit.cli.sweep import multirun

        return multirun("train", [a for a in args if a not in ("-m", "--multirun")])
    if any(a in HYDRA_INFO_FLAGS or a.split("=")[0] in HYDRA_INFO_FLAGS for a in args):
        from bninit.sweep.task import show_hydra_info

        show_hydra_info("train", args)  # Hydra's own --help, --cfg job, ...
        return 0
    from bninit.cli.interrupt import interruptible
    from bninit.config.compose import compose_run_config
    from bninit.sweep.task import run_task

    cfg = compose_run_config(args)  # the config composed once

    def train() -> int:
        run_task(cfg)
        return 0

    return interruptible(train)


# Each subcommand's function, imported only when it runs (`bninit report` never imports torch).
SUBCOMMANDS = {
    "train": "bninit.cli.main:train_main",
    "sweep": "bninit.cli.sweep:sweep_main",
    "collect": "bninit.cli.sweep:collect_main",
    "status": "bninit.cli.sweep:status_main",
    "report": "bninit.cli.report:report_cli",
    "plan": "bninit.cli.plan_seeds:plan_cli",
    "demo": "bninit.cli.demo:demo_main",
    "data": "bninit.cli.data:data_main",
    "migrate": "bninit.cli.migrate:migrate_main",
    "bench": "bninit.bench.speed:main",
    "gpu-check": "bninit.bench.gpu.check:main",
}


def subcommand(name: str) -> Callable[[list[str]], int]:
    module, function = SUBCOMMANDS[name].split(":")
    return getattr(importlib.import_module(module), function)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 2
    name, args = argv[0], argv[1:]
    if name not in SUBCOMMANDS:
        print(f"bninit: error: unknown subcommand '{name}'; known: {', '.join(SUBCOMMANDS)}", file=sys.stderr)
        return 2
    try:
        return subcommand(name)(args)
    except UserError as err:
        fail(err, name)
    except Stop as stop:
        fail(stop.error, name)


if __name__ == "__main__":
    sys.exit(main())
