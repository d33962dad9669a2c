"""Every subcommand reports bad input the same way: one line `bninit <subcommand>: error: ...` on
stderr, no traceback, exit 2; the line keeps the hint a user needs (the key they meant, the -m a
sweep needs). Errors raised inside Hydra (the sweeper plugin) reach the user the same way."""

import pytest

slow = pytest.mark.slow

# (arguments, what the one line says after the prefix); cases that import torch are slow here.
CASES = [
    pytest.param(
        ("train", "dataset.path=/data"),
        "unknown config key 'dataset.path': dataset takes one str (dataset=VALUE), not keys under it; "
        "did you mean folder_path=?",
        id="train-key-under-a-value",
    ),
    pytest.param(
        ("train", "bn=ours,base"),
        "Ambiguous value for argument 'bn=ours,base': to sweep over it, add -m (a multirun, one run per "
        "value); a list is key=[a,b], a string is quoted: key='a,b'",
        id="train-sweep-value-without-m",
    ),
    pytest.param(("sweep", "table9"), "unknown preset 'table9'; known: ablation, alt, demo", id="sweep"),
    pytest.param(
        ("sweep", "demo", "runs_dir=blocker/runs"),
        "runs_dir 'blocker/runs' is not writable: Not a directory",
        id="sweep-raised-by-the-sweeper",
        marks=slow,
    ),
    pytest.param(
        ("sweep", "demo", "runs_dir=blocker/runs", "--dry-run"),
        "runs_dir 'blocker/runs' is impossible: blocker is not a directory",
        id="sweep-dry-run",
        marks=slow,
    ),
    pytest.param(
        ("train", "-m", "runs_dir=blocker/runs"),
        "runs_dir 'blocker/runs' is not writable: Not a directory",
        id="train-m-raised-by-the-sweeper",
        marks=slow,
    ),
    pytest.param(("collect", "nope"), "runs dir 'nope' does not exist or is not a directory", id="collect"),
    pytest.param(("status", "runs", "extra"), "unexpected argument 'extra'", id="status"),
    pytest.param(("report", "missing.csv"), "missing.csv: no such file", id="report"),
    pytest.param(("plan", "missing.csv", "--effect", "1"), "missing.csv: no such file", id="plan"),
    pytest.param(("demo", "--jobs", "0"), "--jobs '0': must be a whole number >= 1", id="demo"),
    pytest.param(("data", "prepare", "nope"), "unknown dataset 'nope'; known: digits", id="data"),
    pytest.param(("migrate", "nope"), "runs_dir 'nope' is not a directory", id="migrate"),
    pytest.param(
        ("bench", "--archs", "resnet19"), "--archs: unknown arch 'resnet19'; known: ", id="bench", marks=slow
    ),
    pytest.param(("gpu-check", "--budget", "0"), "argument --budget: '0' is not allowed", id="gpu-check"),
]


@pytest.mark.parametrize(("args", "message"), CASES)
def test_bad_input_is_one_line_with_the_subcommands_prefix_and_exit_2(cli, tmp_path, args, message):
    (tmp_path / "blocker").write_text("a file where a directory is wanted\n")
    done = cli(*args)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"bninit {args[0]}: error: {message}")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "runs").exists() and not (tmp_path / "outputs").exists()  # nothing written
