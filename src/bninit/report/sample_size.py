"""`bninit plan`: how many seeds a study needs, from a pilot study's CSV.

Each comparison of the pilot (the same ones `bninit report` makes: the preset's, else each cell
against BASE) gives the std of its paired differences; `power.seeds_needed` turns it into the
smallest n whose paired t-test (one-sided, or two-sided where the comparison is) detects a true
mean difference `effect` with the target power. Every cell of a study runs the same seeds, so the
study needs the largest of those n; x the preset's cells = runs; x the pilot's mean wall time per
run = device hours.
"""

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bninit.config.presets import preset_cells
from bninit.errors import UserError
from bninit.report.inputs.layout import BninitLayout
from bninit.report.inputs.options import ReportOptions
from bninit.report.inputs.study import read_runs
from bninit.report.judge.analysis import analyse
from bninit.report.judge.comparisons import choose
from bninit.report.stats import power

PAPER_SEEDS = 15


@dataclass(frozen=True)
class Plan:
    """The per-comparison seeds (`rows`) and what they add up to for the study."""

    csv: str
    effect: float
    target: float
    alpha: float
    rows: pd.DataFrame  # comparison, lr, alternative, pilot_pairs, sd_diff, seeds_needed, power_at_15
    preset: str | None
    cells: int
    seeds: int | None  # the largest seeds_needed; None when no comparison could be planned
    wall_time_s: float  # the pilot's mean per finished run (NaN without the column)
    device: str  # "GPU" or "CPU"

    @property
    def runs(self) -> int | None:
        return None if self.seeds is None else self.cells * self.seeds

    @property
    def hours(self) -> float:
        return math.nan if self.runs is None else self.runs * self.wall_time_s / 3600


def plan_study(
    csv_path: str | Path, effect: float, target: float = 0.8, alpha: float = 0.05, preset: str | None = None
) -> Plan:
    if not effect > 0:
        raise UserError(f"--effect {effect:g}: must be > 0 (a mean difference in accuracy points, e.g. 0.3)")
    if not 0 < target < 1:
        raise UserError(f"--power {target:g}: must be between 0 and 1 (e.g. 0.8)")
    if not 0 < alpha < 1:
        raise UserError(f"--alpha {alpha:g}: must be between 0 and 1 (e.g. 0.05)")
    runs = read_runs(csv_path)
    options = ReportOptions(alpha=alpha, preset=preset)
    choice = choose(runs, options, BninitLayout())  # the comparisons `bninit report` would make
    report = analyse(runs, options, choice)
    rows = []
    for compared in report.comparisons:
        for _, pair in compared.rows.iterrows():
            sd, n = pair["sd_diff"], int(pair["n_pairs"])
            usable = n >= 2 and sd > 0
            label = report.cells.loc[pair["cell_index"], "label"].replace("gamma=", "γ=")
            rows.append(
                {
                    "comparison": f"{label} vs {pair['ref_label'].replace('gamma=', 'γ=')}",
                    "block": pair["block"],
                    "lr": pair["lr"],
                    "alternative": compared.alternative,
                    "pilot_pairs": n,
                    "sd_diff": sd,
                    "seeds_needed": power.seeds_needed(effect, sd, alpha, target, compared.alternative)
                    if usable
                    else None,
                    "power_at_15": power.power(effect, sd, PAPER_SEEDS, alpha, compared.alternative)
                    if usable
                    else math.nan,
                }
            )
    table = pd.DataFrame(rows)
    if table.empty or not _usable(table).any():
        raise UserError(
            f"{csv_path}: no comparison has 2 or more paired seeds whose differences vary; a pilot "
            "needs at least 2 seeds per cell (3-5 are better)"
        )
    if table["seeds_needed"].isna().all():
        raise UserError(
            f"--effect {effect:g}: every comparison needs more than {power.MAX_SEEDS} seeds to detect it "
            f"(the std of the pilot's differences is {table['sd_diff'].min():.2f} or more); "
            "a larger effect is what this study could see"
        )
    found = report.preset
    cells = len(preset_cells(found)) if found else len(report.cells)
    done = runs[runs["status"] == "done"]
    wall = (
        float(pd.to_numeric(done["wall_time_s"], errors="coerce").mean())
        if "wall_time_s" in runs
        else math.nan
    )
    on_gpu = "device" in runs and runs["device"].astype(str).str.startswith("cuda").any()
    seeds = int(table["seeds_needed"].dropna().max())
    return Plan(
        str(csv_path), effect, target, alpha, table, found, cells, seeds, wall, "GPU" if on_gpu else "CPU"
    )


def _usable(rows: pd.DataFrame) -> pd.Series:
    """The comparisons a pilot can plan: 2 or more paired seeds whose differences vary."""
    return (rows["pilot_pairs"] >= 2) & (rows["sd_diff"] > 0)


def render_plan(plan: Plan) -> str:
    pilot = plan.rows["pilot_pairs"]
    span = f"{pilot.min()}" if pilot.min() == pilot.max() else f"{pilot.min()}-{pilot.max()}"
    lines = [
        f"Seeds needed to detect a true mean difference of {plan.effect:g} points with "
        f"{100 * plan.target:g}% power (paired t-test, α = {plan.alpha:g}, one-sided unless marked; "
        f"std of the differences from the pilot {plan.csv}, {span} paired seeds per comparison):",
        "",
        f"| comparison | block | lr | pilot pairs | std Δ | seeds needed | power at {PAPER_SEEDS} seeds |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for row in plan.rows.itertuples():
        sided = "" if row.alternative == "greater" else " (two-sided)"
        seeds = "-" if row.seeds_needed is None or pd.isna(row.seeds_needed) else str(int(row.seeds_needed))
        if seeds == "-" and row.pilot_pairs >= 2 and row.sd_diff > 0:  # usable, past the cap
            seeds = f"> {power.MAX_SEEDS}"
        sd = "-" if pd.isna(row.sd_diff) else f"{row.sd_diff:.2f}"
        pw = "-" if pd.isna(row.power_at_15) else f"{100 * row.power_at_15:.0f}%"
        cols = [f"{row.comparison}{sided}", row.block, f"{row.lr:g}", str(row.pilot_pairs), sd, seeds, pw]
        lines.append("| " + " | ".join(cols) + " |")
    where = f"preset {plan.preset}" if plan.preset else "the pilot's cells"
    past_cap = int((_usable(plan.rows) & plan.rows["seeds_needed"].isna()).sum())
    most = (
        "the most any comparison needs"
        if not past_cap
        else f"the most any comparison within {power.MAX_SEEDS} needs; {past_cap} need(s) more"
    )
    total = f"Study: {where}, {plan.cells} cells x {plan.seeds} seeds ({most}) = {plan.runs} runs"
    if math.isnan(plan.wall_time_s):
        total += "; no wall_time_s in the pilot, so no time estimate."
    else:
        total += (
            f"; at the pilot's mean wall time of {plan.wall_time_s:.0f} s per run "
            f"({plan.device}): {plan.hours:.1f} {plan.device}-hours."
        )
    notes = [
        "- = no estimate (fewer than 2 paired seeds, or differences without spread). The std of a "
        "few pilot seeds is itself uncertain: treat the seeds as a rough guide, not a guarantee."
    ]
    return "\n".join([*lines, "", total, "", *notes]) + "\n"
