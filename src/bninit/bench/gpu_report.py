"""`bninit gpu-check`'s Markdown: one section per step, from the report dict it writes as JSON."""

from bninit.bench.rows import describe, hms


def num(value, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def table(head: list[str], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(head) + " |",
        "|" + " --- |" * len(head),
        *("| " + " | ".join(r) + " |" for r in rows),
    ]


def status_line(step: dict) -> list[str]:
    """A failed or skipped step's one line (nothing for one that ran through)."""
    if step["status"] == "failed":
        return [f"**failed** after {step.get('seconds', 0):.0f} s: `{step.get('error', '')}`", ""]
    if step["status"] == "skipped":
        return [f"*{step.get('note', 'skipped')}*", ""]
    return []


def row_cells(r: dict, first: list[str]) -> list[str]:
    if r["status"] != "ok":
        return [*first, r["status"], r.get("note") or r.get("error", ""), *["-"] * 5]
    mem = "/".join(num(m) for m in r.get("peak_mem_mib_per_run", [r["peak_mem_mib"]]))
    return [
        *first,
        "ok",
        num(r["train_ips"]),
        num(r.get("train_x_ref"), 2),
        num(r["eval_ips"]),
        mem,
        hms(r["run_180_epochs_s"]),
        hms(r["cell_15_seeds_s"]),
    ]


def loop_section(step: dict) -> list[str]:
    lines = ["## 1. Loop benchmark: reference-style loop against bninit's", ""]
    if "rows" in step:
        s = step["sizes"]
        lines += [
            f"{step['arch']}, batch {step['batch_size']}, {s['train_images']} timed training and "
            f"{s['eval_images']} evaluation images per row, best of {s['repeats']} passes; one "
            "process per row. Projections: 180-epoch CIFAR-10 run, 15-seed cell one run at a time.",
            "",
        ]
        head = [
            "loop",
            "options",
            "status",
            "train img/s",
            "x ref",
            "eval img/s",
            "peak MiB",
            "180-epoch run",
            "15-seed cell",
        ]
        lines += table(head, [row_cells(r, [r["loop"], r["options"]]) for r in step["rows"]]) + [""]
    return lines + status_line(step)


def projection_section(step: dict) -> list[str]:
    lines = ["## 2. One full epoch with the defaults, projected", ""]
    if "train_s" in step:
        lines += [
            f"{step['arch']}, batch {step['batch_size']}, options {describe(step['options'])}: "
            f"{step['train_images']} training images in {step['train_s']:.2f} s "
            f"({step['train_ips']:,.0f} img/s), {step['val_images']} val in {step['val_s']:.2f} s, "
            f"{step['test_images']} test in {step['test_s']:.2f} s (measured epoch + evaluation: "
            f"{step['measured_epoch_s']:.1f} s; peak {num(step['peak_mem_mib'])} MiB).",
            "",
            f"* CIFAR-10 epoch (45k train + 5k val): **{step['epoch_s']:.1f} s**",
            f"* 180-epoch run ({step['eval_test']}): **{hms(step['run_180_epochs_s'])}**",
            f"* 15-seed cell, one run at a time: **{hms(step['cell_15_seeds_s'])}** "
            "(with k runs at once: see 3)",
            "",
        ]
    return lines + status_line(step)


def concurrent_section(step: dict) -> list[str]:
    lines = ["## 3. Concurrent runs on one device (runs_per_gpu = k)", ""]
    if "rows" in step:
        lines += [
            f"{step['arch']}, bninit's default options; train img/s summed over the k runs; peak "
            f"memory of each run ({step['memory']}); projections with k runs at once.",
            "",
        ]
        head = [
            "k",
            "status",
            "train img/s (all k)",
            "eval img/s",
            "peak MiB per run",
            "180-epoch run",
            "15-seed cell",
        ]
        lines += table(
            head,
            [[c for i, c in enumerate(row_cells(r, [str(r["concurrent"])])) if i != 3] for r in step["rows"]],
        ) + [""]
        if step.get("best_k"):
            lines += [f"Most images/s in all: **k = {step['best_k']}**.", ""]
    return lines + status_line(step)


def determinism_section(step: dict) -> list[str]:
    lines = ["## 4. Determinism: the same seed twice", ""]
    if "deterministic" in step:
        lines += [
            f"{step['arch']}, seed {step['seed']}, {step['epochs']} epochs of {step['train']} images; "
            "per-epoch train loss/accuracy and test accuracy, and a checksum of the final weights.",
            "",
        ]
        rows = []
        for name in ("deterministic", "nondeterministic"):
            d = step[name]
            diff = d["max_abs_diff"]
            rows.append(
                [
                    f"deterministic={str(name == 'deterministic').lower()}",
                    "**identical**" if d["identical"] else "differ",
                    " / ".join(d["checksums"]),
                    f"{diff['train_loss']:.3g}",
                    f"{diff['test_acc']:.3g}",
                    f"{d['max_abs_weight_diff']:.3g}",
                    f"{d['epoch_s']:.3f}",
                ]
            )
        lines += table(
            [
                "setting",
                "two runs",
                "weight checksums",
                "max loss diff",
                "max test acc diff (pp)",
                "max weight diff",
                "epoch s",
            ],
            rows,
        ) + [""]
        lines += [
            f"deterministic=false runs at **{step['speedup_nondeterministic']:.2f}x** the speed of "
            "deterministic=true (last epoch)." + (f" {step['note']}." if step.get("note") else ""),
            "",
        ]
    return lines + status_line(step)


def sweep_section(step: dict) -> list[str]:
    lines = ["## 5. Mini sweep through the bninit command", ""]
    if "runs" in step:
        c = step.get("collected", {})
        lines += [
            f"`{step.get('train', {}).get('command', '')}`",
            "",
            f"* runs done: **{c.get('done', 0)} of {step['runs']}** "
            f"(statuses {', '.join(c.get('statuses', []))};"
            f" devices {', '.join(c.get('devices', []))}; at most {c.get('max_runs_at_once', '-')} at once)",
            f"* GPU slots: {step['gpu_slots']}; claim check with {step['claims']['simulated_gpus']} "
            f"simulated GPUs x {step['claims']['slots']} slots: claims {step['claims']['claims']} "
            f"({'as expected' if step['claims']['ok'] else 'expected ' + str(step['claims']['expected'])})",
        ]
        for name in ("train", "collect", "report"):
            if name in step:
                lines.append(f"* `bninit {name}`: exit {step[name]['rc']}, {step[name]['seconds']:.1f} s")
        lines.append("")
        if step.get("report", {}).get("markdown"):
            lines += ["`bninit report` printed:", "", "```", step["report"]["markdown"].rstrip(), "```", ""]
    return lines + status_line(step)


def markdown(report: dict) -> str:
    m = report["machine"]
    lines = [f"# bninit GPU check, {m['date_utc']} UTC", ""]
    if not report["gpu"]:
        lines += [f"> **CPU run: {report['note']}.**", ""]
    else:
        g = report["gpu_info"]
        others = f"; {g['of'] - 1} other GPU(s) unused" if g["of"] > 1 else ""
        about = (
            f"{g.get('memory_gib', '?')} GiB, compute {g.get('capability', '?')}, "
            f"bf16 {'yes' if g['bf16'] else 'no'}, CUDA {g.get('cuda', '?')}"
        )
        lines += [f"GPU {g['index']} of {g['of']}: **{g['name']}** ({about}){others}.", ""]
        if g.get("error"):
            lines += [f"*{g['error']}*", ""]
    lines += [
        f"Machine: {m['cpu']}, {m['cpu_count']} cores, torch {m['torch']}, Python {m['python']}. "
        f"Command: `{report['command']}`; {report.get('wall_s', 0):.0f} s of a {report['budget_s']:.0f} s "
        "budget.",
        "",
    ]
    sections = {
        "loop": loop_section,
        "projection": projection_section,
        "concurrent": concurrent_section,
        "determinism": determinism_section,
        "sweep": sweep_section,
    }
    for name, section in sections.items():
        if name in report["steps"]:
            lines += section(report["steps"][name])
    return "\n".join(lines).rstrip() + "\n"
