"""The learning curves per cell: validation accuracy, train loss and learning rate per epoch, the mean
over a cell's seeds with a min-max band (every seed's curve lies inside it), one column of panels
per learning rate, the reference cells (BASE) in grey and black, the method's cells in colour.
A dot on the validation curve marks each epoch at which one of the cell's seeds had its best
validation accuracy (the epoch whose weights are tested).

`curve_table` computes the numbers from an epochs table; `plot_curves` draws that table, so the
figure shows exactly what the CSV beside it says."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from bninit.atomic import atomic_write  # noqa: E402

# What is drawn: (epochs-table column, axis label), one row of panels each.
METRICS = (("val_acc", "val acc (%)"), ("train_loss", "train loss"), ("epoch_lr", "learning rate"))
KEYS = ("block", "lr", "label")  # one curve per cell: its block, lr and row name
PANEL = (4.2, 2.6)


def best_epochs(epochs: pd.DataFrame) -> pd.Series:
    """Each run's best-validation epoch (the first of equal maxima, as training picks it), by run_dir."""
    ordered = epochs.sort_values(["run_dir", "epoch"])
    best = ordered.loc[ordered.groupby("run_dir", sort=False)["val_acc"].idxmax()]
    return best.set_index("run_dir")["epoch"]


def curve_table(epochs: pd.DataFrame, keys=KEYS) -> pd.DataFrame:
    """One row per (cell, epoch): `n` runs with that epoch; for each metric its mean, std (sample,
    ddof 1; NaN for one run), min and max over those runs; `n_best`: how many of the cell's runs
    had their best validation accuracy at this epoch. `epochs` needs `keys`, run_dir, epoch and
    the metrics' columns (one row per run and epoch)."""
    keys = list(keys)
    names = [name for name, _ in METRICS]
    values = epochs[[*keys, "run_dir", "epoch", *names]].copy()
    values[names] = values[names].apply(pd.to_numeric, errors="coerce")
    grouped = values.groupby([*keys, "epoch"], sort=False)
    table = grouped["run_dir"].nunique().rename("n").to_frame()
    for name in names:
        stats = grouped[name].agg(["mean", "std", "min", "max"])
        table[[f"{name}_{s}" for s in stats.columns]] = stats.to_numpy()
    best = best_epochs(values)
    picked = values.drop_duplicates("run_dir").set_index("run_dir")[keys].assign(epoch=best)
    table["n_best"] = picked.groupby([*keys, "epoch"]).size().reindex(table.index, fill_value=0)
    return table.reset_index().sort_values([*keys, "epoch"]).reset_index(drop=True)


def plot_curves(table: pd.DataFrame, title: str, path: Path, references=()) -> Path:
    """One column per lr (largest first), a row per metric; `references`: the labels drawn in
    grey/black (BASE or the --against cells), every other label a colour of its own."""
    lrs = sorted(table["lr"].unique(), reverse=True)
    labels = list(dict.fromkeys(table["label"]))
    others = [label for label in labels if label not in references]
    fig, axes = plt.subplots(
        len(METRICS), len(lrs), figsize=(PANEL[0] * len(lrs), PANEL[1] * len(METRICS)), squeeze=False
    )
    for col, lr in enumerate(lrs):
        axes[0][col].set_title(f"lr {lr:g}")
        for label, curve in table[table["lr"] == lr].groupby("label", sort=False):
            is_ref = label in references
            shown = label.replace("gamma=", "γ=")
            color = "0.2" if is_ref else f"C{others.index(label) % 10}"
            for row, (name, ylabel) in enumerate(METRICS):
                ax = axes[row][col]
                ax.plot(
                    curve["epoch"],
                    curve[f"{name}_mean"],
                    color=color,
                    ls="--" if is_ref else "-",
                    label=shown,
                )
                ax.fill_between(
                    curve["epoch"], curve[f"{name}_min"], curve[f"{name}_max"], color=color, alpha=0.15
                )
                if row == 0:
                    best = curve[curve["n_best"] > 0]
                    ax.plot(best["epoch"], best[f"{name}_mean"], "o", color=color, ms=4, mfc="white")
                ax.set_ylabel(ylabel if col == 0 else "")
                ax.grid(alpha=0.3)
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if table.loc[table["lr"] == lr, "epoch_lr_min"].gt(0).all():
            axes[2][col].set_yscale("log")
        axes[-1][col].set_xlabel("epoch")
    axes[0][0].plot([], [], "o", color="0.2", mfc="white", label="a seed's best-val epoch")
    axes[0][0].fill_between([], [], [], color="0.2", alpha=0.15, label="band: min-max over seeds")
    seen = {}
    for ax in axes.flat:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            seen.setdefault(label, handle)
    ncol = min(len(seen), 2 if len(lrs) == 1 else 3)
    fig.legend(seen.values(), seen.keys(), loc="lower center", ncol=ncol, fontsize=8, frameon=False)
    fig.suptitle(f"{title}: mean over seeds")
    fig.tight_layout(rect=(0, min(0.4, 0.02 + 0.035 * -(-len(seen) // ncol)), 1, 1))
    atomic_write(path, lambda handle: fig.savefig(handle, format="png", dpi=110, bbox_inches="tight"))
    plt.close(fig)
    return path
