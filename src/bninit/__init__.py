"""bninit: reproducible sweeps for 'Revisiting Batch Norm Initialization' (Davis & Frank, ECCV 2022).

The method for your own training loop (see the README's "Your model, your data, your loop"):

    bninit.convert_bn(model, "ours")        # every BatchNorm2d -> the chosen BN variant
    bninit.init_method(model, gamma=0.1)    # conv/linear/bias init, every BN scale = gamma
    torch.optim.SGD(bninit.param_groups(model, lr=0.1, c=100), momentum=0.9)
    bninit.InputBatchNorm2d(3, gamma=0.1)   # the input BN (scale gamma * 0.58, frozen shift)
    bninit.bn_scales(model)                 # the BN scales (gamma) these act on, and only them

A study in a notebook: `runs, epochs = bninit.load_study("runs/")` (one row per run, one row
per run and epoch; see docs/report.md).

The names are re-exported lazily, so `import bninit` stays light.
"""

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the module that defines it
_API = {
    "init_method": "bninit.method.init",
    "param_groups": "bninit.method.optim",
    "InputBatchNorm2d": "bninit.method.norms",
    "convert_bn": "bninit.method.convert",
    "load_study": "bninit.store.study",
    "bn_scales": "bninit.method.norms",
}
__all__ = [
    "__version__",
    "init_method",
    "param_groups",
    "InputBatchNorm2d",
    "convert_bn",
    "bn_scales",
    "load_study",
]

if TYPE_CHECKING:
    from bninit.method.convert import convert_bn
    from bninit.method.init import init_method
    from bninit.method.norms import InputBatchNorm2d, bn_scales
    from bninit.method.optim import param_groups
    from bninit.store.study import load_study


def __getattr__(name: str) -> Any:
    if name in _API:
        import importlib

        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'bninit' has no attribute {name!r}")
