"""Chaos test: a joblib sweep of digits whose workers are killed (SIGKILL) at random moments,
restarted after each kill, must end with every (cell, seed) done exactly once and every result
equal to the same run done without interruption (same machine, same workers and threads).

Usage: scripts/chaos.sh [--seeds N] [--epochs N] [--kills N] [--jobs N] [--out DIR] [KEY=VALUE ...]
"""

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

BNINIT = shutil.which("bninit", path=str(Path(sys.executable).parent)) or "bninit"
SAME = ("best_epoch", "best_val_acc", "test_acc_at_best_val", "final_test_acc")


def sweep_args(opts, runs_dir: Path) -> list[str]:
    return [
        "sweep", "demo", f"seeds={opts.seeds}", f"epochs={opts.epochs}", f"runs_dir={runs_dir}",
        "hydra/launcher=joblib", f"hydra.launcher.n_jobs={opts.jobs}", *opts.overrides,
    ]  # fmt: skip


def workers_of(pid: int) -> list[int]:
    """The loky worker processes the sweep `pid` started."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid and b"popen_loky" in cmdline:
            found.append(int(entry.name))
    return found


def chaos(opts, runs_dir: Path, rng: random.Random) -> dict:
    """Start the sweep, SIGKILL a random worker after a random time, again, `kills` times; then
    run it to the end. Returns what happened."""
    kills, restarts = 0, 0
    while kills < opts.kills:
        proc = subprocess.Popen(
            [BNINIT, *sweep_args(opts, runs_dir)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True, text=True,
        )  # fmt: skip
        restarts += 1
        deadline = time.monotonic() + rng.uniform(opts.min_wait, opts.max_wait)
        victim, workers = None, []
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        after = time.time()  # then the next checkpoint, and a moment into the following epoch
        while proc.poll() is None and not _checkpointed(runs_dir, after):
            time.sleep(0.1)
        time.sleep(rng.uniform(0.0, 1.0))
        while proc.poll() is None and not workers:
            workers = workers_of(proc.pid)
            time.sleep(0.1)
        if workers:
            victim = rng.choice(workers)
            os.kill(victim, signal.SIGKILL)
            kills += 1
        try:
            _, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            _, err = proc.communicate()
        if "Traceback" in err:
            raise SystemExit(f"chaos: a traceback after killing worker {victim}:\n{err}")
        if proc.returncode == 0 and victim is None:
            break  # the sweep finished before a worker could be killed
    final = subprocess.run([BNINIT, *sweep_args(opts, runs_dir)], capture_output=True, text=True)
    if final.returncode != 0:
        raise SystemExit(f"chaos: the last sweep failed:\n{final.stderr}")
    return {"kills": kills, "sweeps_started": restarts + 1}


def _checkpointed(runs_dir: Path, since: float) -> bool:
    """Whether a run of this sweep has written a checkpoint since `since`."""
    return any(p.stat().st_mtime > since for p in runs_dir.rglob("checkpoint.pt") if p.exists())


def results(runs_dir: Path) -> dict:
    return {
        (Path(p).parent.parent.name, Path(p).parent.name): json.loads(Path(p).read_text())
        for p in runs_dir.rglob("result.json")
    }


def resumptions(runs_dir: Path) -> dict:
    """From the runs' train.log files: the epoch each resume continued after, and the runs that
    logged an epoch twice (trained it again: a resume that did not continue from its checkpoint)."""
    after, twice = [], []
    for log in sorted(runs_dir.rglob("train.log")):
        text = log.read_text()
        after += [int(n) for n in re.findall(r"^resuming \S+ after epoch (\d+)/", text, re.M)]
        epochs = re.findall(r"^epoch\s+(\d+)/", text, re.M)
        if len(epochs) != len(set(epochs)):
            twice.append(f"{log.parent.parent.name}/{log.parent.name}")
    return {"resumed_after_epochs": sorted(after), "epochs_trained_twice": twice}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--kills", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--min-wait", type=float, default=4.0, help="seconds before a kill, at least")
    parser.add_argument("--max-wait", type=float, default=12.0, help="seconds before a kill, at most")
    parser.add_argument("--seed", type=int, default=0, help="of the kill schedule")
    parser.add_argument("--out", type=Path, default=Path("outputs/chaos"))
    parser.add_argument("overrides", nargs="*", help="KEY=VALUE for every run, e.g. gamma=0.5")
    opts = parser.parse_args()
    shutil.rmtree(opts.out, ignore_errors=True)
    start = time.perf_counter()
    clean = subprocess.run([BNINIT, *sweep_args(opts, opts.out / "clean")], capture_output=True, text=True)
    if clean.returncode != 0:
        raise SystemExit(f"chaos: the uninterrupted sweep failed:\n{clean.stderr}")
    clean_s = time.perf_counter() - start
    start = time.perf_counter()
    happened = chaos(opts, opts.out / "chaos", random.Random(opts.seed))
    chaos_s = time.perf_counter() - start

    frame = pd.read_csv(opts.out / "chaos" / "demo.csv")
    per_run = frame.groupby(["cell", "seed"]).size()
    reference, got = results(opts.out / "clean"), results(opts.out / "chaos")
    differ = [
        key
        for key in reference
        if key not in got
        or any(got[key][k] != reference[key][k] for k in SAME)
        or [h["val_acc"] for h in got[key]["history"]] != [h["val_acc"] for h in reference[key]["history"]]
    ]
    resumed = resumptions(opts.out / "chaos")
    summary = {
        **happened,
        "runs": len(reference),
        "rows": len(frame),
        "all_done": bool((frame["status"] == "done").all()),
        "one_row_per_run": bool(per_run.eq(1).all()) and len(per_run) == len(reference),
        "resumes": len(resumed["resumed_after_epochs"]),
        **resumed,
        "results_equal_uninterrupted": not differ,
        "uninterrupted_s": round(clean_s, 1),
        "with_chaos_s": round(chaos_s, 1),
    }
    print(json.dumps(summary, indent=2))
    ok = summary["all_done"] and summary["one_row_per_run"] and not differ and len(frame) == len(reference)
    ok = ok and not resumed["epochs_trained_twice"] and 0 not in resumed["resumed_after_epochs"]
    print("chaos: OK" if ok else f"chaos: FAILED (differ: {differ})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
