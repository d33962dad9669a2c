"""The typed, validated configuration of one run: Hydra's config is turned into this once, at the edge."""

import dataclasses
from dataclasses import dataclass
from typing import Any

from bninit.errors import UserError

INPUT_NORMS = ("bn", "fixed", "offline")
PRECISIONS = ("fp32", "bf16", "fp16", "tf32")
EVAL_TESTS = ("every_epoch", "at_best")

# Keys that say where or on what a run executes, not what it computes: they do not enter the
# run's identity (its directory), so a run can be resumed from another data/runs path or device.
PLACEMENT_KEYS = ("data_dir", "runs_dir", "device", "num_workers", "runs_per_gpu")
# Keys of one dataset or architecture (dataset=folder, arch=timm): they enter a run's identity
# only when set, so the runs of every other dataset and architecture keep their directories.
OPTIONAL_KEYS = ("timm_model", "folder_path", "folder_image_size", "folder_stored_size")


@dataclass(frozen=True)
class RunConfig:
    """Every key of a run with its default: the one place they are written. Hydra uses this class
    as the schema of conf/config.yaml; the groups conf/dataset, conf/arch and conf/bn set keys."""

    # What is trained (config groups: dataset=, arch=, bn= select a file that sets these keys).
    dataset: str = "digits"
    arch: str = "resnet20"
    bn: str = "ours"  # ours | base | a1 | a2 | rbn | rbn_minus | iebn | iebn_minus
    timm_model: str = ""  # arch=timm: the timm model's name, e.g. resnet50d (conf/arch/timm.yaml: resnet18)
    folder_path: str = ""  # dataset=folder: DIR holding train/<class>/* and test/<class>/*
    folder_image_size: int = 32  # dataset=folder: the side the network sees
    folder_stored_size: int = 0  # dataset=folder: the side images are cached at (0: folder_image_size)
    # The method: every BN scale starts at gamma; BN scales learn at lr / c.
    gamma: float = 0.1
    c: float = 100.0
    input_norm: str = "bn"  # bn (prepended BN, scale gamma*0.58) | fixed ((x-128)/128) | offline
    linear_init: str = "paper"  # paper: U(+-sqrt(6/fan_in)) | torch_default: U(+-1/sqrt(fan_in))
    augment: str = "none"  # none | flip | crop_flip; each dataset sets its own (CIFAR: flip)
    # The protocol.
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 1e-4
    epochs: int = 30  # digits 30, CIFAR / CUB / Cars 180 (set by the dataset)
    batch_size: int = 64  # digits 64, CIFAR 128, CUB / Cars 64 (set by the dataset)
    seed: int = 1  # run seed (the paper: 1..15), turned into a 32-bit seed by md5
    # Where and on what (not part of the run's identity: PLACEMENT_KEYS).
    data_dir: str = "data"
    runs_dir: str = "runs"
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    num_workers: int = 0  # recorded, unused: the data stays on the device as tensors
    runs_per_gpu: int = 1  # sweeps: concurrent runs sharing one GPU
    # Speed (bninit.run.fastpath): none of these changes what is measured beyond float noise.
    precision: str = "fp32"  # fp32 (IEEE on CUDA too) | tf32 | bf16 | fp16 (autocast; BN stats, loss fp32)
    channels_last: bool = True  # NHWC memory layout for convolutions
    compile: bool = False  # torch.compile the model
    deterministic: bool = True  # cudnn deterministic (as the paper); false: faster kernels
    eval_test: str = "at_best"  # at_best: test the best-val weights once at the end | every_epoch

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def identity(self) -> dict[str, Any]:
        """What the run computes, minus the seed: the part that names its cell."""
        return {k: v for k, v in described(self.to_dict()).items() if k not in PLACEMENT_KEYS + ("seed",)}


def described(config: dict[str, Any]) -> dict[str, Any]:
    """A run's config without the optional keys left at their defaults (what names it and what its
    CSV row shows: a digits run has no timm_model or folder_path)."""
    return {k: v for k, v in config.items() if not (k in OPTIONAL_KEYS and v == getattr(RunConfig, k))}


def from_composed(values: dict[str, Any]) -> RunConfig:
    """The validated RunConfig of a composed config (a plain dict whose types the schema checked)."""
    known = {f.name for f in dataclasses.fields(RunConfig)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise UserError(f"unknown config key(s) {', '.join(unknown)}; known keys: {', '.join(sorted(known))}")
    return validate(RunConfig(**values))


def validate(cfg: RunConfig) -> RunConfig:
    """Check every value; raise UserError naming the bad value and what is allowed."""
    from bninit.data import DATASETS
    from bninit.data.batches import AUGMENTATIONS
    from bninit.method.init import LINEAR_INITS
    from bninit.method.norms import NORM_LAYERS
    from bninit.models import ARCHS, FAMILIES

    for key, registry in (("dataset", DATASETS), ("arch", {**ARCHS, **FAMILIES}), ("bn", NORM_LAYERS)):
        name = getattr(cfg, key)
        if name not in registry:
            raise UserError(f"unknown {key} '{name}'; known: {', '.join(sorted(registry))}")
    _validate_extensions(cfg)
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


def _validate_extensions(cfg: RunConfig) -> None:
    """arch=timm needs a timm model name; dataset=folder a folder; their keys only with them."""
    from bninit.models.timm_models import check_timm_name

    if cfg.arch == "timm":
        check_timm_name(cfg.timm_model)
    elif cfg.timm_model:
        raise UserError(f"timm_model={cfg.timm_model} needs arch=timm (got arch={cfg.arch})")
    if cfg.dataset != "folder":
        changed = [
            k for k in OPTIONAL_KEYS if k.startswith("folder_") and getattr(cfg, k) != getattr(RunConfig(), k)
        ]
        if changed:
            raise UserError(f"{', '.join(changed)} need dataset=folder (got dataset={cfg.dataset})")
        return
    if not cfg.folder_path:
        raise UserError(
            "dataset=folder needs folder_path=DIR (a folder with train/<class>/* and test/<class>/*)"
        )
    if cfg.folder_image_size < 1:
        raise UserError(f"folder_image_size={cfg.folder_image_size} is not allowed: must be >= 1")
    if cfg.folder_stored_size and cfg.folder_stored_size < cfg.folder_image_size:
        raise UserError(
            f"folder_stored_size={cfg.folder_stored_size} is not allowed: must be 0 (the image size) "
            f"or >= folder_image_size={cfg.folder_image_size}"
        )


def dataset_options(cfg: RunConfig) -> dict[str, Any]:
    """The dataset loader's options beyond data_dir (dataset=folder: its path and sizes)."""
    if cfg.dataset != "folder":
        return {}
    return {
        "path": cfg.folder_path,
        "image_size": cfg.folder_image_size,
        "stored_size": cfg.folder_stored_size or cfg.folder_image_size,
    }


def _is_device(device: str) -> bool:
    if device in ("auto", "cpu", "cuda"):
        return True
    prefix, _, index = device.partition(":")
    return prefix == "cuda" and index.isdigit()
