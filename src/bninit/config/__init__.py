"""A run's configuration: the schema (`schema`: RunConfig, every key with its default and its role),
the paper's presets (`presets`: conf/sweep/*.yaml read as plain data) and the composition
(`compose`: Hydra's config tree turned into a RunConfig, the one module here that imports Hydra).

`from bninit.config import RunConfig` reaches the schema; importing this package imports no
Hydra or OmegaConf (presets and compose are imported by name where they are used).
"""

from bninit.config.schema import (
    EVAL_TESTS,
    IDENTITY,
    INPUT_NORMS,
    LOGGERS,
    OPTIONAL,
    OPTIONAL_KEYS,
    PLACEMENT,
    PLACEMENT_KEYS,
    PRECISIONS,
    ROLE_OF,
    ROLES,
    SEED,
    RunConfig,
    canonical,
    dataset_options,
    declare,
    described,
    field_roles,
    from_composed,
    validate,
)

__all__ = [
    "EVAL_TESTS",
    "IDENTITY",
    "INPUT_NORMS",
    "LOGGERS",
    "OPTIONAL",
    "OPTIONAL_KEYS",
    "PLACEMENT",
    "PLACEMENT_KEYS",
    "PRECISIONS",
    "ROLE_OF",
    "ROLES",
    "SEED",
    "RunConfig",
    "canonical",
    "dataset_options",
    "declare",
    "described",
    "field_roles",
    "from_composed",
    "validate",
]
