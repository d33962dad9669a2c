"""`bninit gpu-check`'s Markdown: one section per step, from the report dict it writes as JSON."""

from bninit.bench.rows import hms


def num(value, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def table(head: list[str], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(head) + " |",
        "|" + " --- |" * len(head),
        *("| " + " | ".join(r) + " |" for r in rows),
    ]


def status_line(step: dict) -> list[str]:
    """A failed, cut or skipped step's one line (nothing for one that ran through)."""
    if step["status"] == "failed":
        return [f"**failed** after {step.get('seconds', 0):.0f} s: `{step.get('error', '')}`", ""]
    if step["status"] == "cut":
        return [f"**cut** after {step.get('seconds', 0):.0f} s: {step.get('note', '')}", ""]
    if step["status"] == "skipped":
        return [f"*{step.get('note', 'skipped')}*", ""]
    return []


def percent(value) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def precision_section(step: dict) -> list[str]:
    lines = ["## 1. The default run at fp32, tf32 and bf16, projected", ""]
    if "rows" in step:
        s, a = step["sizes"], step["arithmetic"]
        lines += [
            f"{step['arch']}, batch {step['batch_size']}, bninit's default options at each precision "
            f"(fp32 = IEEE fp32): one epoch of {s['train']} training images, then {s['val']} val and "
            f"{s['test']} test images. Projections: a 180-epoch CIFAR-10 run ({step['eval_test']}), a "
            f"15-seed cell one run at a time. Against the peak: {a['formula']} = "
            f"{a['run_flop']:.3g} FLOP per run's training; peaks: {step['peak_source']}.",
            "",
        ]
        head = [
            "precision",
            "status",
            "train img/s",
            "eval img/s",
            "epoch s",
            "180-epoch run",
            "15-seed cell",
            "TFLOP/s",
            "of peak",
            "run at peak",
            "matmul TFLOP/s",
            "counted GFLOP/img",
        ]
        rows = []
        for r in step["rows"]:
            if r["status"] != "ok":
                rows.append([r["precision"], r["status"], r.get("note") or r.get("error", ""), *["-"] * 9])
                continue
            at_peak = r.get("run_train_s_at_peak")
            rows.append(
                [
                    r["precision"],
                    "ok",
                    num(r["train_ips"]),
                    num(r["eval_ips"]),
                    f"{r['epoch_s']:.1f}",
                    hms(r["run_180_epochs_s"]),
                    hms(r["cell_15_seeds_s"]),
                    num(r["achieved_tflops"], 1),
                    percent(r.get("fraction_of_peak")),
                    "-" if at_peak is None else hms(at_peak),
                    num(r["matmul_tflops"], 1),
                    num(r["counted_gflop_per_image"], 2),
                ]
            )
        lines += table(head, rows) + [""]
    return lines + status_line(step)


def packing_section(step: dict) -> list[str]:
    lines = ["## 3. Packing: K seeds on one device", ""]
    if "rows" in step:
        s = step["sizes"]
        lines += [
            f"{s['arch']}, batch {s['batch_size']} per seed, {s['precision']}, {s['steps']} steps "
            f"(images/s over the last {s['steps'] - s['warmup']}); loss diff: the largest difference "
            f"of each seed's first {s['loss_steps']} losses from the same seed trained alone "
            f"(K = {s['compare_k']}); memory: {step.get('memory', '-')}."
            + (f" **{step['note']}.**" if step.get("note") else ""),
            "",
        ]
        head = ["method", "K", "status", "train img/s (all K)", "x one seed", "peak MiB", "loss diff"]
        rows = []
        for r in step["rows"]:
            if r["status"] != "ok":
                rows.append([r["method"], str(r["k"]), r["status"], r.get("error", ""), "-", "-", "-"])
                continue
            diff = r.get("max_loss_diff_vs_alone")
            rows.append(
                [
                    r["method"],
                    str(r["k"]),
                    "ok",
                    num(r["train_ips"]),
                    num(r.get("x_one_seed"), 2),
                    num(r.get("peak_mem_mib")),
                    "-" if diff is None else f"{diff:.2g}",
                ]
            )
        lines += table(head, rows) + [""]
    return lines + status_line(step)


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
    lines = ["## 5. Loop benchmark: reference-style loop against bninit's", ""]
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


def determinism_section(step: dict) -> list[str]:
    lines = ["## 2. Determinism: the same seed twice", ""]
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
    lines = ["## 4. Mini sweep through the bninit command", ""]
    if "runs" in step:
        c = step.get("collected", {})
        lines += [
            f"`{step.get('train', {}).get('command', '')}`",
            "",
            f"* runs done: **{c.get('done', 0)} of {step['runs']}** "
            f"(statuses {', '.join(c.get('statuses', []))};"
            f" devices {', '.join(c.get('devices', []))}; at most {c.get('max_runs_at_once', '-')} at once)",
        ]
        if "claims" in step:  # (a sweep cut at its budget has none)
            claims = step["claims"]
            lines.append(
                f"* GPU slots: {step['gpu_slots']}; claim check with {claims['simulated_gpus']} "
                f"simulated GPUs x {claims['slots']} slots: claims {claims['claims']} "
                f"({'as expected' if claims['ok'] else 'expected ' + str(claims['expected'])})"
            )
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
        "precision": precision_section,
        "determinism": determinism_section,
        "packing": packing_section,
        "sweep": sweep_section,
        "loop": loop_section,
    }
    for name, section in sections.items():
        if name in report["steps"]:
            lines += section(report["steps"][name])
    return "\n".join(lines).rstrip() + "\n"
