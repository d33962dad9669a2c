"""Benchmark configurations run in processes of their own (`python -m bninit.bench.worker speed`):
fair timing, each its own peak memory; k concurrent ones start their timed part together."""

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bninit.errors import UserError


class WorkerFailed(UserError):
    """A worker process failed or ran out of time (the benchmark stops on it, in one line)."""


def run_workers(spec: dict, k: int, timeout: float | None = None) -> list[dict]:
    """Run `spec` in k processes at once; their timed parts start together. With `timeout`
    (seconds), workers still running then are killed and WorkerFailed is raised. The workers'
    stderr is passed on once they end; a failure's last line goes into WorkerFailed's message."""
    what = f"{spec['arch']} {spec['loop']} {spec.get('options')}"
    with tempfile.TemporaryDirectory() as folder:
        procs, logs = [], [Path(folder, f"stderr-{rank}") for rank in range(k)]
        for rank, log in enumerate(logs):
            child = {**spec, "concurrent": k, "rank": rank, "barrier": folder}
            with open(log, "w") as err:
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "bninit.bench.worker", "speed", json.dumps(child)],
                        stdout=subprocess.PIPE,
                        stderr=err,
                        text=True,
                    )
                )
        deadline = None if timeout is None else time.monotonic() + timeout
        outputs, timed_out = [], False
        try:
            for p in procs:
                left = None if deadline is None else max(0.1, deadline - time.monotonic())
                outputs.append(p.communicate(timeout=left)[0])
        except subprocess.TimeoutExpired:
            timed_out = True
            for p in procs:
                p.kill()
                p.wait()
        errors = [log.read_text() for log in logs]
    sys.stderr.write("".join(text if text.endswith("\n") or not text else text + "\n" for text in errors))
    if timed_out:
        raise WorkerFailed(f"{what} timed out after {timeout:.0f} s")
    failed = [
        (p.returncode, text.strip().splitlines())
        for p, text in zip(procs, errors, strict=True)
        if p.returncode
    ]
    if failed:
        code, lines = failed[0]
        raise WorkerFailed(f"a worker failed (exit {code}) for {what}: {lines[-1] if lines else ''}")
    return [json.loads(out.strip().splitlines()[-1]) for out in outputs]
