"""The schema of one run: RunConfig, the typed, validated configuration Hydra's config is turned
into once, at the edge (bninit.config.compose); plain Python, no Hydra import."""

import dataclasses
from dataclasses import dataclass
from typing import Any

from bninit.errors import UserError

INPUT_NORMS = ("bn", "fixed", "offline")
PRECISIONS = ("fp32", "bf16", "fp16", "tf32")
EVAL_TESTS = ("every_epoch", "at_best")
LOGGERS = ("none", "tensorboard")

# Every field declares its role in the run's identity (the directory that names it): the key
# behind skip, resume, collect and status. IDENTITY: what the run computes (the speed keys too:
# they change the numbers beyond float noise). OPTIONAL: identity only when set (a dataset's or an
# architecture's own key, or a key added later: runs made before it keep their directories).
# PLACEMENT: where or on what the run executes, never in the identity (a run resumes from another
# data/runs path or device). SEED: the run's seed, which names seed=<n> inside its cell.
IDENTITY, OPTIONAL, PLACEMENT, SEED = "identity", "identity_when_set", "placement", "seed"
ROLES = (IDENTITY, OPTIONAL, PLACEMENT, SEED)


def declare(default: Any, role: str) -> Any:
    """A RunConfig field: its default and its role (one of ROLES), declared together."""
    if role not in ROLES:
        raise TypeError(f"role {role!r} is not one of {', '.join(ROLES)}")
    return dataclasses.field(default=default, metadata={"role": role})


def field_roles(config_class: type) -> dict[str, str]:
    """Each field's declared role; TypeError naming a field that declares none."""
    roles = {f.name: f.metadata.get("role") for f in dataclasses.fields(config_class)}
    missing = [name for name, role in roles.items() if role not in ROLES]
    if missing:
        names = ", ".join(missing)
        raise TypeError(
            f"{config_class.__name__} field(s) {names} declare no role; roles: {', '.join(ROLES)}"
        )
    return roles


