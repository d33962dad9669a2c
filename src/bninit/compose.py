"""Hydra at the edge: compose the config tree in conf/ with command-line overrides and turn it
into a validated RunConfig, translating Hydra's errors into one-line UserErrors."""

from hydra import compose, initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from bninit.config import RunConfig, from_composed
from bninit.errors import UserError, first_line

CONFIG_MODULE = "bninit.conf"
GROUPS = ("dataset", "arch", "bn")


def check_overrides(overrides: list[str]) -> None:
    """Reject bad override syntax, unknown keys and unknown group options, in one line each.

    Sweep values (a,b / range(...)) are checked element by element.
    """
    try:
        parsed = OverridesParser.create().parse_overrides(overrides)
    except HydraException as err:
        raise UserError(first_line(err)) from None
    with _initialized():
        loader = GlobalHydra.instance().config_loader()
        defaults = compose(config_name="config")
        for override in parsed:
            key = override.key_or_group
            if key.startswith("hydra") or override.package or override.is_add():
                continue
            if key in GROUPS:
                known = loader.get_group_options(key)
                for value in _values(override):
                    if value not in known:
                        raise UserError(f"unknown {key} '{value}'; known: {', '.join(known)}")
            elif key.split(".")[0] not in defaults:
                raise UserError(f"unknown config key '{key}'; known keys: "
                                f"{', '.join(k for k in defaults if k not in GROUPS)}, "
                                f"{', '.join(GROUPS)}")


def compose_config(overrides: list[str]) -> DictConfig:
    """The composed config (no sweep values) for `overrides`."""
    check_overrides(overrides)
    with _initialized():
        try:
            return compose(config_name="config", overrides=overrides)
        except (HydraException, OmegaConfBaseException) as err:
            raise UserError(first_line(err)) from None


def to_run_config(cfg: DictConfig) -> RunConfig:
    """Hydra's composed config (the task part) -> the frozen, validated RunConfig."""
    try:
        values = OmegaConf.to_container(cfg, resolve=True)
    except OmegaConfBaseException as err:
        raise UserError(first_line(err)) from None
    values.pop("hydra", None)
    return from_composed(values)


def compose_run_config(overrides: list[str]) -> RunConfig:
    return to_run_config(compose_config(overrides))


def _values(override) -> list[str]:
    if override.is_sweep_override():
        return [str(v) for v in override.sweep_iterator()]
    return [str(override.value())]


def _initialized():
    GlobalHydra.instance().clear()
    return initialize_config_module(config_module=CONFIG_MODULE, version_base="1.3")

