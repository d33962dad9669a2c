"""The "Does it reproduce?" section of a report and the paper's claims table: a summary line per
judgement, what the tests are, a row per cell or claim (neutral tables, printed by the Markdown and
LaTeX writers), and the demo's last words against its reference."""

import math

import pandas as pd

from bninit.report.judge.reproduction import PAPER_N, Reproduction, comparable_reference
from bninit.report.stats.welch import VERDICTS
from bninit.report.write.neutral_table import Table, cells
from bninit.report.write.words import fmt_num, fmt_p

TITLE = "Does it reproduce?"


def summary(rep: Reproduction) -> str:
    """'Table 1a: 20 of 24 cells consistent, 1 lower, 3 inconclusive'."""
    if rep.rows.empty:
        return f"{rep.name}: no cell of this study has a published number there"
    counts = rep.counts()
    parts = [f"{counts['consistent']} of {len(rep.rows)} cells consistent"]
    parts += [f"{counts[v]} {v}" for v in VERDICTS[1:] if counts[v]]
    return f"{rep.name}: " + ", ".join(parts)


def _label(row) -> str:
    method = (
        "BASE" if row.get("bn") == "base" and row.get("gamma") == 1 and row.get("c") == 1 else row.get("bn")
    )
    parts = [f"{row['dataset']} / {row['arch']}"] if "dataset" in row and "arch" in row else []
    parts.append(str(method))
    if method != "BASE" and "gamma" in row:
        parts.append(f"γ={row['gamma']:g} c={row['c']:g}")
    if "lr" in row:
        parts.append(f"lr {row['lr']:g}")
    return " ".join(parts)


def _pm(mean: float, std: float) -> str:
    return fmt_num(mean) if math.isnan(std) else f"{fmt_num(mean)} ± {fmt_num(std)}"


def intro(rep: Reproduction) -> str:
    other = "the paper" if rep.against == "paper" else "the reference"
    a = rep.alpha
    text = (
        f"Each cell against {other} (Δ = ours - {other.split()[-1]}; CI: the {100 * (1 - 2 * a):g}% Welch "
        f"interval of Δ that the TOST uses; Welch p: two-sided Welch t-test; TOST p: the larger p of "
        f"Welch's two one-sided tests against Δ = -{rep.margin:g} and +{rep.margin:g} points). Verdict: "
        f"consistent when TOST p <= {a:g}; else higher / lower when Welch p <= {a:g}; else inconclusive "
        f"(too few seeds or too much spread to say)."
    )
    if rep.against == "paper":
        text += (
            f" The paper's std is read as the sample std (ddof 1) over n = {PAPER_N} seeds: bninit's "
            f"reading, the paper states neither. A mean published without a std is tested with a "
            f"one-sample t-test of our seeds (its p in the Welch column, test: one-sample t)."
        )
    return text


def verdict_table(rep: Reproduction) -> Table:
    paper = rep.against == "paper"
    head = [
        "cell",
        "n",
        "mean ± std",
        "paper" if paper else "reference",
        "Δ [CI]",
        "Welch p",
        "TOST p",
        "verdict",
    ]
    head += ["test"] if paper else ["identical seeds"]
    body = []
    for _, row in rep.rows.iterrows():
        ref = "paper" if paper else "reference"
        ci = f"{row['delta']:+.2f}" + (
            "" if math.isnan(row["ci_low"]) else f" [{row['ci_low']:+.2f}, {row['ci_high']:+.2f}]"
        )
        line = [
            _label(row),
            str(int(row["n"])),
            _pm(row["mean"], row["std"]),
            _pm(row[f"{ref}_mean"], row[f"{ref}_std"]),
            ci,
            fmt_p(row["welch_p"]),
            fmt_p(row["tost_p"]),
            row["verdict"],
        ]
        line += [row["test"]] if paper else [f"{int(row['identical_seeds'])}/{int(row['common_seeds'])}"]
        body.append(cells(line))
    note = ""
    if not paper:
        note = "Hardware: " + "; ".join(dict.fromkeys(rep.rows["hardware"])) + "."
    return Table(cells(head), body, "lrllrrrl" + "l", intro(rep), note)


def claims_csv(claims: pd.DataFrame) -> pd.DataFrame:
    """claims.csv: the judged claims, each with its note (the gains of a claim stated without a
    test, or "equivalent within ±m points (TOST)")."""
    notes = [
        "; ".join(f"{name}: {gain:+.2f}" for name, gain in claim["gains"])
        if claim["gains"]
        else (
            ""
            if math.isnan(claim["equivalent_within"])
            else f"equivalent within ±{claim['equivalent_within']:g} points (TOST)"
        )
        for _, claim in claims.iterrows()
    ]
    return claims[["claim", "section", "statement", "test", "cells", "p", "verdict"]].assign(note=notes)


def claims_table(claims: pd.DataFrame) -> Table:
    """The paper's claims: a row each, with its test, p and verdict (claims.csv has the cells)."""
    claims = claims_csv(claims)
    body = [
        cells([c["claim"], c["section"], c["statement"], c["test"], fmt_p(c["p"]), c["verdict"], c["note"]])
        for _, c in claims.iterrows()
    ]
    head = ["claim", "section", "statement", "test", "p (Holm)", "verdict", "note"]
    intro = "The paper's claims (Sect. 4.4, 4.5) on this study's cells; claims.csv lists the cells of each."
    return Table(cells(head), body, "llllrll", intro)


def sections(reproductions: list[Reproduction]) -> list[tuple[str, Table]]:
    """(summary line, table) per judgement."""
    return [(summary(rep) + ".", verdict_table(rep)) for rep in reproductions]


def against_reference_lines(csv_path, reference_path, margin: float = 1.0, alpha: float = 0.05) -> list[str]:
    """The demo's last words: its verdict against a reference study, a line per cell, when both
    ran the same cells and seeds; else one line saying no comparable reference exists."""
    rep, why = comparable_reference(csv_path, reference_path, margin, alpha)
    if rep is None:
        return [f"no comparable reference: {why}"]
    lines = [summary(rep) + f" (margin ±{margin:g} points, α = {alpha:g})"]
    for _, row in rep.rows.iterrows():
        lines.append(
            f"  {_label(row)}: {row['mean']:.2f} vs {row['reference_mean']:.2f} (Δ {row['delta']:+.2f}, "
            f"Welch p {fmt_p(row['welch_p'])}, TOST p {fmt_p(row['tost_p'])}; "
            f"{int(row['identical_seeds'])}/{int(row['common_seeds'])} seeds bit-identical): {row['verdict']}"
        )
    lines.append("  hardware: " + "; ".join(dict.fromkeys(rep.rows["hardware"])))
    return lines
