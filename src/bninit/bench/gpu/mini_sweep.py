"""`bninit gpu-check`'s last step: a mini sweep through the real `bninit` command, as a user runs
one (Hydra multirun, joblib launcher, runs_per_gpu), then `bninit collect` and `bninit report`;
and a check of the GPU slot claiming a sweep worker does (bninit.sweep.placement.claim_gpu)."""

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bninit.sweep.placement import claim_gpu


def hold_claim(spec: dict) -> None:
    """A sweep worker's GPU slot claim (bninit.sweep.placement.claim_gpu): print the slot it got,
    then hold it until spec["release"] exists (run in a process of its own: the lock lives with it)."""
    print(
        claim_gpu(spec["n_devices"], Path(spec["lock_dir"]), fallback=spec["rank"], slots=spec["slots"]),
        flush=True,
    )
    while not Path(spec["release"]).exists():
        time.sleep(0.02)


def bninit_command() -> list[str]:
    """`bninit` as this Python runs it (the module, so that an install with no `bninit` script on
    PATH, such as the offline bundle's, works the same)."""
    return [sys.executable, "-m", "bninit.cli.main"]


def call(args: list[str], cwd: Path, deadline: float) -> dict:
    """`bninit ARGS` in a subprocess; its exit code, seconds and (on failure) the last lines."""
    start = time.monotonic()
    try:
        proc = subprocess.run(
            [*bninit_command(), *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=max(1.0, deadline - time.monotonic()),
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    except subprocess.TimeoutExpired:
        return {
            "command": "bninit " + " ".join(args),
            "rc": None,
            "seconds": time.monotonic() - start,
            "error": "timed out (the budget)",
            "stdout": "",
        }
    out = {
        "command": "bninit " + " ".join(args),
        "rc": proc.returncode,
        "seconds": time.monotonic() - start,
        "stdout": proc.stdout,
    }
    if proc.returncode:
        out["error"] = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-5:])
    return out


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    """The most intervals (start, end) open at one moment."""
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
    most = now = 0
    for _, step in events:
        now += step
        most = max(most, now)
    return most


def read_runs(csv_path: Path, runs: Path) -> dict:
    """The collected CSV's rows, and from each result.json where the run was placed and when it ran."""
    with open(csv_path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    placed, intervals = [], []
    for result in sorted(runs.rglob("result.json")):
        record = json.loads(result.read_text())
        placed.append(record["config"]["device"])
        end = result.stat().st_mtime
        intervals.append((end - record["wall_time_s"], end))
    return {
        "rows": len(rows),
        "done": sum(r["status"] == "done" for r in rows),
        "statuses": sorted({r["status"] for r in rows}),
        "devices": sorted({r["device"] for r in rows}),
        "placed_device_keys": sorted(set(placed)),
        "max_runs_at_once": max_overlap(intervals),
        "test_acc_at_best_val": [float(r["test_acc_at_best_val"]) for r in rows if r["status"] == "done"],
    }


def claim_check(n_devices: int = 2, slots: int = 2, timeout: float = 30.0) -> dict:
    """n_devices x slots workers claim slots one after the other, then one more: each slot once,
    the GPUs' first slots before any second one, and the extra worker falls back to its job
    number. Simulated GPUs: this is the file locking alone, the same on any machine."""
    env = {k: v for k, v in os.environ.items() if k != "CUDA_VISIBLE_DEVICES"}  # lock names 0..n-1
    got, procs = [], []
    with tempfile.TemporaryDirectory(prefix="gpu-check-claims-") as folder:
        release = Path(folder, "release")
        try:
            for rank in range(n_devices * slots + 1):
                spec = {
                    "n_devices": n_devices,
                    "slots": slots,
                    "rank": rank,
                    "lock_dir": str(Path(folder, "locks")),
                    "release": str(release),
                }
                proc = subprocess.Popen(
                    [sys.executable, "-m", "bninit.bench.worker", "claim", json.dumps(spec)],
                    env=env,
                    stdout=subprocess.PIPE,
                    text=True,
                )
                procs.append(proc)
                got.append(int(proc.stdout.readline()))  # claimed (and held) before the next starts
            locks = sorted(p.name for p in Path(folder, "locks").glob("*.lock"))
        finally:
            release.touch()
            for proc in procs:
                proc.wait(timeout=timeout)
                proc.stdout.close()
    expected = [i for _ in range(slots) for i in range(n_devices)] + [(n_devices * slots) % n_devices]
    return {
        "simulated_gpus": n_devices,
        "slots": slots,
        "claims": got,
        "expected": expected,
        "ok": got == expected,
        "lock_files": locks,
    }


def mini_sweep(sizes: dict, deadline: float, progress, gpu: bool, record=lambda partial: None) -> dict:
    """2 cells (BASE, ours) x sizes["seeds"] seeds on digits, through `bninit train -m` with the
    joblib launcher, then collect and report; problems (a failed command, a run not done, a
    wrong claim) are listed under "problems"."""
    seeds = ",".join(str(s) for s in range(1, sizes["seeds"] + 1))
    n_runs = 2 * sizes["seeds"]
    out: dict = {"runs": n_runs, "launcher": "joblib", **sizes}
    problems = []
    with tempfile.TemporaryDirectory(prefix="gpu-check-sweep-") as folder:
        tmp = Path(folder)
        runs, csv_path = tmp / "runs", tmp / "mini.csv"
        commands = [
            [
                "train",
                "-m",
                "dataset=digits",
                "arch=resnet20",
                "bn=base,ours",
                f"seed={seeds}",
                f"epochs={sizes['epochs']}",
                f"runs_dir={runs}",
                "hydra/launcher=joblib",
                f"hydra.launcher.n_jobs={sizes['n_jobs']}",
                f"runs_per_gpu={sizes['runs_per_gpu']}",
            ],
            ["collect", str(runs), "-o", str(csv_path)],
            ["report", str(csv_path), "-o", str(tmp / "report")],
        ]
        for args in commands:
            result = call(args, tmp, deadline)
            progress(f"[sweep] bninit {args[0]}: exit {result['rc']} ({result['seconds']:.0f} s)")
            out[args[0]] = {k: v for k, v in result.items() if k != "stdout"}
            if result["rc"] != 0:
                problems.append(f"bninit {args[0]}: {result.get('error', '')}")
            if args[0] == "report":
                out["report"]["markdown"] = result["stdout"][:4000]
                out["report"]["files"] = sorted(p.name for p in (tmp / "report").glob("*"))
            record(out)  # each command's outcome as it ends
        if csv_path.exists():
            out["collected"] = read_runs(csv_path, runs)
            if out["collected"]["done"] != n_runs:
                problems.append(f"{out['collected']['done']} of {n_runs} runs done")
        else:
            problems.append("no CSV collected")
    out["gpu_slots"] = (
        "one GPU visible: every run uses it (workers claim GPU slots only with 2+ GPUs)"
        if gpu
        else "CPU: no GPU to claim; the joblib workers split the cores"
    )
    out["claims"] = claim_check()
    if not out["claims"]["ok"]:
        problems.append(f"slot claims {out['claims']['claims']}, expected {out['claims']['expected']}")
    progress(
        f"[sweep] {out.get('collected', {}).get('done', 0)}/{n_runs} runs done; "
        f"slot claims {'ok' if out['claims']['ok'] else 'WRONG'}"
    )
    out["problems"] = problems
    return out
