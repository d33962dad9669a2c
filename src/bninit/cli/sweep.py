"""The sweep side of the command line: `train -m`, `sweep`, `collect`, `status`.

A multirun is Hydra's own (`@hydra.main` with -m, started by bninit.sweep.task.start_multirun): the
preset is named to the sweeper (`hydra.sweeper.preset=<name>`), which reads its cells and seeds
through bninit.config.presets, plans and launches. Afterwards the exit code says whether every run
of the sweep finished.
"""

import argparse
import sys
from pathlib import Path

from bninit.errors import RunError, UserError

SWEEP_USAGE = """usage: bninit sweep <preset> [--dry-run] [seeds=N] [epochs=N] [KEY=VALUE ...]

Runs every (cell, seed) of a paper preset once, through the Hydra launcher chosen with
hydra/launcher= (basic: one after the other; joblib; submitit_local; slurm). Finished runs
are skipped, interrupted ones resume. seeds=N runs seeds 1..N; KEY=VALUE overrides every run
(a key the preset varies, e.g. lr=0.1, keeps only that value). --dry-run lists the runs per cell.
At the end the sweep's runs are collected to runs_dir/<preset>.csv.

presets: {presets}

e.g. bninit sweep table1a --dry-run
     bninit sweep demo hydra/launcher=joblib hydra.launcher.n_jobs=2
     bninit sweep table2a hydra/launcher=slurm hydra.launcher.partition=gpu  # the slurm preset"""


def multirun(command: str, overrides: list[str], extra: list[str] = ()) -> int:
    """Run bninit's Hydra task as a Hydra multirun; RunError (exit 1) if any run of it failed."""
    from bninit.cli.interrupt import interruptible
    from bninit.sweep.outcome import forget_outcomes
    from bninit.sweep.task import start_multirun

    forget_outcomes()

    def sweep() -> int:
        start_multirun(command, overrides, list(extra))
        return _outcome(extra)

    # SIGTERM stops a sweep like Ctrl-C does (the submitting command, never a SLURM job's task)
    return interruptible(sweep, take_sigterm=True)


def _outcome(extra: list[str]) -> int:
    """0, or RunError (exit 1) from the outcome the sweep wrote into its own dir if it lost a run
    (failed, or left interrupted because not even its failure could be recorded)."""
    from bninit.sweep.outcome import last_outcome, lost

    record = last_outcome()
    if record is None or any(o.startswith("hydra.sweeper.dry_run=") for o in extra):
        return 0
    missing = lost(record)
    if missing:
        raise RunError(
            f"{len(missing)} of {len(record['planned'])} runs failed (their error.json says "
            "why, or their train.log when none could be written); run the same command again to retry them"
        )
    return 0


def sweep_main(args: list[str]) -> int:
    from bninit.config.presets import check_preset, preset_names

    if not args or "-h" in args or "--help" in args:
        print(SWEEP_USAGE.format(presets=", ".join(preset_names())))
        return 0 if args else 2
    preset, rest = args[0], args[1:]
    check_preset(preset)
    # The sweeper reads the preset's cells and seeds; its name is also the study's name, a hydra
    # override every job composes with, so their hydra.sweep.dir is the sweep's (runs_dir/.hydra/<preset>).
    extra = [f"hydra.sweeper.preset={preset}", f"hydra.sweeper.name={preset}"]
    if "--dry-run" in rest:
        extra.append("hydra.sweeper.dry_run=true")
    overrides = []
    for arg in rest:
        if arg == "--dry-run":
            continue
        if arg.startswith("-"):
            raise UserError(f"unknown option '{arg}'; known: --dry-run (see bninit sweep --help)")
        if arg.split("=", 1)[0] == "seeds":
            extra.append(f"hydra.sweeper.{arg}")
        else:
            overrides.append(arg)
    return multirun("sweep", overrides, extra)


def collect_main(args: list[str]) -> int:
    from bninit.store.collect import collect_dir, counts, write_csv

    parser = argparse.ArgumentParser(
        prog="bninit collect",
        description="One CSV row per run dir under RUNS_DIR (done, running, "
        "failed or interrupted), with its config, seed, accuracies, wall time and status.",
    )
    parser.add_argument("runs_dir", nargs="?", default="runs")
    parser.add_argument("-o", "--output", help="CSV file to write (default: print the CSV)")
    opts = _parse(parser, args, "collect")
    frame = collect_dir(Path(opts.runs_dir))
    if opts.output is None:
        frame.to_csv(sys.stdout, index=False)
        return 0
    write_csv(frame, Path(opts.output))
    found = ", ".join(f"{n} {s}" for s, n in counts(frame).items() if n)
    print(f"collected {len(frame)} runs ({found or 'none'}) -> {opts.output}")
    return 0


def status_main(args: list[str]) -> int:
    """`bninit status RUNS_DIR`: what is on disk; `bninit status <preset> [...]`: the preset's plan."""
    from bninit.config.presets import preset_names
    from bninit.store.collect import collect_dir
    from bninit.sweep.status import format_table, status_table

    if args and args[0] in ("-h", "--help"):
        print(
            "usage: bninit status [RUNS_DIR]       done / running / failed / pending per cell\n"
            "       bninit status <preset> [KEY=VALUE ...]   the same for a preset's runs "
            "(bninit sweep <preset> --dry-run)"
        )
        return 0
    target = args[0] if args else "runs"
    if not Path(target).is_dir() and target in preset_names():
        return sweep_main([target, "--dry-run", *args[1:]])
    if len(args) > 1:
        raise UserError(f"unexpected argument '{args[1]}'; usage: bninit status [RUNS_DIR]")
    frame = collect_dir(Path(target))
    if frame.empty:
        print(f"no runs under {target}")
        return 0
    print(format_table(status_table(frame)))
    return 0


def _parse(parser: argparse.ArgumentParser, args: list[str], name: str) -> argparse.Namespace:
    known, unknown = parser.parse_known_args(args)
    if unknown:
        raise UserError(f"unexpected argument '{unknown[0]}'; see bninit {name} --help")
    return known
