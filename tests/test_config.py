"""The configuration: RunConfig is the one place keys, types and defaults are written (Hydra uses
it as the schema), the conf/ groups agree with the registries, and launcher presets compose."""

import dataclasses
from importlib import resources

import pytest
from hydra import compose, initialize_config_module

from bninit.config import RunConfig
from bninit.config.compose import CONFIG_MODULE, compose_config, compose_run_config
from bninit.data import DATASETS
from bninit.errors import UserError
from bninit.method.norms import NORM_LAYERS
from bninit.models import ARCHS, FAMILIES
from bninit.sweep.placement import launcher_kind

REGISTRIES = {"dataset": DATASETS, "arch": {**ARCHS, **FAMILIES}, "bn": NORM_LAYERS}
NEEDS = {"folder": ["folder_path=images"]}  # a group entry's required keys


def group_files(group: str) -> set[str]:
    folder = resources.files("bninit.conf").joinpath(group)
    return {p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml")}


@pytest.mark.parametrize("group", sorted(REGISTRIES))
def test_every_conf_group_entry_is_in_its_registry_and_back(group):
    assert group_files(group) == set(REGISTRIES[group])


@pytest.mark.parametrize("group", sorted(REGISTRIES))
def test_each_group_file_selects_its_own_name(group):
    for name in sorted(group_files(group)):
        assert getattr(compose_run_config([f"{group}={name}", *NEEDS.get(name, [])]), group) == name


def test_defaults_come_from_runconfig_alone():
    """With the default groups (digits, resnet20, ours), the composed config is RunConfig()."""
    assert compose_run_config([]) == RunConfig()
    assert list(compose_config([])) == [f.name for f in dataclasses.fields(RunConfig)]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("epochs=2.5", "epochs=2.5 is not a valid int"),
        ("channels_last=maybe", "channels_last='maybe' is not a valid bool (true or false)"),
        ("lr=fast", "lr='fast' is not a valid float"),
    ],
)
def test_the_schema_checks_types_in_one_line(override, message):
    with pytest.raises(UserError) as err:
        compose_run_config([override])
    assert str(err.value) == message


def test_a_group_sets_keys_and_the_command_line_wins():
    cfg = compose_run_config(["dataset=cifar10", "bn=base", "epochs=3"])
    assert (cfg.dataset, cfg.augment, cfg.batch_size, cfg.epochs) == ("cifar10", "flip", 128, 3)
    assert (cfg.bn, cfg.gamma, cfg.c) == ("base", 1.0, 1.0)


@pytest.mark.parametrize(
    ("preset", "gpus", "kind", "n_jobs"),
    [
        ("cpu", 3, "joblib", -1),  # joblib's "every core"
        ("gpus", 3, "joblib", 6),  # 3 GPUs x runs_per_gpu 2
        ("gpus", 0, "joblib", 2),  # no GPU: one device (the CPU) x 2
    ],
)
def test_launcher_presets_compose_to_a_known_launcher(monkeypatch, preset, gpus, kind, n_jobs):
    """torch.cuda.device_count is faked: it stands for a machine with 3 GPUs, or with none."""
    import torch

    monkeypatch.setattr(torch.cuda, "device_count", lambda: gpus)
    with initialize_config_module(config_module=CONFIG_MODULE, version_base="1.3"):
        cfg = compose(
            "config", overrides=[f"hydra/launcher={preset}", "runs_per_gpu=2"], return_hydra_config=True
        )
    launcher = cfg.hydra.launcher
    assert launcher_kind(launcher._target_) == kind
    assert launcher.n_jobs == n_jobs


def test_the_slurm_preset_composes_to_submitit_slurm_with_its_keys(tmp_path):
    """No cluster needed: the preset composes onto submitit's own SlurmQueueConf (so every key of
    slurm.yaml is one submitit knows), user overrides land, and the job folder resolves under the
    study's bookkeeping dir in runs_dir."""
    from hydra.errors import ConfigCompositionException
    from omegaconf import OmegaConf

    with initialize_config_module(config_module=CONFIG_MODULE, version_base="1.3"):
        cfg = compose(
            "config",
            overrides=[
                "hydra/launcher=slurm",
                "hydra.launcher.partition=gpu",
                "hydra.launcher.timeout_min=90",
                f"runs_dir={tmp_path}",
            ],
            return_hydra_config=True,
        )
        with pytest.raises(ConfigCompositionException):  # a misspelled key is refused, not ignored
            compose("config", overrides=["hydra/launcher=slurm", "hydra.launcher.timeout_minutes=90"])
    launcher = cfg.hydra.launcher
    schema = OmegaConf.get_type(launcher)  # Hydra loads its plugins itself: compare by name
    assert (schema.__module__, schema.__name__) == (
        "hydra_plugins.hydra_submitit_launcher.config",
        "SlurmQueueConf",
    )
    assert launcher_kind(launcher._target_) == "submitit_slurm"
    assert (launcher.partition, launcher.timeout_min) == ("gpu", 90)
    # the documented defaults: requeue 20 times, SIGUSR2 2 min before the limit, 8 CPUs + 1 GPU
    assert (launcher.max_num_timeout, launcher.signal_delay_s) == (20, 120)
    assert (launcher.cpus_per_task, launcher.gpus_per_node, launcher.mem_gb) == (8, 1, 32)
    assert (
        OmegaConf.select(cfg, "hydra.launcher.submitit_folder") == f"{tmp_path}/.hydra/multirun/.submitit/%j"
    )
