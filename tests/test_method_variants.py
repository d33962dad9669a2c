"""Each BN variant trains end to end: one epoch of digits on resnet20 through `run`, as
`bninit train bn=<variant> epochs=1` does, with the variant's own gamma and c."""

import json
import math
from pathlib import Path

import pytest

from bninit.method.norms import NORM_LAYERS
from bninit.run.train import run

CONFIGURED = {
    "ours": (0.1, 100),
    "base": (1.0, 1),
    "a1": (0.1, 100),
    "a2": (0.1, 100),
    "rbn": (1.0, 1),
    "iebn": (1.0, 1),
    "rbn_minus": (1.0, 1),
    "iebn_minus": (1.0, 1),
}


@pytest.mark.parametrize("bn", sorted(NORM_LAYERS))
def test_one_epoch_of_digits_trains_with_each_variant(bn, make_cfg):
    cfg = make_cfg(f"bn={bn}", "epochs=1")
    assert (cfg.gamma, cfg.c) == CONFIGURED[bn]
    result = run(cfg)
    assert result["status"] == "done" and result["config"]["bn"] == bn
    (epoch,) = result["history"]
    assert epoch["train_loss"] < math.log(10), "one epoch should beat chance-level loss"
    # one epoch: it is the best and the last, so both test looks are the same count of 360 images
    assert result["best_epoch"] == 1 and result["test_acc_at_best_val"] == result["final_test_acc"]
    assert round(result["test_acc_at_best_val"] * 360 / 100, 6).is_integer()
    assert round(epoch["val_acc"] * 144 / 100, 6).is_integer()
    assert epoch["lr"] == pytest.approx(0.1)  # the first epoch of the cosine runs at the base lr
    assert epoch["bn_scale_mean"] == pytest.approx(cfg.gamma, rel=0.5)
    stored = json.loads((Path(result["run_dir"]) / "result.json").read_text())
    assert stored["test_acc_at_best_val"] == result["test_acc_at_best_val"]
