"""The gamma x lr grid at a glance: for each block, a heatmap of each compared cell's mean paired
difference to its reference cell (accuracy points), a square per (gamma, lr), the number written
in it, bold with a * and a thick border when significant. The colour scale (cividis: its lightness
rises steadily, so it reads in grey print) is symmetric around zero: darker squares are below
the reference, lighter ones above, zero sits at the scale's middle.

An optional per-cell `verdict` (e.g. the paper-reproduction verdict: consistent / higher / lower
/ inconclusive) is carried into the table and written under the number."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.colors import Normalize  # noqa: E402

from bninit.atomic import atomic_write  # noqa: E402

COLUMNS = (
    "block",
    "method",
    "gamma",
    "lr",
    "reference",
    "ref_label",
    "n_pairs",
    "mean_diff",
    "p",
    "significant",
)


def grid_table(cells: pd.DataFrame) -> pd.DataFrame:
    """One row per compared cell (a cell with a reference and at least one pair): COLUMNS, plus
    `verdict` when `cells` has it. `method` names a heatmap of its block (the cell's row name
    without gamma); `p` is the p-value the significance used."""
    compared = cells[cells["reference"].notna() & (pd.to_numeric(cells["n_pairs"]) >= 1)]
    columns = [*COLUMNS, *(["verdict"] if "verdict" in cells else [])]
    table = compared.reindex(columns=columns).reset_index(drop=True)
    table["n_pairs"] = table["n_pairs"].astype(int)
    table["significant"] = table["significant"].astype(bool)
    return table


def _square_text(row) -> str:
    text = f"{row['mean_diff']:+.2f}" + ("*" if row["significant"] else "")
    verdict = row.get("verdict")
    return f"{text}\n{verdict}" if isinstance(verdict, str) and verdict else text


def plot_grid(table: pd.DataFrame, title: str, path: Path, unit: str = "points") -> Path:
    """One heatmap per method of `table` (one block's rows): gammas down, lrs across (largest
    first, as the paper's tables)."""
    methods = list(dict.fromkeys(table["method"]))
    gammas = sorted(table["gamma"].unique())
    lrs = sorted(table["lr"].unique(), reverse=True)
    limit = float(np.nanmax(np.abs(table["mean_diff"]))) if table["mean_diff"].notna().any() else 1.0
    norm = Normalize(-(limit or 1.0), limit or 1.0)  # symmetric: zero in the middle of the scale
    cmap = plt.get_cmap("cividis")
    width = 1.2 + 1.1 * len(lrs)
    fig, axes = plt.subplots(
        1, len(methods), figsize=(width * len(methods) + 1.2, 1.4 + 0.6 * len(gammas)), squeeze=False
    )
    for ax, method in zip(axes[0], methods, strict=True):
        rows = table[table["method"] == method]
        values = np.full((len(gammas), len(lrs)), np.nan)
        for _, row in rows.iterrows():
            values[gammas.index(row["gamma"]), lrs.index(row["lr"])] = row["mean_diff"]
        image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, norm=norm, aspect="auto")
        for _, row in rows.iterrows():
            i, j = gammas.index(row["gamma"]), lrs.index(row["lr"])
            shade = np.dot(cmap(norm(row["mean_diff"]))[:3], (0.299, 0.587, 0.114))  # grey level
            ax.text(
                j,
                i,
                _square_text(row),
                ha="center",
                va="center",
                fontsize=8,
                color="black" if shade > 0.5 else "white",
                fontweight="bold" if row["significant"] else "normal",
            )
            if row["significant"]:
                ax.add_patch(plt.Rectangle((j - 0.46, i - 0.46), 0.92, 0.92, fill=False, lw=2.2, ec="black"))
        ax.set_xticks(range(len(lrs)), [f"{lr:g}" for lr in lrs])
        ax.set_yticks(range(len(gammas)), [f"{g:g}" for g in gammas])
        ax.set_xlabel("lr")
        ax.set_ylabel("BN-scale init γ")
        refs = " / ".join(dict.fromkeys(rows["ref_label"].astype(str)))
        ax.set_title(f"{method} − {refs}", fontsize=9)
    bar = fig.colorbar(image, ax=axes[0].tolist(), shrink=0.9)
    bar.set_label(f"mean paired difference ({unit})")
    fig.suptitle(f"{title}: * and border = significant", fontsize=10, y=1.02)
    atomic_write(path, lambda handle: fig.savefig(handle, format="png", dpi=110, bbox_inches="tight"))
    plt.close(fig)
    return path
