"""The package's layers: imports flow one way (cli/bench -> sweep/report -> run -> store -> config ->
method/models/data -> errors/seeds), with no cycle between modules, counting imports inside
functions too; below sweep/ only bninit.config.compose imports Hydra. Inside report/, its rooms
flow one way too (make/sample_size -> figures -> write -> judge -> inputs -> stats), and report/
never reaches the training or the sweep. A new module is checked by being in a layer's folder."""

import ast
import subprocess
import sys
from pathlib import Path

import bninit

PACKAGE = Path(bninit.__file__).parent
# Higher layers may import lower ones; a layer never imports one above it or beside it.
LAYERS = {
    "bninit.errors": 0,
    "bninit.seeds": 0,
    "bninit.atomic": 0,
    "bninit.method": 1,
    "bninit.models": 1,
    "bninit.data": 1,
    "bninit.config": 2,  # schema, presets and compose (the one edge below sweep/ that imports Hydra)
    "bninit.store": 3,
    "bninit.run": 4,
    "bninit.sweep": 5,
    "bninit.report": 5,
    "bninit.cli": 6,
    "bninit.bench": 6,  # `bninit bench`: beside the CLI, over run/ and sweep/
    "bninit.bench.gpu": 6,  # `bninit gpu-check`: over bench's loops and rows (see below)
}
SAME_LAYER_OK = {
    frozenset({"bninit.method", "bninit.models"}),  # models take the method's norm layers
    frozenset({"bninit.bench", "bninit.bench.gpu"}),  # gpu-check measures with bench's loops
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every bninit module `path` imports, anywhere in the file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("bninit.")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bninit"):
            if node.module == "bninit":
                found |= {f"bninit.{a.name}" for a in node.names}
            else:
                found.add(node.module)
    return found


def packages_imported(path: Path) -> set[str]:
    """The top-level package of every import in `path`, anywhere in the file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def layer_of(name: str) -> str:
    """The layer `name` is in: the longest one it is, or is inside of."""
    matches = [layer for layer in LAYERS if name == layer or name.startswith(layer + ".")]
    assert matches, f"{name} is in no layer: put it in one of {', '.join(LAYERS)}"
    return max(matches, key=len)


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py") if "conf" not in p.parts}
    modules.pop("bninit")  # the package root re-exports the public API; nothing imports through it
    return {name: {i for i in imports_of(path) if i in modules} for name, path in modules.items()}


def test_every_module_belongs_to_a_layer_and_imports_only_below_it():
    upward = []
    for name, imported in graph().items():
        mine = layer_of(name)
        for other in imported:
            theirs = layer_of(other)
            if theirs == mine or frozenset({mine, theirs}) in SAME_LAYER_OK:
                continue
            if LAYERS[theirs] >= LAYERS[mine]:
                upward.append(f"{name} imports {other}")
    assert not upward, "imports against the layers:\n" + "\n".join(sorted(upward))


def test_no_import_cycle_between_modules():
    edges, cycles = graph(), []

    def visit(name: str, path: list[str]) -> None:
        for other in sorted(edges[name]):
            if other in path:
                cycles.append(" -> ".join(path[path.index(other) :] + [other]))
            elif other not in done:
                visit(other, path + [other])
        done.add(name)

    done: set[str] = set()
    for name in sorted(edges):
        if name not in done:
            visit(name, [name])
    assert not cycles, "import cycles:\n" + "\n".join(sorted(set(cycles)))


HYDRA_PACKAGES = {"hydra", "omegaconf", "hydra_plugins"}
HYDRA_EDGE = "bninit.config.compose"  # composes a run's config: the one module below sweep/ with Hydra


def test_below_the_sweep_layer_only_the_composition_imports_hydra():
    """STYLE: Hydra at the edge. run/, store/, the schema and presets, method/models/data see a
    RunConfig, never a DictConfig; the sweep and CLI layers are Hydra's app and may use it."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        name = module_name(path)
        if (
            "conf" in path.parts
            or name in ("bninit", HYDRA_EDGE)
            or LAYERS[layer_of(name)] >= LAYERS["bninit.sweep"]
        ):
            continue
        found += [f"{name} imports {p}" for p in sorted(packages_imported(path) & HYDRA_PACKAGES)]
    assert not found, "Hydra below the sweep layer:\n" + "\n".join(found)


def test_the_config_package_imports_no_hydra_until_its_composition_is_asked_for():
    """`from bninit.config import RunConfig` (and the presets) load neither Hydra nor OmegaConf."""
    code = (
        "import sys; from bninit.config import RunConfig; from bninit.config.presets import preset_cells; "
        "preset_cells('demo'); print(sorted({m.split('.')[0] for m in sys.modules} & {'hydra', 'omegaconf'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# The one bench module that may start gpu-check's measurements: the worker process's entry point.
BENCH_INTO_GPU = {"bninit.bench.worker"}


def test_bench_is_a_thin_layer_that_gpu_check_builds_on_not_the_other_way():
    """bench/ holds the benchmark's loops, rows and workers; bench/gpu/ (gpu-check's steps,
    probes, budgets) is built over them. Nothing in bench/ but the worker's entry point imports
    bench/gpu/, so `bninit bench` never loads gpu-check's code."""
    found = [
        f"{name} imports {other}"
        for name, imported in graph().items()
        if layer_of(name) == "bninit.bench" and name not in BENCH_INTO_GPU
        for other in imported
        if layer_of(other) == "bninit.bench.gpu"
    ]
    assert not found, "bench/ importing bench/gpu/:\n" + "\n".join(sorted(found))


# Two modules of one name in different layers: known, each saying what it holds in its docstring.
SHARED_NAMES = {"study"}  # report.inputs.study reads a study's CSV; store.study loads its run dirs


def test_module_names_say_what_they_hold_and_are_not_repeated_across_layers():
    """A name like `plan` in sweep/, report/ and cli/ said nothing: sweep.jobs, report.sample_size
    and cli.plan_seeds say what each plans."""
    names: dict[str, list[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        if path.stem != "__init__":
            names.setdefault(path.stem, []).append(module_name(path))
    repeated = {name: sorted(mods) for name, mods in names.items() if len(mods) > 1}
    assert set(repeated) <= SHARED_NAMES, repeated


# report/'s rooms, in the order a report goes through them: a room may import its own modules and
# the rooms below it, never one above it or beside it (make and sample_size, the two commands, are
# the top and import nothing of each other).
REPORT_ROOMS = {
    "bninit.report.stats": 0,  # the statistics: pure functions of numbers
    "bninit.report.inputs": 1,  # what is read: the study's CSV and layout, the paper's data, the flags
    "bninit.report.judge": 2,  # the comparisons, their seed pairs and tests, the verdicts
    "bninit.report.write": 3,  # the tables and words of report.md / report.tex, stats.csv
    "bninit.report.figures": 4,  # the PNGs (and a CSV beside some), labelled with the writers' words
    "bninit.report.make": 5,  # `bninit report`, from top to bottom
    "bninit.report.sample_size": 5,  # `bninit plan`
}
# What report/ uses outside itself: never the training (run/, models/, data/, method/) nor sweep/.
REPORT_OUTSIDE = {"bninit.errors", "bninit.atomic", "bninit.config", "bninit.store"}


def room_of(name: str) -> str:
    matches = [room for room in REPORT_ROOMS if name == room or name.startswith(room + ".")]
    assert matches, f"{name} is in no room of report/: put it in one of {', '.join(REPORT_ROOMS)}"
    return matches[0]


def test_report_rooms_import_only_the_rooms_below_them_and_never_the_training():
    wrong = []
    for path in (PACKAGE / "report").rglob("*.py"):
        name = module_name(path)
        if name == "bninit.report":
            continue  # the package's lazy names (importlib, not imports): nothing imports through it
        mine = room_of(name)
        for other in imports_of(path):
            if other == "bninit.report" or not other.startswith("bninit.report."):
                if other == "bninit.report" or layer_of(other) not in REPORT_OUTSIDE:
                    wrong.append(f"{name} imports {other}")
            elif room_of(other) != mine and REPORT_ROOMS[room_of(other)] >= REPORT_ROOMS[mine]:
                wrong.append(f"{name} imports {other}")
    assert not wrong, "imports against report/'s rooms:\n" + "\n".join(sorted(wrong))


def test_report_rooms_are_small_with_names_that_differ_and_say_what_they_hold():
    """No folder of report/ holds more than 8 modules, no two names differ by a plural only, and
    every module's docstring starts by saying what it holds."""
    report = PACKAGE / "report"
    folders = {p.name for p in report.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert {f"bninit.report.{f}" for f in folders} <= set(REPORT_ROOMS), folders
    for folder in folders:
        assert len([p for p in (report / folder).glob("*.py") if p.stem != "__init__"]) <= 8, folder
    stems = [p.stem for p in report.rglob("*.py") if p.stem != "__init__"]
    singular = [stem.removesuffix("s") for stem in stems]
    assert len(set(singular)) == len(singular), sorted(stems)
    for path in report.rglob("*.py"):
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        assert len(doc.splitlines()[0] if doc else "") > 20, f"{path.relative_to(PACKAGE)}: no docstring"
