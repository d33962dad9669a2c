"""The per-block plots of a report (matplotlib, Agg: no display needed), one set per block:

* `<block>-acc_vs_gamma.png`: test accuracy vs BN-scale init gamma, one panel per learning rate,
  BASE as a horizontal band (mean +- std); filled markers: better than BASE (p <= alpha).
* `<block>-paired_diffs.png`: per-seed differences cell - BASE (or the first --against reference)
  with the mean and its 95% CI.
* `<block>-bn_scale.png`: mean BN scale over epochs, from each run's result.json history (only when
  the run directories are still there).
"""

import json
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import NullLocator  # noqa: E402

from bninit.atomic import atomic_write  # noqa: E402
from bninit.report.inputs.layout import is_base_cell  # noqa: E402
from bninit.report.judge.analysis import Report  # noqa: E402
from bninit.report.write.words import reference_name  # noqa: E402
from bninit.store.rundir import RESULT  # noqa: E402

PANEL = (4.2, 3.4)


def slug(title: str) -> str:
    return re.sub(r"[^A-Za-z0-9.=]+", "_", title).strip("_")


def cell_label(cell) -> str:
    """The cell's row in the table: "BASE", "ours γ=0.1 c=100" (plus any compared key)."""
    return cell["label"].replace("gamma=", "γ=")


