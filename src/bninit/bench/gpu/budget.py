"""Each step of `bninit gpu-check` in a process of its own, under its own time budget: the
step's process (and every process it starts, one process group) is killed when its budget runs
out, and the step is recorded as cut, with whatever it recorded before (a step records what it
has after each of its parts). A step that fails records its error. Either way the next step runs.

    python -m bninit.bench.gpu.budget STEP_SPEC_JSON RESULT_JSON     # a step's process

The step's process writes RESULT_JSON (atomically) each time the step records, and once more at
its end with the step's status: "ok", or "failed" with the error (also where what a step checks
turns out wrong: its "problems")."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from pathlib import Path

from bninit.atomic import write_text


def read_result(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def forward_stderr(stream, last: deque) -> None:
    """The step's progress lines on to this process's stderr as they come; keeps the last ones."""
    for line in stream:
        sys.stderr.write(line)
        sys.stderr.flush()
        if line.strip():
            last.append(line.strip())


def run_budgeted(step: str, context: dict, budget_s: float) -> dict:
    """Step `step` with `context` (bninit.bench.gpu.check_steps.Context's fields, less the
    deadline) in a process of its own, killed with its children after `budget_s` seconds.
    What it measured, with "status" (ok / failed / cut) and "seconds"."""
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"gpu-check-{step}-") as folder:
        spec, result = Path(folder, "spec.json"), Path(folder, "result.json")
        write_text(spec, json.dumps({"step": step, "context": context, "deadline": start + budget_s}))
        proc = subprocess.Popen(
            [sys.executable, "-m", "bninit.bench.gpu.budget", str(spec), str(result)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group: a cut ends its workers too
        )
        last: deque = deque(maxlen=3)
        reader = threading.Thread(target=forward_stderr, args=(proc.stderr, last), daemon=True)
        reader.start()
        cut = False
        try:
            proc.wait(timeout=budget_s)
        except subprocess.TimeoutExpired:
            cut = True
        finally:  # ended, cut, or this process stopped (Ctrl-C): no process of the step stays
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
        reader.join(timeout=5)
        out = read_result(result) or {}
    out["seconds"] = time.monotonic() - start
    if cut:
        out.pop("partial", None)
        out.update(status="cut", note=f"cut at its budget of {budget_s:.0f} s; what it finished is kept")
    elif out.get("status") not in ("ok", "failed"):
        out.update(
            status="failed",
            error=f"its process ended with exit {proc.returncode}: {last[-1] if last else 'no message'}",
        )
    return out


def end_with_parent(parent: int) -> None:
    """In the step's process group: end it all once `parent` (gpu-check) is gone, killed even."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os.killpg(os.getpgrp(), signal.SIGKILL)


def step_process(spec_path: Path, result_path: Path) -> int:
    """In the step's process: run the step, recording as it goes, then its final result."""
    from bninit.bench.gpu.check_steps import STEP_FUNCTIONS, Context, progress

    spec = json.loads(spec_path.read_text())
    ctx = Context(**spec["context"], deadline=spec["deadline"])

    def record(partial: dict) -> None:
        write_text(result_path, json.dumps({**partial, "partial": True}))

    try:
        out = {"status": "ok", **STEP_FUNCTIONS[spec["step"]](ctx, record)}
        if out.get("problems"):  # it ran, and what it checks is not right
            out.update(status="failed", error="; ".join(out["problems"]))
    except Exception as err:  # recorded: the next step runs
        out = {
            **(read_result(result_path) or {}),
            "status": "failed",
            "error": f"{type(err).__name__}: {err}",
        }
        out.pop("partial", None)
    if out["status"] == "failed":
        progress(f"[{spec['step']}] FAILED: {out['error']}")
    write_text(result_path, json.dumps(out))
    return 0


if __name__ == "__main__":
    threading.Thread(target=end_with_parent, args=(os.getppid(),), daemon=True).start()
    sys.exit(step_process(Path(sys.argv[1]), Path(sys.argv[2])))
