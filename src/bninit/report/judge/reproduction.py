"""Does each cell reproduce? Every cell of a study judged against the paper's published mean ± std
(`--paper`) or against the same cell of another study (`--reference`): the rows of
reproduction.csv (verdict: consistent / higher / lower / inconclusive) and the hardware both
studies ran on."""

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from bninit.errors import UserError
from bninit.report.inputs.layout import METRIC
from bninit.report.inputs.study import config_columns, read_runs
from bninit.report.judge.analysis import Report
from bninit.report.stats import welch
from bninit.store.collect import HARDWARE_COLUMNS

PAPER_N = 15  # seeds per published cell (the paper: 15 runs)
KEYS = ("dataset", "arch", "bn", "gamma", "c", "lr")
JUDGED = ("delta", "ci_low", "ci_high", "welch_p", "tost_p", "margin", "verdict")


@dataclass(frozen=True)
class Reproduction:
    """One judgement of a study: `against` ("paper" or "reference"), its name (e.g. "Table 1a"),
    a row per judged cell (the columns of reproduction.csv) and the margin (accuracy points)."""

    against: str
    name: str
    rows: pd.DataFrame
    margin: float
    alpha: float

    def counts(self) -> dict[str, int]:
        """How many judged cells got each verdict, in `VERDICTS`' order."""
        found = self.rows["verdict"].value_counts() if len(self.rows) else {}
        return {v: int(found.get(v, 0)) for v in welch.VERDICTS}


def against_paper(report: Report, margin: float) -> Reproduction:
    """Every cell with a published number, against it: Welch from the summary statistics (the
    paper's std read as a sample std over 15 seeds), or a one-sample t-test where the paper gives
    a mean without a std."""
    rows = []
    for _, cell in report.cells.iterrows():
        if math.isnan(cell["paper_mean"]):
            continue
        values = list(cell["seed_acc"].values())
        if math.isnan(cell["paper_std"]):
            judged, test = (
                welch.from_mean(values, cell["paper_mean"], margin, report.alpha),
                "one-sample t",
            )
        else:
            judged = welch.from_summary(
                cell["mean"],
                cell["std"],
                cell["n"],
                cell["paper_mean"],
                cell["paper_std"],
                PAPER_N,
                margin,
                report.alpha,
            )
            test = "Welch"
        rows.append(
            {
                **{key: cell[key] for key in KEYS},
                "n": cell["n"],
                "mean": cell["mean"],
                "std": cell["std"],
                "paper_mean": cell["paper_mean"],
                "paper_std": cell["paper_std"],
                "paper_n": PAPER_N,
                **judged,
                "margin": margin,
                "test": test,
            }
        )
    return Reproduction("paper", f"Table {report.paper}", pd.DataFrame(rows), margin, report.alpha)


def against_reference(
    runs: pd.DataFrame, reference: pd.DataFrame, margin: float, alpha: float, name: str
) -> Reproduction:
    """Every cell of `runs` that `reference` also has (matched on every identity key both have),
    against it by Welch's t-test of the per-seed values; how many seeds are bit-identical and
    whether both ran on the same hardware."""
    keys = [k for k in config_columns(runs) if k in config_columns(reference) and k not in HARDWARE_COLUMNS]
    ours, theirs = _cells(runs, keys), _cells(reference, keys)
    common = [key for key in ours if key in theirs]
    if not common:
        raise UserError(
            f"--reference {name}: no cell in common with this study "
            f"(cells matched on {', '.join(keys) or 'no key'})"
        )
    rows = []
    for key in common:
        (values, machines), (ref_values, ref_machines) = ours[key], theirs[key]
        a, b = list(values.values()), list(ref_values.values())
        shared = [s for s in values if s in ref_values]
        same, note = _hardware(machines, ref_machines)
        rows.append(
            {
                **dict(zip(keys, key, strict=True)),
                "n": len(a),
                "mean": float(np.mean(a)) if a else math.nan,
                "std": float(np.std(a, ddof=1)) if len(a) > 1 else math.nan,
                "reference_mean": float(np.mean(b)) if b else math.nan,
                "reference_std": float(np.std(b, ddof=1)) if len(b) > 1 else math.nan,
                "reference_n": len(b),
                **welch.from_values(a, b, margin, alpha),
                "margin": margin,
                "common_seeds": len(shared),
                "identical_seeds": sum(values[s] == ref_values[s] for s in shared),
                "same_hardware": same,
                "hardware": note,
            }
        )
    return Reproduction("reference", f"Against {name}", pd.DataFrame(rows), margin, alpha)


def _cells(runs: pd.DataFrame, keys: list[str]) -> dict:
    """{cell key: ({seed: value} of its finished runs, the set of machines they ran on)}."""
    done = runs[(runs["status"] == "done") & runs[METRIC].notna()]
    found = {}
    for key, group in done.groupby(keys, sort=False, dropna=False) if keys else [((), done)]:
        key = key if isinstance(key, tuple) else (key,)
        group = group.drop_duplicates("seed", keep="first")
        machines = {
            tuple(str(row.get(col, "")) for col in HARDWARE_COLUMNS) if "cpu" in group else None
            for _, row in group.iterrows()
        }
        found[key] = (dict(zip(group["seed"], group[METRIC].astype(float), strict=True)), machines)
    return found


def _hardware(ours: set, theirs: set) -> tuple[str, str]:
    """(same_hardware yes / no / unknown, the reason in one line)."""
    recorded = [m for m in (*ours, *theirs) if m is not None and m[0] not in ("", "nan")]
    if len(recorded) < len(ours) + len(theirs):
        return "unknown", "hardware not recorded"
    if ours == theirs and len(ours) == 1:
        return "yes", "same hardware: per-seed numbers are expected to be bit-identical"
    cpus = {m[:2] for m in ours} != {m[:2] for m in theirs}
    what = "CPU kind" if cpus else "GPU or software"
    return "no", f"different {what}: per-seed numbers are not expected to match; compare cells"


def mixed_hardware(runs: pd.DataFrame) -> list[str]:
    """A warning per cell whose runs ran on more than one recorded machine."""
    if "cpu" not in runs:
        return []
    keys = config_columns(runs)
    warnings = []
    for key, group in runs[runs["cpu"].notna()].groupby(keys, sort=False, dropna=False):
        machines = group[[col for col in HARDWARE_COLUMNS if col in group]].astype(str).drop_duplicates()
        if len(machines) > 1:
            shown = " / ".join(sorted(set(machines["cpu"])))
            name = " ".join(f"{k}={v}" for k, v in zip(keys, key, strict=True) if k in KEYS)
            warnings.append(
                f"{name}: its runs ran on {len(machines)} different machines ({shown}); "
                "per-seed numbers may differ between them"
            )
    return warnings


def comparable_reference(csv_path, reference_path, margin: float = 1.0, alpha: float = 0.05):
    """(the study at `csv_path` judged against the one at `reference_path`, None) when both ran the
    same cells and seeds; else (None, why there is no comparable reference)."""
    reference_path = Path(reference_path)
    if not reference_path.is_file():
        return None, f"{reference_path} is not here"
    ours, theirs = read_runs(csv_path), read_runs(reference_path)
    keys = [k for k in config_columns(ours) if k in config_columns(theirs)]

    def plan(runs):
        return set(runs[keys].astype(str).itertuples(index=False, name=None))

    if plan(ours) != plan(theirs):
        return None, (
            f"{reference_path} was made with other settings or seeds "
            "(compare with a study of the same cells, seeds and epochs)"
        )
    return against_reference(ours, theirs, margin, alpha, str(reference_path)), ""
