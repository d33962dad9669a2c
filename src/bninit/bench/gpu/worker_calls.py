"""A step's measurements in worker processes of their own (`python -m bninit.bench.worker KIND`,
bninit.bench.gpu.measure): their JSON lines back, or StepFailed with the worker's last words."""

import json
import subprocess
import sys
import tempfile


class StepFailed(Exception):
    pass


def measure_rows(step: str, spec: dict):
    """bninit.bench.gpu.measure's `step` in a process of its own; each row it prints, as it comes
    (not the last line, which holds them all). StepFailed if it fails. (Its time limit is the
    step's budget: bninit.bench.gpu.budget ends the whole step.)"""
    with tempfile.TemporaryFile("w+") as errors:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bninit.bench.worker", step, json.dumps(spec)],
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        for line in proc.stdout:
            data = json.loads(line)
            if "rows" not in data:  # the last line sums them all up
                yield data
        proc.wait()
        if proc.returncode:
            errors.seek(0)
            last = [line for line in errors.read().splitlines() if line.strip()]
            raise StepFailed(f"exit {proc.returncode}: {last[-1] if last else 'no message'}")


def measure(step: str, spec: dict, timeout: float) -> dict:
    """bninit.bench.gpu.measure's `step` in a process of its own; its JSON line."""
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "bninit.bench.worker", step, json.dumps(spec)],
            capture_output=True,
            text=True,
            timeout=max(1.0, timeout),
        )
    except subprocess.TimeoutExpired:
        raise StepFailed(f"timed out after {timeout:.0f} s (the budget)") from None
    if proc.returncode:
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        raise StepFailed(f"exit {proc.returncode}: {lines[-1] if lines else 'no message'}")
    return json.loads(proc.stdout.strip().splitlines()[-1])
