"""The code blocks of README.md and docs/*.md are the suite's code: every block is found and
accounted for, the Python blocks run as written, the cheap command lines run through the
installed `bninit` (in a sandbox holding what they read), and the expensive ones are skipped by
the rules of `not_run`, whose list of skipped lines is pinned (a new expensive line in a doc is a
conscious choice)."""

import dataclasses
import re
import statistics

import pandas as pd
import pytest

from bninit.config import RunConfig
from doc_blocks import all_blocks, all_commands, block, commands
from doc_commands import all_lines, not_run, run_line, run_lines, runnable, sandbox
from study_fixture import ACCS, VAL

# The Python blocks, by doc and first line, and the test that runs each.
PYTHON_BLOCKS = {
    ("README.md", "import timm, torch"): "tests/test_api.py: the loop against `bninit train`",
    ("docs/report.md", "import bninit"): "here: load_study on a study with hand-chosen numbers",
}
# The blocks that are neither Python nor commands, by doc and first line: outputs the docs show
# (compared with what the commands print, tests/test_docs_outputs.py) and layouts.
TEXT_BLOCKS = {
    ("README.md", "src/bninit/"): "the package's layout (tests/test_layers.py checks the imports)",
    ("docs/models-and-data.md", "data/"): "a layout: where the dataset files go",
    ("docs/models-and-data.md", "bninit train: error: dataset 'cub200'"): "output",
    ("docs/report.md", "model,optimizer,run,top1"): "the input of the next output",
    ("docs/report.md", "# bninit report"): "output",
    ("docs/report.md", "no learning curves:"): "output",
    ("docs/report.md", "bninit train: error: logger=tensorboard"): "output",
    ("docs/report.md", "Could this study have seen"): "output",
    ("docs/report.md", "Seeds needed to detect"): "output",
}


SKIPPED = {
    "a script: builds .venv from PyPI first, then minutes of work": [
        "scripts/demo.sh",
        "scripts/test.sh",
        "scripts/test.sh -m not slow and not slurm",
        "scripts/test_oldest_torch.sh",
        "scripts/bench.sh",
        "scripts/gpu_check.sh",
        "scripts/gpu_bundle.sh gpu-bundle",
        "scripts/slurm_local.sh start",
        "scripts/slurm_local.sh stop",
        "scripts/chaos.sh --seeds 4 --epochs 10 --kills 4 gamma=0.5",
    ],
    "not bninit: installs packages, starts a server, or lints": [
        "tensorboard --logdir runs/",
        ".venv/bin/ruff check && .venv/bin/ruff format --check",
        "pip install bninit[tensorboard]",
        "apt-get install -y slurm-wlm munge",
    ],
    "CIFAR is not here: the line would download it (170 MB) when online": [
        "bninit train dataset=cifar10 gamma=0.1",
        "bninit train dataset=cifar100 arch=resnet34 gamma=0.05",
        "bninit train dataset=cifar10",
    ],
    "trains: a run, a multirun, a sweep or the demo (minutes to days)": [
        "bninit train -m seed=range(1,16) gamma=0.05,0.1",
        "bninit sweep table1a",
        "bninit demo",
        "bninit train",
        "bninit train dataset=digits arch=resnet20 gamma=0.05 c=100 lr=0.1 seed=3 epochs=30",
        "bninit train bn=base seed=3",
        "bninit train arch=resnet18 bn=ours",
        "bninit sweep table1a seeds=3 epochs=2",
        "bninit sweep table1a hydra/launcher=cpu",
        "bninit sweep table1a hydra/launcher=gpus",
        "bninit sweep table1a hydra/launcher=slurm hydra.launcher.partition=gpu",
        "bninit train -m seed=range(1,16) logger=tensorboard",
        "bninit train arch=timm:resnet50d",
        "bninit train dataset=folder folder_path=/data/pets folder_image_size=64 augment=crop_flip",
        "bninit train -m dataset=folder folder_path=/data/pets arch=timm:resnet10t bn=ours,base "
        "seed=range(1,16)",
        "bninit train arch=resnet20 bn=rbn",
        "bninit train dataset=cub200 data_dir=/data",
        "bninit train arch=timm:resnet50d bn=ours gamma=0.1",
        "bninit train arch=timm timm_model=resnet50d bn=ours gamma=0.1",
        "bninit train arch=timm timm_model=regnety_008 bn=a2",
        "bninit train dataset=folder folder_path=/data/pets",
        "bninit train dataset=folder folder_path=/data/pets folder_image_size=64 folder_stored_size=72 "
        "augment=crop_flip",
        "bninit train dataset=folder folder_path=/data/digits augment=none",
        "bninit sweep table1a logger=tensorboard",
        "bninit train -m seed=range(1,16) gamma=0.05,0.1 lr=0.1,0.01",
        "bninit sweep demo hydra/launcher=cpu",
        "bninit sweep table1a lr=0.1",
        "bninit sweep table1a lr=0.1,0.01 gamma=0.1",
        "bninit sweep table1a arch=resnet20 dataset=digits",
        "bninit sweep table2a hydra/launcher=gpus",
        "bninit sweep table2a hydra/launcher=gpus runs_per_gpu=2",
        "bninit sweep table2a hydra/launcher=joblib hydra.launcher.n_jobs=4",
        "bninit sweep table1a hydra/launcher=slurm hydra.launcher.partition=gpu "
        "hydra.launcher.timeout_min=240 hydra.launcher.cpus_per_task=4 hydra.launcher.account=mylab",
        "bninit sweep demo seeds=2 epochs=3 hydra/launcher=slurm_local",
    ],
    "a benchmark (minutes)": [
        "bninit bench",
        "bninit bench accuracy --with-bf16",
        "bninit gpu-check",
    ],
    "decodes a whole dataset into its cache": [
        "bninit data prepare cifar10 data_dir=/data",
        "bninit data prepare cub200 stanford_cars data_dir=/data",
    ],
    "reads a study's CSV that the reader made (none is in the repo)": [
        "bninit report results/table1a.csv --paper 1a",
        "bninit plan results/pilot.csv --effect 0.5",
        "bninit report results/table1a.csv",
        "bninit report results/table1a.csv --paper 1a --holm",
        "bninit report outputs/demo.csv --reference results/demo-reference/demo.csv",
        "bninit report results/alt.csv --against bn=a1",
        "bninit report results/input_norm.csv --pairwise input_norm --alternative two-sided",
        "bninit report results/demo.csv --equivalence 0.5 --power",
        "bninit report runs/demo.csv",
        "bninit report results/table1a.csv --format latex --alpha 0.05 --holm -o results/table1a/",
        "bninit report results/t1a.csv --paper 1a --margin 0.5",
        "bninit report results/table2a.csv results/table1a.csv",
        "bninit report results/alt.csv --against bn=a1 --against bn=base",
    ],
}


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return sandbox(tmp_path_factory)


