"""The typed, validated configuration of one run: Hydra's config is turned into this once, at the edge."""

import dataclasses
from dataclasses import dataclass
from typing import Any

from bninit.errors import UserError

INPUT_NORMS = ("bn", "fixed", "offline")
PRECISIONS = ("fp32", "bf16", "fp16")
EVAL_TESTS = ("every_epoch", "at_best")

# Keys that say where or on what a run executes, not what it computes: they do not enter the
# run's identity (its directory), so a run can be resumed from another data/runs path or device.
PLACEMENT_KEYS = ("data_dir", "runs_dir", "device", "num_workers", "runs_per_gpu")


@dataclass(frozen=True)
class RunConfig:
    dataset: str = "digits"
    arch: str = "resnet20"
    bn: str = "ours"
    gamma: float = 0.1
    c: float = 100.0
    input_norm: str = "bn"
    linear_init: str = "paper"
    augment: str = "none"  # the dataset's own (conf/dataset/*.yaml): digits none, CIFAR flip
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 1e-4
    epochs: int = 30
    batch_size: int = 64
    seed: int = 1
    data_dir: str = "data"
    runs_dir: str = "runs"
    device: str = "auto"
    num_workers: int = 0
    runs_per_gpu: int = 1
    # The fast path (bninit.fastpath); defaults measured on CPU, see docs (Performance).
    precision: str = "fp32"
    channels_last: bool = True
    compile: bool = False
    deterministic: bool = True
    eval_test: str = "at_best"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def identity(self) -> dict[str, Any]:
        """What the run computes, minus the seed: the part that names its cell."""
        return {k: v for k, v in self.to_dict().items() if k not in PLACEMENT_KEYS + ("seed",)}


def from_composed(cfg: dict[str, Any]) -> RunConfig:
    """Build a RunConfig from a composed Hydra config (as a resolved plain dict) and validate it.

    The Hydra groups (`dataset`, `arch`, `bn`) arrive as dicts; their `name` is what we keep.
    """
    values = dict(cfg)
    for group in ("dataset", "arch", "bn"):
        if isinstance(values.get(group), dict):
            values[group] = values[group]["name"]
    known = {f.name for f in dataclasses.fields(RunConfig)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise UserError(f"unknown config key(s) {', '.join(unknown)}; known keys: {', '.join(sorted(known))}")
    return validate(RunConfig(**_coerce(values)))


def _coerce(values: dict[str, Any]) -> dict[str, Any]:
    types = {f.name: f.type for f in dataclasses.fields(RunConfig)}
    out = {}
    for key, value in values.items():
        kind = types[key]
        try:
            if kind is bool:
                if not isinstance(value, bool):
                    raise ValueError
                out[key] = value
            elif kind is int and not (isinstance(value, float) and not value.is_integer()):
                out[key] = int(value)
            elif kind is float:
                out[key] = float(value)
            elif kind is str:
                out[key] = str(value)
            else:
                raise ValueError
        except (TypeError, ValueError):
            allowed = " (true or false)" if kind is bool else ""
            raise UserError(f"{key}={value!r} is not a valid {kind.__name__}{allowed}") from None
    return out


def validate(cfg: RunConfig) -> RunConfig:
    """Check every value; raise UserError naming the bad value and what is allowed."""
    from bninit.data import DATASETS
    from bninit.data.batches import AUGMENTATIONS
    from bninit.init import LINEAR_INITS
    from bninit.models import ARCHS
    from bninit.norms import NORM_LAYERS

    for key, registry in (("dataset", DATASETS), ("arch", ARCHS), ("bn", NORM_LAYERS)):
        name = getattr(cfg, key)
        if name not in registry:
            raise UserError(f"unknown {key} '{name}'; known: {', '.join(sorted(registry))}")
    checks = [
        ("gamma", cfg.gamma > 0, "must be > 0 (the paper uses 0 < gamma <= 1)"),
        ("c", cfg.c >= 1, "must be >= 1 (c = 1: no BN-scale learning-rate reduction)"),
        ("lr", cfg.lr > 0, "must be > 0"),
        ("momentum", 0 <= cfg.momentum < 1, "must be in [0, 1)"),
        ("weight_decay", cfg.weight_decay >= 0, "must be >= 0"),
        ("epochs", cfg.epochs >= 1, "must be >= 1"),
        ("batch_size", cfg.batch_size >= 2, "must be >= 2 (BN needs two samples)"),
        ("seed", cfg.seed >= 0, "must be >= 0"),
        ("num_workers", cfg.num_workers >= 0, "must be >= 0"),
        ("runs_per_gpu", cfg.runs_per_gpu >= 1, "must be >= 1"),
        ("input_norm", cfg.input_norm in INPUT_NORMS, f"allowed: {', '.join(INPUT_NORMS)}"),
        ("linear_init", cfg.linear_init in LINEAR_INITS, f"allowed: {', '.join(LINEAR_INITS)}"),
        ("augment", cfg.augment in AUGMENTATIONS, f"allowed: {', '.join(AUGMENTATIONS)}"),
        ("device", _is_device(cfg.device), "allowed: auto, cpu, cuda, cuda:N"),
        ("precision", cfg.precision in PRECISIONS, f"allowed: {', '.join(PRECISIONS)}"),
        ("eval_test", cfg.eval_test in EVAL_TESTS, f"allowed: {', '.join(EVAL_TESTS)}"),
    ]
    for key, ok, allowed in checks:
        if not ok:
            raise UserError(f"{key}={getattr(cfg, key)!r} is not allowed: {allowed}")
    return cfg


def _is_device(device: str) -> bool:
    if device in ("auto", "cpu", "cuda"):
        return True
    prefix, _, index = device.partition(":")
    return prefix == "cuda" and index.isdigit()
