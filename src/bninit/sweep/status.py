"""Where a study stands: per cell, how many runs are done / running / failed / pending, and the
compute time left, estimated from the finished runs' seconds per epoch."""

import math

import pandas as pd

COUNT_COLUMNS = ("done", "running", "failed", "pending", "damaged")


def seconds_per_epoch(frame: pd.DataFrame) -> pd.Series:
    """Mean seconds per epoch of the finished runs, per (dataset, arch, cell)."""
    done = frame[(frame["status"] == "done") & (frame["epochs_done"] > 0)]
    per_run = done["wall_time_s"] / done["epochs_done"]
    return per_run.groupby([done["dataset"], done["arch"], done["cell"]]).mean()


def status_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per cell: counts per status ("pending" = interrupted or not started) and ETA.

    `frame` has a row per run with dataset, arch, cell, epochs, status (done | running | failed
    | interrupted | pending), epochs_done, wall_time_s. A cell without finished runs borrows the
    epoch time of its (dataset, arch); without any, its ETA is unknown (NaN).
    """
    frame = frame.copy()
    frame["status"] = frame["status"].replace({"interrupted": "pending"})
    frame["epochs_done"] = frame["epochs_done"].fillna(0)
    frame["left"] = (frame["epochs"] - frame["epochs_done"]).where(frame["status"] != "done", 0)
    speed = seconds_per_epoch(frame)
    by_arch = speed.groupby(level=[0, 1]).mean()
    rows = []
    for (dataset, arch, cell), runs in frame.groupby(["dataset", "arch", "cell"], sort=True):
        rate = speed.get((dataset, arch, cell), by_arch.get((dataset, arch), math.nan))
        row = {"dataset": dataset, "arch": arch, "cell": cell}
        row.update({s: int((runs["status"] == s).sum()) for s in COUNT_COLUMNS})
        left = runs.loc[runs["status"] != "done", "left"].sum()
        row["eta_s"] = 0.0 if left == 0 else left * rate
        rows.append(row)
    return pd.DataFrame(rows, columns=["dataset", "arch", "cell", *COUNT_COLUMNS, "eta_s"])


def format_duration(seconds: float) -> str:
    if seconds is None or math.isnan(seconds):
        return "?"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def format_table(table: pd.DataFrame) -> str:
    """The table as aligned text with a total line; ETA is compute time for one worker."""
    shown = table.drop(columns="eta_s").copy()
    shown["eta (1 worker)"] = [format_duration(s) for s in table["eta_s"]]
    total = {"dataset": "total", "arch": "", "cell": f"{len(table)} cells"}
    total.update({s: int(table[s].sum()) for s in COUNT_COLUMNS})
    eta = table["eta_s"].sum(min_count=1) if len(table) else 0.0
    unknown = table["eta_s"].isna().any()
    total["eta (1 worker)"] = format_duration(eta) + ("+?" if unknown and eta == eta else "")
    shown = pd.concat([shown, pd.DataFrame([total])], ignore_index=True)
    return shown.to_string(index=False)
