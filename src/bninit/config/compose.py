"""Hydra at the edge: compose the config tree in conf/ with command-line overrides and turn it
into a validated RunConfig, translating Hydra's errors into one-line UserErrors. The one module of
bninit.config that imports Hydra; `compose_run_config` is the one route a single run's config
takes (`bninit train`, `bninit data`, the cells sweeper's cells, the tests).

RunConfig is registered as the schema `run_config` (conf/config.yaml's first default), so
OmegaConf checks every key's type and refuses unknown keys while composing: defaults and types
are written once, in the dataclass.
"""

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager

from hydra import compose, initialize_config_module
from hydra.core.config_store import ConfigStore
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException, ValidationError

from bninit.config.schema import RunConfig, from_composed
from bninit.errors import UserError, first_line

CONFIG_MODULE = "bninit.conf"
SCHEMA = "run_config"
GROUPS = ("dataset", "arch", "bn")
KEY_TYPES = {f.name: f.type for f in dataclasses.fields(RunConfig)}


def register_schema() -> None:
    """RunConfig as Hydra's structured config `run_config` (writable: the groups merge into it)."""
    schema = OmegaConf.structured(RunConfig)
    OmegaConf.set_readonly(schema, False)
    ConfigStore.instance().store(name=SCHEMA, node=schema)


def gpu_workers(runs_per_gpu: int = 1) -> int:
    """`${bninit_gpu_workers:k}` (the `gpus` launcher preset): every visible GPU's k slots."""
    import torch

    return max(1, torch.cuda.device_count()) * int(runs_per_gpu)


register_schema()
OmegaConf.register_new_resolver("bninit_gpu_workers", gpu_workers, replace=True)


def expand_shorthands(overrides: list[str]) -> list[str]:
    """`arch=timm:NAME`, the one-key spelling of a timm model, as the group entry and its key
    (`arch=timm timm_model=NAME`): Hydra reads `arch=` as a config group option."""
    expanded = []
    for override in overrides:
        key, _, value = override.partition("=")
        if key == "arch" and value.startswith("timm:") and "," not in value:
            expanded += ["arch=timm", f"timm_model={value.removeprefix('timm:')}"]
        else:
            expanded.append(override)
    return expanded


def check_overrides(overrides: list[str]) -> None:
    """Reject bad override syntax, unknown keys and unknown group options, in one line each,
    without composing anything. Sweep values (a,b / range(...)) are checked element by element.
    """
    try:
        parsed = OverridesParser.create().parse_overrides(overrides)
    except HydraException as err:
        raise UserError(first_line(err)) from None
    with _initialized():
        loader = GlobalHydra.instance().config_loader()
        for override in parsed:
            key = override.key_or_group
            if key.startswith("hydra") or override.package or override.is_add():
                continue
            if key in GROUPS:
                known = loader.get_group_options(key)
                for value in _values(override):
                    if value not in known:
                        raise UserError(f"unknown {key} '{value}'; known: {', '.join(known)}")
            elif key.split(".")[0] not in KEY_TYPES:
                raise UserError(f"unknown config key '{key}'; known keys: {', '.join(KEY_TYPES)}")
            elif "." in key:
                raise UserError(not_a_group(key))


def not_a_group(key: str) -> str:
    """The line for `dataset.path=...`: every config key holds one value, none has keys under it;
    a key named like the part after the dot (folder_path for dataset.path) is suggested."""
    head, _, rest = key.partition(".")
    near = [k for k in KEY_TYPES if rest in k.split("_")[1:]]
    kind = KEY_TYPES[head].__name__
    line = f"unknown config key '{key}': {head} takes one {kind} ({head}=VALUE), not keys under it"
    return line + (f"; did you mean {' or '.join(f'{k}=' for k in near)}?" if near else "")


def one_value_each(overrides: list[str]) -> None:
    """A single run takes one value per key: a sweep value (a,b / range(...)) names the -m it needs
    (Hydra's advice), in one line."""
    for override in OverridesParser.create().parse_overrides(overrides):
        if override.is_sweep_override():
            raise UserError(
                f"Ambiguous value for argument '{override.input_line}': to sweep over it, add -m "
                "(a multirun, one run per value); a list is key=[a,b], a string is quoted: key='a,b'"
            )


def compose_config(overrides: list[str]) -> DictConfig:
    """The composed config (no sweep values) for `overrides`."""
    overrides = expand_shorthands(overrides)
    check_overrides(overrides)
    one_value_each(overrides)
    with _initialized():
        try:
            return compose(config_name="config", overrides=overrides)
        except (HydraException, OmegaConfBaseException) as err:
            raise UserError(describe(err)) from None


def describe(err: Exception) -> str:
    """One line for a composition error: a value of the wrong type names the key and the type."""
    cause = err if isinstance(err, ValidationError) else err.__cause__
    if isinstance(cause, ValidationError) and cause.full_key in KEY_TYPES:
        kind = KEY_TYPES[cause.full_key]
        allowed = " (true or false)" if kind is bool else ""
        return f"{cause.full_key}={cause.value!r} is not a valid {kind.__name__}{allowed}"
    return first_line(err)


def to_run_config(cfg: DictConfig) -> RunConfig:
    """Hydra's composed config (the task part) -> the frozen, validated RunConfig."""
    try:
        values = OmegaConf.to_container(cfg, resolve=True)
    except OmegaConfBaseException as err:
        raise UserError(describe(err)) from None
    values.pop("hydra", None)
    return from_composed(values)


def compose_run_config(overrides: list[str]) -> RunConfig:
    """The validated RunConfig of one run for `overrides`: the one route a single run's config
    takes into Hydra (inside a running Hydra app, e.g. the cells sweeper, the app's own)."""
    return to_run_config(compose_config(overrides))


def _values(override) -> list[str]:
    if override.is_sweep_override():
        return [str(v) for v in override.sweep_iterator()]
    return [str(override.value())]


@contextmanager
def _initialized() -> Iterator[None]:
    """Hydra initialized on bninit's config module: the running app's (inside @hydra.main, where
    the sweeper composes its cells), else a fresh one, cleared again on the way out."""
    if GlobalHydra.instance().is_initialized():
        yield
        return
    with initialize_config_module(config_module=CONFIG_MODULE, version_base="1.3"):
        yield
