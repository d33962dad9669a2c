"""The "Does it reproduce?" section of a report: a summary line per judgement, what the tests
are, and a row per cell (neutral tables, printed by the Markdown and LaTeX writers)."""

import math

from bninit.report.reproduce import PAPER_N, Reproduction
from bninit.report.table import Table, cells
from bninit.report.text import fmt_num, fmt_p

TITLE = "Does it reproduce?"


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


def sections(reproductions: list[Reproduction]) -> list[tuple[str, Table]]:
    """(summary line, table) per judgement."""
    return [(rep.summary() + ".", verdict_table(rep)) for rep in reproductions]
