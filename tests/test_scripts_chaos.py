"""scripts/chaos.sh: workers SIGKILLed at random, the sweep restarted, every run done exactly once
with the numbers of an uninterrupted sweep."""

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_chaos_sweep_ends_with_every_run_done_once_and_equal(tmp_path):
    result = subprocess.run(
        [ROOT / "scripts" / "chaos.sh", "--seeds", "3", "--epochs", "5", "--kills", "2", "--min-wait", "5",
         "--max-wait", "9", "--out", str(tmp_path / "chaos"), "gamma=0.5"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout.rsplit("chaos:", 1)[0])
    assert summary["kills"] >= 1 and summary["runs"] == summary["rows"] == 3
    assert summary["all_done"] and summary["one_row_per_run"] and summary["results_equal_uninterrupted"]
