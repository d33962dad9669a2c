"""The paper's published numbers and claims, shipped with bninit: Davis & Frank 2022, Tables 1a,
1b, 2a, 2b (mean and std of test accuracy over 15 seeds) as paper_tables.csv, beside ours; its
claims (Sect. 4.4 and 4.5) as claims.csv, each with the cells and the test that check it."""

import math
from importlib import resources

import numpy as np
import pandas as pd

from bninit.errors import UserError

PAPER_TABLES = ("1a", "1b", "2a", "2b", "sb")  # sb: the stronger BASE (Sect. 4.4), a mean without a std


def paper_numbers(table: str) -> pd.DataFrame:
    """The paper's published mean and std for one table (1a, 1b, 2a, 2b), shipped with bninit."""
    if table not in PAPER_TABLES:
        raise UserError(f"--paper {table!r}: unknown table; known: {', '.join(PAPER_TABLES)}")
    with resources.files(__package__).joinpath("paper_tables.csv").open() as handle:
        numbers = pd.read_csv(handle)
    return numbers[numbers["table"] == table].reset_index(drop=True)


def load_claims() -> pd.DataFrame:
    """The paper's claims, a row each (claims.csv; judged by `bninit.report.judge.claims`)."""
    with resources.files(__package__).joinpath("claims.csv").open() as handle:
        return pd.read_csv(handle, keep_default_na=False)


def add_paper(cells: pd.DataFrame, table: str) -> pd.DataFrame:
    """The paper's mean +- std of the same (dataset, arch, method, gamma, c, lr), and our distance
    from it in units of the paper's std."""
    paper = paper_numbers(table)

    def lookup(cell):
        match = paper[
            (paper["dataset"] == cell["dataset"])
            & (paper["arch"] == cell["arch"])
            & (paper["method"] == cell["bn"])
            & np.isclose(paper["gamma"], cell["gamma"])
            & np.isclose(paper["c"], cell["c"])
            & np.isclose(paper["lr"], cell["lr"])
        ]
        if match.empty:
            return pd.Series({"paper_mean": math.nan, "paper_std": math.nan})
        return pd.Series({"paper_mean": match.iloc[0]["mean"], "paper_std": match.iloc[0]["std"]})

    found = cells.apply(lookup, axis=1)
    cells = pd.concat([cells, found], axis=1)
    cells["paper_delta_sd"] = (cells["mean"] - cells["paper_mean"]) / cells["paper_std"]
    return cells
