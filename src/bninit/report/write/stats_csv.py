"""stats.csv: one row per cell with every number the report shows against its reference in the
primary comparison, then one row per pair of every other comparison."""

import pandas as pd

from bninit.report.judge.analysis import Report
from bninit.report.judge.pairs import (
    PAIR_COLUMNS,
    PAPER_PAIR_COLUMNS,
    POWER_COLUMNS,
    TEST_COLUMNS,
    TOST_COLUMNS,
)

STATS_COLUMNS = (
    "block",
    "cell",
    "n",
    "seeds",
    "mean",
    "std",
    "against",
    "alternative",
    "reference",
    "ref_mean",
    *TEST_COLUMNS,
    "best_in_column",
    "paper_mean",
    "paper_std",
    "paper_delta_sd",
    "paper_ref_mean",
    "paper_diff",
    *POWER_COLUMNS,
    "margin",
    "tost_p",
    "equivalent",
)


def stats_table(report: Report) -> pd.DataFrame:
    """One row per cell: its config and every number the report shows, against its reference in
    the primary comparison; then one row per pair of each other comparison (`against` says which)."""
    cells = report.cells.copy()
    cells["seeds"] = [" ".join(map(str, accs)) for accs in cells["seed_acc"]]
    cfg = [col for col in cells.columns if col in report.block_cols or col in (*report.row_keys, "lr")]
    pair_cols = (*PAIR_COLUMNS, *PAPER_PAIR_COLUMNS, *TOST_COLUMNS)
    own = [col for col in cells.columns if col not in pair_cols]
    parts = [cells]
    for compared in report.comparisons:
        if compared is report.primary or compared.rows.empty:
            continue
        part = cells.loc[compared.rows["cell_index"], own].reset_index(drop=True)
        rows = compared.rows.reset_index(drop=True)
        part = pd.concat([part, rows[[c for c in rows.columns if c not in part.columns]]], axis=1)
        part["against"], part["alternative"] = compared.spec.label, compared.alternative
        parts.append(part)
    table = pd.concat(parts, ignore_index=True)
    table = table[cfg + [col for col in STATS_COLUMNS if col in table.columns]]
    return report.layout.stats_columns(table)
