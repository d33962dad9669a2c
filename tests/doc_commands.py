"""Running the docs' command lines as a user would: through the installed `bninit` (and this
Python for `python`), in a sandbox folder that holds what the lines read, each line once per
test session (its result is shared by the tests that check it)."""

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from doc_blocks import REPO, Command, all_commands, block, inline_code
from study_fixture import make_study

BIN = Path(sys.executable).parent
# What the sandbox holds, as the docs name it: the repo's committed CSVs, `runs/`, a small
# finished study (tests/study_fixture.py: 6 cells x 3 seeds, hand-chosen numbers, no training),
# and `results.csv`, the any-tool CSV docs/report.md shows.
REPO_FILES = (
    "results/demo-reference/demo.csv",
    "results/demo-2026-11-30.csv",
    "docs/report/demo-pilot.csv",
    "docs/report/example-digits.csv",
)
# Absolute paths in the lines that would leave the sandbox: /tmp/X (report outputs) and /data
# (a data_dir) are taken inside it.
OUTSIDE = ("/tmp/", "/data")
ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}

_sandboxes: dict[Path, Path] = {}
_results: dict[tuple[Path, str], subprocess.CompletedProcess] = {}
timings: dict[str, float] = {}  # seconds each line took in the driver


def sandbox(tmp_path_factory) -> Path:
    """The session's sandbox folder (made once): the repo files above and the runs/ study."""
    base = tmp_path_factory.getbasetemp()
    if base not in _sandboxes:
        root = tmp_path_factory.mktemp("docs-sandbox")
        for name in REPO_FILES:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(REPO / name, root / name)
        make_study(root / "runs")
        (root / "results.csv").write_text(block("docs/report.md", "model,optimizer,run,top1").text)
        _sandboxes[base] = root
    return _sandboxes[base]


def not_run(cmd) -> str | None:
    """Why a doc's command line is not run by the suite; None: it runs. The first rule applies."""
    program, *args = cmd.argv
    sub = args[0] if args else ""
    if program.startswith("scripts/"):
        return "a script: builds .venv from PyPI first, then minutes of work"
    if program in ("pip", "apt-get", "tensorboard") or program.startswith(".venv/"):
        return "not bninit: installs packages, starts a server, or lints"
    if sub == "train" and {"dataset=cifar10", "dataset=cifar100"} & set(args):
        return "CIFAR is not here: the line would download it (170 MB) when online"
    if sub in ("train", "sweep", "demo") and not {"--help", "--dry-run"} & set(args) and not cmd.shown:
        return "trains: a run, a multirun, a sweep or the demo (minutes to days)"
    if sub in ("bench", "gpu-check"):
        return "a benchmark (minutes)"
    if sub == "data" and args[1:2] == ["prepare"]:
        return "decodes a whole dataset into its cache"
    outputs = {args[i + 1] for i, w in enumerate(args[:-1]) if w == "-o"}
    if any(w.endswith(".csv") and w not in outputs and w not in REPO_FILES for w in args):
        return "reads a study's CSV that the reader made (none is in the repo)"
    return None


def runnable() -> dict[str, object]:
    """The doc lines that run, one per distinct line (key -> the first Command with it)."""
    found = {}
    for cmd in all_commands():
        if not_run(cmd) is None:
            found.setdefault(cmd.key, cmd)
    return found


def prose_line(doc: str, start: str) -> Command:
    """A command the doc's prose names in a code span (e.g. "`bninit plan ...` printed:")."""
    return Command(None, tuple(shlex.split(inline_code(doc, start))), "")


# The commands the docs' prose names ("`bninit plan ...` printed:"), and the one behind the
# missing-dataset error that docs/models-and-data.md shows (data_dir=data: the sandbox has none).
PROSE = {
    "plan": ("docs/report.md", "bninit plan docs/report/demo-pilot.csv"),
    "any_csv": ("docs/report.md", "bninit report results.csv --metric top1"),
    "power": ("docs/report.md", "bninit report results/demo-2026-11-30.csv --equivalence 0.5"),
}
CUB_MISSING = Command(None, ("bninit", "train", "dataset=cub200"), "")


def all_lines() -> list[Command]:
    """Every line the docs' tests run: the doc lines that run and the commands of PROSE."""
    return [*runnable().values(), *(prose_line(*where) for where in PROSE.values()), CUB_MISSING]


def argv(cmd: Command, root: Path) -> list[str]:
    """The line's words with the OUTSIDE paths mapped into the sandbox."""
    words = []
    for word in cmd.argv:
        for outside in OUTSIDE:
            key, _, value = word.rpartition("=")
            if value.startswith(outside):
                word = f"{key}={root}{value}" if key else f"{root}{value}"
        words.append(word)
    return words


def installed(words: list[str]) -> list[str]:
    program = {"bninit": str(BIN / "bninit"), "python": sys.executable}[words[0]]
    return [program, *words[1:]]


def run_lines(cmds: list[Command], root: Path, timeout: float = 300) -> None:
    """Run the lines not yet run in `root`, all in one process (tests/doc_driver.py)."""
    todo = list({c.key: c for c in cmds if (root, c.key) not in _results}.values())
    if not todo:
        return
    done = subprocess.run(
        [sys.executable, str(REPO / "tests/doc_driver.py")],
        input=json.dumps([argv(c, root) for c in todo]),
        cwd=root,
        env={**os.environ, **ENV},
        text=True,
        capture_output=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr
    for cmd, (code, out, err, seconds) in zip(todo, json.loads(done.stdout), strict=True):
        _results[root, cmd.key] = subprocess.CompletedProcess(cmd.argv, code, out, err)
        timings[cmd.key] = seconds


def run_line(cmd: Command, root: Path) -> subprocess.CompletedProcess:
    """The line's result (run now, alone, unless run_lines ran it already)."""
    run_lines([cmd], root)
    return _results[root, cmd.key]


def run_installed(cmd: Command, root: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """The line run by the installed `bninit` command itself, as a user runs it."""
    env = {**os.environ, **ENV}
    return subprocess.run(
        installed(argv(cmd, root)), cwd=root, env=env, text=True, capture_output=True, timeout=timeout
    )
