"""`bninit report` (and `bninit plan`) never import torch: a laptop without it, or a login node,
can analyse a study's CSV. Checked in a fresh interpreter, where nothing else imported it."""

import json
import subprocess
import sys

import pytest

from test_report_analysis import STUDY, cell_rows, write_csv

SCRIPT = """
import json, sys
from bninit.cli.main import main
codes = [main(["report", sys.argv[1], "-o", sys.argv[2]]), main(["plan", sys.argv[1], "--effect", "0.3"])]
torch = sorted(m for m in sys.modules if m == "torch" or m.startswith("torch."))
print(json.dumps({"codes": codes, "torch": torch}))
"""


@pytest.mark.slow
def test_report_and_plan_run_without_importing_torch(tmp_path):
    csv = write_csv(tmp_path / "study.csv", [r for key, accs in STUDY.items() for r in cell_rows(*key, accs)])
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(csv), str(tmp_path / "report")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen == {"codes": [0, 0], "torch": []}
    assert "BASE" in (tmp_path / "report" / "report.md").read_text()  # the report was written
