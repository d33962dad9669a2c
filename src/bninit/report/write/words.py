"""The words of a report: numbers formatted, the pairs' verdicts, the caption of the main table
(test, alpha, n, pairing, correction, the preset's choices) and the power note under a table."""

import math

import pandas as pd

from bninit.report.judge.analysis import Report
from bninit.report.judge.pairs import POWER_TARGET, Compared

# What a preset's study takes that the paper does not state (docs/protocol.md, "bninit's choices").
PRESET_CHOICES = {
    "input_norm": "gamma 0.1 at lr 0.1 and 0.05 at lr 0.01 (Table 1a's best), the ±0.5-point margin",
    "strong_base": "gamma 0.1 and c 100 for ours, 4-pixel zero padding for the crops",
    "ablation": "the grid (c = 1 and c = 100 at Table 1a's gammas and lrs)",
    "alt": "A2's lambda learns at the base lr",
}


def fmt_p(p: float) -> str:
    if math.isnan(p):
        return "-"
    return f"{p:.1e}" if p < 1e-3 else f"{p:.3f}"


def fmt_num(x: float, digits: int = 2) -> str:
    return "-" if math.isnan(x) else f"{x:.{digits}f}"


def verdict(pair, alpha: float, holm: bool = False) -> str:
    if not pair["n_pairs"] >= 2:
        return "no test"
    if not pair["significant"]:
        return "n.s."
    return f"{'better' if pair['mean_diff'] > 0 else 'worse'} ({'Holm ' if holm else ''}p <= {alpha:g})"


def equivalence_verdict(pair, alpha: float) -> str:
    """The TOST's answer: "equivalent within ±m" when its p <= alpha."""
    if not pair["n_pairs"] >= 2:
        return "no test"
    return f"equivalent within ±{pair['margin']:g}" if pair["equivalent"] else "not shown equivalent"


def fmt_power(x: float) -> str:
    return "-" if math.isnan(x) else f"{100 * x:.0f}%"


def power_note(report: Report, rows: pd.DataFrame, labels: dict) -> str:
    """One line under a table with non-significant pairs: could this study have seen a true
    difference the size of the one observed (power >= 80 %)? `labels`: row index -> pair name.
    Always shown where a pair is not significant (--power adds the columns to every table)."""
    parts = []
    for index, pair in rows.iterrows():
        if pair["significant"] or not pair["n_pairs"] >= 2:
            continue
        if math.isnan(pair["power_observed"]):
            parts.append(f"{labels[index]}: no power figure (the differences have no spread)")
            continue
        seen = "yes" if pair["power_observed"] >= POWER_TARGET else "no"
        parts.append(
            f"{labels[index]}: |Δ| {abs(pair['mean_diff']):.2f}, power {fmt_power(pair['power_observed'])}, "
            f"80% power needs Δ >= {pair['mde']:.2f}: {seen}"
        )
    if not parts:
        return ""
    return (
        f"Could this study have seen the non-significant differences? (power of the same paired t-test "
        f"at α = {report.alpha:g} against a true difference the size of the observed |Δ|; yes when "
        f">= 80%): " + "; ".join(parts) + "."
    )


def reference_name(compared: Compared | None) -> str:
    if compared is None or compared.spec.is_base:
        return "BASE"
    return f"the reference ({' '.join(f'{k}={v}' for k, v in compared.spec.against.items())})"


def sided(alternative: str) -> str:
    return "one-sided" if alternative == "greater" else "two-sided"


def lrs(cells: pd.DataFrame) -> list[float]:
    return sorted(cells["lr"].unique(), reverse=True)


def caption(report: Report) -> str:
    """What the table shows and how it was tested: test, alpha, n, pairing, correction. BOLD and
    UNDER stand for the words "bold" and "underlined", which each writer marks its own way."""
    n = report.cells["n"]
    seeds = f"{n.min()}" if n.min() == n.max() else f"{n.min()}-{n.max()}"
    primary = report.primary
    ref = reference_name(primary)
    correction = ""
    if report.holm:
        family = "this report" if len(report.comparisons) == 1 else f"the comparison with {ref}"
        correction = f", Holm-corrected across the {report.n_tested} comparisons of {family}"
    settings = ", ".join(
        f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
        for k, v in report.settings.items()
        if k not in ("dataset", "arch")
    )
    layout = report.layout
    text = layout.describe(seeds, report.extra_keys)
    same, pairs = layout.same_column, layout.pairing
    if primary is None:
        text += "No bold: this report compares cells pairwise only (below). "
    elif primary.alternative == "greater":
        text += (
            f"BOLD: better than {ref}{same} by a one-sided paired t-test "
            f"(H1: cell > {ref}; {pairs}) at α = {report.alpha:g}"
            f"{correction}. "
        )
    else:
        text += (
            f"BOLD: better than {ref}{same} by a two-sided paired t-test "
            f"(H1: cell ≠ {ref}, bold where the cell's mean is the higher; {pairs}) "
            f"at α = {report.alpha:g}{correction}. "
        )
    text += "UNDER: highest mean of the column."
    if primary is not None:
        text += f" † no test (fewer than 2 {layout.unit}s paired with {ref})."
    if report.paper:
        text += (
            f" paper: Table {report.paper} of Davis & Frank (2022), mean ± std over 15 seeds; "
            f"Δ/σ: (ours - paper) / paper std."
        )
    if report.preset:
        how = "given" if report.preset_source == "given" else "found from the CSV's cells"
        text += f" Study: preset {report.preset} ({how})."
        if report.preset in PRESET_CHOICES:
            text += f" bninit's choice (the paper does not state it): {PRESET_CHOICES[report.preset]}."
    text += f" Settings: {settings}." if settings else ""
    return text