@pytest.fixture(scope="module")
def ran(root):
    """Every line the docs' tests run, run once, together (tests/doc_driver.py)."""
    run_lines(all_lines(), root)
    return root


def test_every_code_block_of_the_docs_is_run_compared_or_named():
    for b in all_blocks():
        named = PYTHON_BLOCKS if b.kind == "python" else TEXT_BLOCKS if b.kind == "text" else None
        if named is not None:
            claimed = [key for key in named if key[0] == b.doc and b.first.startswith(key[1])]
            assert claimed, f"{b.doc}:{b.line}: a {b.kind} block no test knows: {b.first!r}"
        else:
            assert commands(b), f"{b.doc}:{b.line}: a shell block without a command line"


@pytest.mark.parametrize("doc, first", [*PYTHON_BLOCKS, *TEXT_BLOCKS])
def test_each_block_the_tests_check_is_still_in_its_doc(doc, first):
    block(doc, first)  # fails unless exactly one block of `doc` starts with `first`


def test_the_lines_left_unrun_are_the_expected_ones_for_the_stated_reasons():
    skipped: dict[str, list[str]] = {}
    for cmd in all_commands():
        reason = not_run(cmd)
        if reason is not None and cmd.key not in skipped.get(reason, []):
            skipped.setdefault(reason, []).append(cmd.key)
    assert {r: sorted(keys) for r, keys in skipped.items()} == {r: sorted(k) for r, k in SKIPPED.items()}


def check_help(out, root):  # "every key with its default": a `key: default` line per key
    listed = {line.split(":")[0] for line in out.splitlines() if ": " in line}
    assert {f.name for f in dataclasses.fields(RunConfig)} <= listed


def check_dry_run(out, root):  # the README's comment: "360 runs in 24 cells, how many are done"
    comment = next(c.comment for c in all_commands() if c.key == "bninit sweep table1a --dry-run")
    runs = re.match(r"(\d+) runs in (\d+) cells", comment)
    assert runs, f"the comment no longer says how many runs: {comment!r}"
    assert f"table1a: {runs[0]}; 0 done, 0 running, 0 failed, {runs[1]} pending" in out