def _figure_legend(fig, axes) -> None:
    """One legend for all panels, below them, so it never hides a point."""
    seen = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            seen.setdefault(label, handle)
    ncol = min(len(seen), 2 if len(axes) == 1 else 3)
    fig.legend(seen.values(), seen.keys(), loc="lower center", ncol=ncol, fontsize=8, frameon=False)
    rows = -(-len(seen) // ncol)
    fig.tight_layout(rect=(0, min(0.5, 0.025 + 0.06 * rows), 1, 1))


def _panels(lrs, title: str, ylabel: str):
    fig, axes = plt.subplots(1, len(lrs), figsize=(PANEL[0] * len(lrs), PANEL[1]), squeeze=False)
    for ax, lr in zip(axes[0], lrs, strict=True):
        ax.set_title(f"lr {lr:g}")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(ylabel)
    fig.suptitle(title)
    return fig, axes[0]


def _save(fig, path: Path) -> Path:
    atomic_write(path, lambda handle: fig.savefig(handle, format="png", dpi=120))
    plt.close(fig)
    return path


def plot_accuracy_vs_gamma(report: Report, title: str, cells: pd.DataFrame, path: Path) -> Path:
    lrs = sorted(cells["lr"].unique(), reverse=True)
    line_keys = ["bn", "c", *report.extra_keys]  # one line per row of the table, gamma aside
    base = cells.apply(is_base_cell, axis=1).astype(bool)
    # one colour per (method, c, ...), in every panel; BASE is the band
    methods = list(dict.fromkeys(cells.loc[~base, line_keys].itertuples(index=False, name=None)))
    fig, axes = _panels(lrs, title, "test acc at best val (%)")
    for ax, lr in zip(axes, lrs, strict=True):
        at_lr, is_base = cells[cells["lr"] == lr], base[cells["lr"] == lr]
        for _, ref in at_lr[is_base].iterrows():
            std = 0.0 if np.isnan(ref["std"]) else ref["std"]
            ax.axhspan(ref["mean"] - std, ref["mean"] + std, color="0.6", alpha=0.3, label="BASE mean ± std")
            ax.axhline(ref["mean"], color="0.3", lw=1)
        others = at_lr[~is_base]
        for key, group in others.groupby(line_keys, sort=False):
            i = methods.index(key)
            bn, c, *extras = key
            dodge = 1.03 ** (i - (len(methods) - 1) / 2)  # methods sharing a gamma side by side
            group = group.sort_values("gamma")
            ax.errorbar(
                group["gamma"] * dodge,
                group["mean"],
                yerr=group["std"].fillna(0),
                color=f"C{i}",
                marker="o",
                mfc="white",
                capsize=3,
                label=f"{bn} (c={c:g}{''.join(f', {e}' for e in extras)}) mean ± std",
            )
            sig = group[group["better"]]
            ax.plot(sig["gamma"] * dodge, sig["mean"], "o", color=f"C{i}", ls="none", zorder=4)
        gammas = others["gamma"]
        if len(gammas) and gammas.max() / gammas.min() > 9:
            ax.set_xscale("log")
            ax.xaxis.set_minor_locator(NullLocator())  # ticks at the gammas studied, plain numbers
        if len(gammas):
            ticks = sorted(gammas.unique())
            ax.set_xticks(ticks, [f"{g:g}" for g in ticks])
        ax.set_xlabel("BN-scale init γ")
    if cells["better"].any():
        test = "Holm p" if report.holm else "p"
        ref = reference_name(report.primary)
        axes[0].plot([], [], "o", color="0.2", label=f"filled: better than {ref} ({test} ≤ {report.alpha:g})")
    _figure_legend(fig, axes)
    return _save(fig, path)


def plot_paired_differences(report: Report, title: str, cells: pd.DataFrame, path: Path) -> Path | None:
    compared = cells[cells["reference"].notna() & (cells["n_pairs"] >= 1)]
    if compared.empty:
        return None
    lrs = sorted(compared["lr"].unique(), reverse=True)
    ref = "BASE" if report.primary.spec.is_base else "reference"
    fig, axes = _panels(lrs, title, f"cell − {ref}, same seed (% points)")
    rng = np.random.default_rng(0)  # jitter only
    for ax, lr in zip(axes, lrs, strict=True):
        at_lr = compared[compared["lr"] == lr].reset_index(drop=True)
        for x, cell in at_lr.iterrows():
            diffs = np.asarray(cell["diffs"], dtype=float)
            ax.plot(
                x + rng.uniform(-0.15, 0.15, len(diffs)),
                diffs,
                "o",
                color="C0",
                alpha=0.6,
                ms=4,
                label="one seed" if x == 0 else None,
            )
            if cell["n_pairs"] >= 2:
                err = [[cell["mean_diff"] - cell["ci_low"]], [cell["ci_high"] - cell["mean_diff"]]]
                ax.errorbar(
                    [x + 0.3],
                    [cell["mean_diff"]],
                    yerr=err,
                    fmt="s",
                    color="k",
                    capsize=4,
                    label="mean, 95% CI" if x == 0 else None,
                )
        ax.axhline(0, color="C3", lw=1, label="no difference")
        ax.set_xticks(range(len(at_lr)))
        ax.set_xticklabels([cell_label(c) for _, c in at_lr.iterrows()], fontsize=7, rotation=30, ha="right")
    _figure_legend(fig, axes)
    return _save(fig, path)


def read_history(run_dir: str) -> list[dict] | None:
    path = Path(run_dir) / RESULT
    try:
        history = json.loads(path.read_text()).get("history") or []
    except (OSError, ValueError):
        return None
    return history if history and "bn_scale_mean" in history[0] else None


def plot_bn_scale(title: str, cells: pd.DataFrame, path: Path) -> Path | None:
    """Mean BN scale per epoch, averaged over a cell's seeds; band: +- the spread of the scales
    within the network (their std, averaged over seeds)."""
    curves = {}
    for i, cell in cells.iterrows():
        histories = [h for h in map(read_history, cell["run_dirs"]) if h]
        if histories:
            epochs = min(len(h) for h in histories)
            mean = np.mean([[e["bn_scale_mean"] for e in h[:epochs]] for h in histories], axis=0)
            spread = np.mean([[e["bn_scale_std"] for e in h[:epochs]] for h in histories], axis=0)
            curves[i] = (np.arange(1, epochs + 1), mean, spread)
    if not curves:
        return None
    lrs = sorted(cells.loc[list(curves), "lr"].unique(), reverse=True)
    rows = list(dict.fromkeys(cell_label(cells.loc[i]) for i in curves))  # one colour per row
    fig, axes = _panels(lrs, title, "BN scale: mean over all BN layers\n(band: ± their std)")
    for ax, lr in zip(axes, lrs, strict=True):
        for i in (i for i in curves if cells.loc[i, "lr"] == lr):
            epoch, mean, spread = curves[i]
            label = cell_label(cells.loc[i])
            color = "0.3" if is_base_cell(cells.loc[i]) else f"C{rows.index(label)}"
            ax.plot(epoch, mean, color=color, marker="." if len(epoch) < 3 else None, label=label)
            ax.fill_between(epoch, mean - spread, mean + spread, color=color, alpha=0.15)
        ax.set_xlabel("epoch")
    _figure_legend(fig, axes)
    return _save(fig, path)


def write_plots(report: Report, out_dir: Path) -> list[Path]:
    """Every figure of every block; figures without data (no comparisons, no history) are skipped."""
    written = []
    for title, cells in report.blocks():
        name = slug(title)
        written.append(plot_accuracy_vs_gamma(report, title, cells, out_dir / f"{name}-acc_vs_gamma.png"))
        written.append(plot_paired_differences(report, title, cells, out_dir / f"{name}-paired_diffs.png"))
        written.append(plot_bn_scale(title, cells, out_dir / f"{name}-bn_scale.png"))
    return [p for p in written if p is not None]
