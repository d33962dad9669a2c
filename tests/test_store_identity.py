"""A run's identity is a contract: every RunConfig field declares its role, values are canonical
before hashing, and the directory of every cell of every preset is pinned by its literal name."""

import dataclasses
import functools
import json

import pytest

from bninit.config import IDENTITY, OPTIONAL, PLACEMENT, ROLES, RunConfig, declare, field_roles
from bninit.config.compose import GROUPS, compose_run_config
from bninit.config.presets import expand_cells, load_preset, preset_names
from bninit.store import identity
from bninit.store.identity import IDENTITY_FILE, cell_name, run_dir
from bninit.sweep.jobs import job_overrides
from preset_identities import PRESET_CELLS


def test_every_field_declares_one_role():
    roles = field_roles(RunConfig)
    assert set(roles) == {f.name for f in dataclasses.fields(RunConfig)}
    assert set(roles.values()) == set(ROLES)


def test_a_field_without_a_role_is_an_error_naming_it():
    @dataclasses.dataclass(frozen=True)
    class Careless(RunConfig):
        logger_level: str = "info"  # a plain default: no role declared

    with pytest.raises(TypeError, match="logger_level declare no role"):
        field_roles(Careless)
    with pytest.raises(TypeError, match="role 'sometimes'"):
        declare(1, "sometimes")


@pytest.mark.parametrize("spelling", ["100", "100.0", "1e2", "1.0e+2"])
def test_int_float_and_exponent_spellings_are_one_run_from_the_cli_and_from_python(spelling):
    # The CLI's name for c 100 with every other key at its default, measured before the change.
    expected = "runs/digits/resnet20/ours-g0.1-c100-lr0.1-in_bn-7c8f8a2f/seed=1"
    assert str(run_dir(compose_run_config([f"c={spelling}"]))) == expected
    assert str(run_dir(RunConfig(c=float(spelling)))) == expected
    assert str(run_dir(RunConfig(c=100))) == expected
    assert RunConfig(c=100).c == 100.0 and isinstance(RunConfig(gamma=1).gamma, float)
    assert RunConfig(epochs=3).epochs == 3 and RunConfig(channels_last=True).channels_last is True


@functools.cache
def _composed(groups: tuple[str, ...]) -> RunConfig:
    return compose_run_config(list(groups))


def preset_cell_names(name: str) -> list[str]:
    """dataset/arch/cell of each cell of a preset: the groups composed by Hydra (once per group
    choice), the cell's other keys set on the result."""
    names = []
    for job in job_overrides(expand_cells(load_preset(name)["cells"]), None, [[]], name):
        pairs = [o.split("=", 1) for o in job]
        groups = tuple(f"{k}={v}" for k, v in pairs if k in GROUPS)
        types = {f.name: f.type for f in dataclasses.fields(RunConfig)}
        values = {k: v == "true" if types[k] is bool else types[k](v) for k, v in pairs if k not in GROUPS}
        cfg = dataclasses.replace(_composed(groups), **values)
        names.append("/".join(run_dir(cfg).parts[1:4]))
    return names


@pytest.mark.slow
@pytest.mark.parametrize("preset", sorted(PRESET_CELLS))
def test_every_cell_of_every_preset_keeps_its_directory_name(preset):
    """The literal names `bninit sweep PRESET --dry-run` printed before identities were versioned:
    a change here would train every finished run of a study again."""
    assert sorted(preset_cell_names(preset)) == sorted(PRESET_CELLS[preset])


def test_every_preset_is_pinned():
    assert sorted(PRESET_CELLS) == preset_names()


def _with_field(name: str, role: str, default):
    return dataclasses.make_dataclass(
        "Extended", [(name, type(default), declare(default, role))], bases=(RunConfig,), frozen=True
    )


def test_a_new_optional_field_keeps_the_directories_of_runs_made_without_it():
    Extended = _with_field("logger_level", OPTIONAL, "info")
    assert run_dir(Extended(gamma=0.05)) == run_dir(RunConfig(gamma=0.05))
    assert run_dir(Extended(gamma=0.05, logger_level="debug")) != run_dir(RunConfig(gamma=0.05))


def test_a_new_placement_field_never_changes_a_directory():
    Extended = _with_field("logger", PLACEMENT, "none")
    assert run_dir(Extended(logger="tensorboard")) == run_dir(RunConfig())


def test_a_new_identity_field_does_change_it():
    Extended = _with_field("label_smoothing", IDENTITY, 0.0)
    assert run_dir(Extended()) != run_dir(RunConfig())


def test_placement_and_seed_stay_out_of_the_cell_name():
    base = cell_name(RunConfig())
    assert cell_name(RunConfig(runs_dir="/x", data_dir="/y", device="cpu", num_workers=3, seed=9)) == base


def test_the_version_is_1_and_earlier_names_are_found(monkeypatch):
    assert identity.IDENTITY_VERSION == 1 and identity.former_dirs(RunConfig()) == []
    monkeypatch.setitem(identity.CELL_NAMES, 2, lambda cfg: f"v2-{identity.cell_name_v1(cfg)}")
    monkeypatch.setattr(identity, "IDENTITY_VERSION", 2)
    cfg = RunConfig(seed=4)
    assert run_dir(cfg).parent.name.startswith("v2-ours-g0.1")
    assert identity.former_dirs(cfg) == [run_dir(cfg, 1)]


def test_a_run_records_its_identity_version(make_cfg):
    from bninit.run.train import run

    cfg = make_cfg("epochs=1", "seed=2")
    run(cfg, echo=False)
    record = json.loads((run_dir(cfg) / IDENTITY_FILE).read_text())
    assert record == {"identity_version": 1, "cell": run_dir(cfg).parent.name, "identity": cfg.identity()}


def test_the_ablations_c100_cells_are_table1as_own_directories():
    """The ablation's c = 100 arms reuse a Table 1a study's runs instead of training them again."""
    from preset_identities import ABLATION_C100_CELLS

    assert len(ABLATION_C100_CELLS) == 18
    assert set(ABLATION_C100_CELLS) <= set(PRESET_CELLS["table1a"])
