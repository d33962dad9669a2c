"""The installed `bninit` command, run like a user runs it."""

import json
import os
import subprocess

import pytest

from bninit.config.compose import compose_run_config
from bninit.run.train import run
from bninit.store.rundir import load_checkpoint, run_dir
from checkpoints import kill_after_a_new_checkpoint, measured
from conftest import ONE_THREAD

ALL_SUBCOMMANDS = ["train", "sweep", "collect", "status", "report", "plan", "demo", "data", "migrate"]
ALL_SUBCOMMANDS += ["bench", "gpu-check"]  # what the README and docs tell users to run


def test_top_level_help_lists_the_subcommands(cli_process):
    """The console script itself (its exit codes come from sys.exit(main())), end to end."""
    done = cli_process("--help")
    assert done.returncode == 0 and done.stdout.startswith("usage: bninit <subcommand>")
    block = done.stdout.split("subcommands:\n", 1)[1].split("\n\n", 1)[0]
    listed = [line.split()[0] for line in block.splitlines() if line[:3].strip() and line.startswith("  ")]
    assert listed == ALL_SUBCOMMANDS  # each once, in this order, with its own line
    bare = cli_process()  # no subcommand: the same usage, but exit 2
    assert bare.returncode == 2 and bare.stdout == done.stdout
    unknown = cli_process("trian")
    assert unknown.returncode == 2 and unknown.stderr == (
        f"bninit: error: unknown subcommand 'trian'; known: {', '.join(ALL_SUBCOMMANDS)}\n"
    )


def test_train_help_lists_groups_and_keys_with_defaults(cli):
    done = cli("train", "--help")
    assert done.returncode == 0
    for text in (
        "dataset: cifar10, cifar100, cub200, digits, folder, stanford_cars",
        "lr: 0.1",
        "seed: 1",
        "input_norm: bn",
        "runs_dir: runs",
    ):
        assert text in done.stdout
    bn_line = next(line for line in done.stdout.splitlines() if line.startswith("bn: "))
    assert {"base", "ours", "a1", "rbn"} <= set(bn_line[4:].split(", "))


@pytest.mark.parametrize(
    "override, message",
    [
        ("gamma=0", "gamma=0.0 is not allowed: must be > 0"),
        ("gamma=-0.5", "gamma=-0.5 is not allowed"),
        ("c=0.5", "c=0.5 is not allowed: must be >= 1"),
        ("lr=0", "lr=0.0 is not allowed: must be > 0"),
        ("epochs=0", "epochs=0 is not allowed: must be >= 1"),
        (
            "dataset=mnist",
            "unknown dataset 'mnist'; known: cifar10, cifar100, cub200, digits, folder, stanford_cars",
        ),
        ("arch=vgg", "unknown arch 'vgg'; known: "),
        ("bn=group", "unknown bn 'group'; known: "),
        ("learning_rate=0.1", "unknown config key 'learning_rate'; known keys: "),
        ("gamma=abc", "gamma='abc' is not a valid float"),
        ("input_norm=zscore", "input_norm='zscore' is not allowed: allowed: bn, fixed, offline"),
        ("device=tpu", "device='tpu' is not allowed"),
        ("linear_init=xavier", "linear_init='xavier' is not allowed: allowed: paper, torch_default"),
        ("augment=cutout", "augment='cutout' is not allowed: allowed: none, flip, crop_flip"),
        ("dataset=cifar10", "dataset 'cifar10' is missing: put the official cifar-10-python.tar.gz"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_leaves_no_run_dir(cli, tmp_path, override, message):
    done = cli("train", override, "runs_dir=runs", f"data_dir={tmp_path / 'nodata'}")
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert message in done.stderr and done.stderr.startswith("bninit train: error: ")
    assert not (tmp_path / "runs").exists()


def test_train_runs_then_skips_when_finished(cli, tmp_path):
    first = cli("train", "epochs=2", "seed=3", "bn=base")
    assert first.returncode == 0, first.stderr
    assert "epoch   2/2" in first.stdout and "done: test acc" in first.stdout
    results = list((tmp_path / "runs" / "digits" / "resnet20").glob("base-g1-c1-*/seed=3/result.json"))
    assert len(results) == 1 and json.loads(results[0].read_text())["config"]["gamma"] == 1.0
    second = cli("train", "epochs=2", "seed=3", "bn=base")
    assert second.returncode == 0 and "already done" in second.stdout and "epoch" not in second.stdout
    assert not list(tmp_path.glob("outputs")) and not list(tmp_path.glob(".hydra"))


@pytest.mark.slow
def test_killed_run_resumes_to_the_uninterrupted_result(bninit_command, tmp_path):
    """SIGKILL leaves the last checkpoint and the lock of a dead process; the same command takes
    the lock over and resumes. The run is 1000 epochs, so neither command can finish before it is
    killed; the resumed run is compared with the uninterrupted one stopped after the same epoch."""
    overrides = ["epochs=1000", "seed=2", f"runs_dir={tmp_path / 'runs'}"]
    out = run_dir(compose_run_config(overrides))

    def killed_train() -> None:  # the same one-thread environment as in-process: the same float sums
        proc = subprocess.Popen(
            [bninit_command, "train", *overrides],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, **ONE_THREAD},
            start_new_session=True,
        )
        kill_after_a_new_checkpoint(proc, out)

    killed_train()
    assert (out / "run.lock").exists() and not (out / "result.json").exists()
    first = load_checkpoint(out)["epoch"]
    killed_train()
    assert f"resuming {out} after epoch {first}/1000" in (out / "train.log").read_text()
    resumed = measured(out)
    clean = compose_run_config([*overrides, f"runs_dir={tmp_path / 'clean'}"])
    run(clean, stop_after_epoch=resumed["epoch"], echo=False)
    assert resumed == measured(run_dir(clean))


@pytest.mark.parametrize(
    "seeds, message",
    [("1,x", "seed='x' is not a valid int"), ("1,-1", "seed=-1 is not allowed: must be >= 0")],
)
def test_a_bad_value_in_a_multirun_stops_it_before_any_run(cli, tmp_path, seeds, message):
    done = cli("train", "-m", f"seed={seeds}", "epochs=1")
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "runs" / "digits").exists()


def test_every_subcommand_names_a_function_that_exists():
    from bninit.cli.main import SUBCOMMANDS, subcommand

    assert all(callable(subcommand(name)) for name in SUBCOMMANDS)