def check_status_preset(out, root):  # sweeps.md: "(= sweep table1a --dry-run)"
    assert out == run_line(runnable()["bninit sweep table1a --dry-run"], root).stdout


def check_status_runs(out, root):  # runs/: 6 cells x 3 seeds, all done
    rows = [line.split() for line in out.splitlines() if "digits" in line]
    assert len(rows) == len(ACCS) and all("3" in row for row in rows)
    for word in ("done", "running", "failed", "pending", "damaged"):
        assert word in out.splitlines()[0]


def check_collect(out, root):  # one CSV row per run dir
    frame = pd.read_csv(root / "results/table1a.csv")
    assert len(frame) == sum(len(accs) for accs in ACCS.values()) and set(frame["status"]) == {"done"}
    assert sorted(frame["test_acc_at_best_val"]) == sorted(a for accs in ACCS.values() for a in accs)


def check_data_check(out, root):  # which datasets are ready, and where
    assert out.splitlines()[0] == f"data_dir: {root / 'data'}"
    for name in ("digits", "cifar10", "cifar100", "cub200", "stanford_cars"):
        assert name in out


def check_data_check_elsewhere(out, root):
    assert out.splitlines()[0] == f"data_dir: {root / 'data'}"  # /data is taken in the sandbox


def check_migrate(out, root):  # runs named by today's identity: nothing to move
    assert out.strip().endswith("0 run dirs moved to identity version 1, 0 left")


def check_load_study_head(out, root):  # epochs.head(): the first 5 epochs rows
    assert len(out.strip().splitlines()) >= 6 and "val_acc" in out


def check_timm_names(out, root):  # the names the docs use are timm's
    assert "'resnet50d'" in out and "'resnet10t'" in out and "'resnet18'" in out


def check_report_files(out, root):  # Markdown on stdout, the files beside it
    assert out.startswith("# bninit report")


CHECKS = {
    "bninit train --help": check_help,
    "bninit sweep table1a --dry-run": check_dry_run,
    "bninit status table1a": check_status_preset,
    "bninit status runs/": check_status_runs,
    "bninit collect runs/ -o results/table1a.csv": check_collect,
    "bninit data check": check_data_check,
    "bninit data check data_dir=/data": check_data_check_elsewhere,
    "bninit migrate runs/": check_migrate,
    "python -c import bninit; runs, epochs = bninit.load_study('runs/'); print(epochs.head())": (
        check_load_study_head
    ),
    "python -c import timm; print(timm.list_models('resnet*'))": check_timm_names,
    # what these print is compared with the docs in tests/test_docs_outputs.py
    "bninit report docs/report/example-digits.csv -o /tmp/example": check_report_files,
    "bninit report results/demo-reference/demo.csv -o /tmp/demo": check_report_files,
    "bninit report results/demo-reference/demo.csv --equivalence 0.5 --power": check_report_files,
    "bninit plan docs/report/demo-pilot.csv --effect 0.5": lambda out, root: None,
}
PROMPTS = {key for key, cmd in runnable().items() if cmd.shown}  # tests/test_docs_outputs.py


def test_every_line_that_runs_has_a_check():
    assert set(runnable()) - PROMPTS == set(CHECKS)


@pytest.mark.slow
@pytest.mark.parametrize("key", sorted(CHECKS))
def test_a_docs_line_runs_and_does_what_its_doc_says(key, ran):
    result = run_line(runnable()[key], ran)
    assert result.returncode == 0, result.stderr
    CHECKS[key](result.stdout, ran)


def test_the_load_study_example_prints_each_cells_mean_std_and_count(root, monkeypatch, capsys):
    monkeypatch.chdir(root)
    code = block("docs/report.md", "import bninit")
    namespace = {}
    exec(compile(code.text, f"docs/report.md:{code.line}", "exec"), namespace)
    out = capsys.readouterr().out
    for accs in ACCS.values():  # pandas prints 6 decimals
        assert f"{statistics.mean(accs):.6f}" in out and f"{statistics.stdev(accs):.6f}" in out
    curve = namespace["curve"]  # mean val accuracy per epoch of the hand-worked cell
    expected = [statistics.mean(VAL[seed][e] for seed in VAL) for e in range(3)]
    assert list(curve.loc[("ours", 0.1, 0.1)]) == pytest.approx(expected)