@dataclass(frozen=True)
class RunConfig:
    """Every key of a run with its default: the one place they are written. Hydra uses this class
    as the schema of conf/config.yaml; the groups conf/dataset, conf/arch and conf/bn set keys."""

    # What is trained (config groups: dataset=, arch=, bn= select a file that sets these keys).
    dataset: str = declare("digits", IDENTITY)
    arch: str = declare("resnet20", IDENTITY)
    bn: str = declare("ours", IDENTITY)  # ours | base | a1 | a2 | rbn | rbn_minus | iebn | iebn_minus
    # arch=timm: the timm model's name, e.g. resnet50d (conf/arch/timm.yaml: resnet18)
    timm_model: str = declare("", OPTIONAL)
    # dataset=folder: DIR holding train/<class>/* and test/<class>/*; the side the network sees; the
    # side images are cached at (0: folder_image_size)
    folder_path: str = declare("", OPTIONAL)
    folder_image_size: int = declare(32, OPTIONAL)
    folder_stored_size: int = declare(0, OPTIONAL)
    # The method: every BN scale starts at gamma; BN scales learn at lr / c.
    gamma: float = declare(0.1, IDENTITY)
    c: float = declare(100.0, IDENTITY)
    # bn (prepended BN, scale gamma*0.58) | fixed ((x-128)/128) | offline
    input_norm: str = declare("bn", IDENTITY)
    # paper: U(+-sqrt(6/fan_in)) | torch_default: U(+-1/sqrt(fan_in))
    linear_init: str = declare("paper", IDENTITY)
    augment: str = declare("none", IDENTITY)  # none | flip | crop_flip (each dataset's yaml sets its own)
    # bninit: the device-resident stream, 0..255 input | reference: the reference protocol's exact
    # draws (DataLoader shuffle, per-image flip, torch's global generator) and ToTensor's 0..1 input
    stream: str = declare("bninit", OPTIONAL)
    # The protocol (epochs and batch_size: each dataset's yaml sets its own).
    lr: float = declare(0.1, IDENTITY)
    momentum: float = declare(0.9, IDENTITY)
    weight_decay: float = declare(1e-4, IDENTITY)
    epochs: int = declare(30, IDENTITY)
    batch_size: int = declare(64, IDENTITY)
    seed: int = declare(1, SEED)  # run seed (the paper: 1..15), turned into a 32-bit seed by md5
    # Where and on what (PLACEMENT: not part of the run's identity).
    data_dir: str = declare("data", PLACEMENT)
    runs_dir: str = declare("runs", PLACEMENT)
    device: str = declare("auto", PLACEMENT)  # auto | cpu | cuda | cuda:N
    num_workers: int = declare(0, PLACEMENT)  # recorded, unused: the data stays on the device as tensors
    runs_per_gpu: int = declare(1, PLACEMENT)  # sweeps: concurrent runs sharing one GPU
    # none | tensorboard (event files in the run's dir; pip install 'bninit[tensorboard]')
    logger: str = declare("none", PLACEMENT)
    # Speed (bninit.run.fastpath): none of these changes what is measured beyond float noise.
    # fp32 (IEEE on CUDA too) | tf32 | bf16 | fp16 (autocast; BN statistics and the loss stay fp32)
    precision: str = declare("fp32", IDENTITY)
    channels_last: bool = declare(True, IDENTITY)  # NHWC memory layout for convolutions
    compile: bool = declare(False, IDENTITY)  # torch.compile the model
    deterministic: bool = declare(True, IDENTITY)  # cudnn deterministic (as the paper); false: faster
    # at_best: test the best-val weights once at the end | every_epoch
    eval_test: str = declare("at_best", IDENTITY)

    def __post_init__(self) -> None:
        # A value is canonical from the start: c=100 from Python is the CLI's c=100.0 (one run).
        for name, value in canonical(self.__dict__, type(self)).items():
            object.__setattr__(self, name, value)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def identity(self) -> dict[str, Any]:
        """What the run computes, minus the seed: the part that names its cell (identity version
        1: the IDENTITY keys, and the OPTIONAL ones set away from their defaults, canonical)."""
        roles = field_roles(type(self))
        defaults = {f.name: f.default for f in dataclasses.fields(self)}
        values = canonical(self.to_dict(), type(self))
        return {
            k: v
            for k, v in values.items()
            if roles[k] == IDENTITY or (roles[k] == OPTIONAL and v != defaults[k])
        }


def canonical(values: dict[str, Any], config_class: type = RunConfig) -> dict[str, Any]:
    """`values` as the schema types them: an int where the field is a float becomes that float
    (100, 100.0 and 1e2 are one value, hashed as 100.0); every other value is kept."""
    types = {f.name: f.type for f in dataclasses.fields(config_class)}
    return {
        k: float(v) if types.get(k) is float and isinstance(v, int) and not isinstance(v, bool) else v
        for k, v in values.items()
    }


ROLE_OF = field_roles(RunConfig)  # a field without a role fails here, at import
PLACEMENT_KEYS = tuple(k for k, role in ROLE_OF.items() if role == PLACEMENT)
OPTIONAL_KEYS = tuple(k for k, role in ROLE_OF.items() if role == OPTIONAL)


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
    from bninit.data.streams import REFERENCE_AUGMENTS, STREAMS
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
        ("stream", cfg.stream in STREAMS, f"allowed: {', '.join(STREAMS)}"),
        ("device", _is_device(cfg.device), "allowed: auto, cpu, cuda, cuda:N"),
        ("precision", cfg.precision in PRECISIONS, f"allowed: {', '.join(PRECISIONS)}"),
        ("eval_test", cfg.eval_test in EVAL_TESTS, f"allowed: {', '.join(EVAL_TESTS)}"),
        ("logger", cfg.logger in LOGGERS, f"allowed: {', '.join(LOGGERS)}"),
    ]
    for key, ok, allowed in checks:
        if not ok:
            raise UserError(f"{key}={getattr(cfg, key)!r} is not allowed: {allowed}")
    if cfg.stream == "reference" and cfg.augment not in REFERENCE_AUGMENTS:
        raise UserError(
            f"augment={cfg.augment} is not allowed with stream=reference (it replays the reference's "
            f"CIFAR pipeline); allowed: {', '.join(REFERENCE_AUGMENTS)}, or stream=bninit"
        )
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
