"""Does the fast path change what is measured? 15 digits runs with bninit's fast defaults against
15 with the reference settings (fp32, NCHW, test every epoch), same seeds, same everything else.

    bninit bench accuracy                # 30 runs of 30 epochs; about 5-10 min on 2 cores
    bninit bench accuracy --with-bf16    # and 15 more with precision=bf16

Runs go through bninit.run.train.run (resumable, skipped when done) under --runs-dir; the summary is
printed as a markdown table and written to results/bench/accuracy-digits.json.
"""

import json
import statistics
import time
from pathlib import Path

import torch
from scipy import stats

from bninit.atomic import write_text
from bninit.bench.parser import OneLineParser
from bninit.config.compose import compose_run_config
from bninit.run.train import run

SETTINGS = {
    "reference (fp32, NCHW, every_epoch)": ["precision=fp32", "channels_last=false", "eval_test=every_epoch"],
    "fast defaults (fp32, channels_last, at_best)": [],
}
BF16 = {"fast + bf16": ["precision=bf16"]}


def main(argv: list[str] | None = None) -> int:
    p = OneLineParser(prog="bninit bench accuracy", description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, default=15)
    p.add_argument("--runs-dir", default="runs/speed-accuracy")
    p.add_argument("--with-bf16", action="store_true")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    p.add_argument("--out", default="results/bench/accuracy-digits.json")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    settings = {**SETTINGS, **(BF16 if args.with_bf16 else {})}
    accs, seconds = {}, {}
    for name, overrides in settings.items():
        results = [
            run(
                compose_run_config(
                    ["dataset=digits", "device=cpu", f"runs_dir={args.runs_dir}", f"seed={seed}", *overrides]
                )
            )
            for seed in range(1, args.seeds + 1)
        ]
        accs[name] = [r["test_acc_at_best_val"] for r in results]
        seconds[name] = [r["wall_time_s"] for r in results]
    names = list(settings)
    reference = accs[names[0]]
    rows = []
    print("| settings | test acc at best val (mean +- std) | mean run s | paired t-test p vs reference |")
    print("| --- | --- | --- | --- |")
    for name in names:
        mean, std = statistics.mean(accs[name]), statistics.stdev(accs[name])
        p_value = None if name == names[0] else float(stats.ttest_rel(accs[name], reference).pvalue)
        rows.append(
            {
                "settings": name,
                "overrides": settings[name],
                "test_acc": accs[name],
                "mean": mean,
                "std": std,
                "mean_wall_s": statistics.mean(seconds[name]),
                "paired_p": p_value,
            }
        )
        print(
            f"| {name} | {mean:.2f} +- {std:.2f} | {statistics.mean(seconds[name]):.1f} | "
            f"{'-' if p_value is None else f'{p_value:.2f}'} |"
        )
    within = all(abs(r["mean"] - rows[0]["mean"]) <= min(r["std"], rows[0]["std"]) for r in rows)
    print(f"\nmeans within one std of the reference: {within}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text(
        out,
        json.dumps(
            {
                "date_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
                "dataset": "digits",
                "seeds": args.seeds,
                "rows": rows,
                "means_within_one_std": within,
            },
            indent=2,
        )
        + "\n",
    )
    print(f"wrote {out}")
    return 0
