"""scripts/chaos.py (what scripts/chaos.sh runs): workers SIGKILLed at random, the sweep
restarted, every run done exactly once with the numbers of an uninterrupted sweep, and the killed
runs resumed from their checkpoints (a resume that started again from epoch 0 would give the same
numbers: the train logs show which happened)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_chaos_sweep_ends_with_every_run_done_once_equal_and_resumed(tmp_path):
    # 2 seeds of 4 epochs on 2 workers, side by side. No wait before a kill: each kill comes 0-1 s
    # after the next checkpoint, with epochs still to go, and stops both runs (a sweep stops
    # when one of its workers dies).
    result = subprocess.run(
        [sys.executable, ROOT / "scripts" / "chaos.py", "--seeds", "2", "--epochs", "4", "--kills", "1",
         "--min-wait", "0", "--max-wait", "0", "--out", str(tmp_path / "chaos"), "gamma=0.5"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout.rsplit("chaos:", 1)[0])
    assert summary["kills"] >= 1 and summary["runs"] == summary["rows"] == 2
    assert summary["all_done"] and summary["one_row_per_run"] and summary["results_equal_uninterrupted"]
    # resumed from a checkpoint (after epoch >= 1), and no epoch of any run trained twice
    assert summary["resumes"] >= 1 and min(summary["resumed_after_epochs"]) >= 1, summary
    assert summary["epochs_trained_twice"] == [], summary
