"""`bninit plan` on the paths its other tests leave out: a two-sided preset (input_norm), GPU
hours, a pilot without wall_time_s, and comparisons that need more seeds than it searches. The
expected seeds come from a plain loop over n written here on scipy's noncentral t."""

import math

import numpy as np
import pytest
from scipy import stats as sps

from bninit.cli.main import main
from bninit.report.stats.power import MAX_SEEDS
from test_report_analysis import BASE_ACC, cell_rows, write_csv

BASE4 = BASE_ACC[:4]
UP = [0.5, 0.1, 0.6, 0.2]  # per-seed differences to BASE4 of a second cell
MIXED = [0.3, -0.4, 0.2, 0.1]  # and of a third


def seeds_by_loop(sd: float, effect: float, two_sided: bool, alpha=0.05, target=0.8) -> int:
    """Smallest n whose paired t-test rejects with probability >= target when the true mean
    difference is `effect`: T' ~ noncentral t(n - 1, effect / sd * sqrt(n)); one-sided rejects
    T' > t_{1-alpha}, two-sided |T'| > t_{1-alpha/2}."""
    n = 2
    while True:
        df, ncp = n - 1, effect / sd * math.sqrt(n)
        if two_sided:
            crit = sps.t.ppf(1 - alpha / 2, df)
            power = sps.nct.sf(crit, df, ncp) + sps.nct.cdf(-crit, df, ncp)
        else:
            power = sps.nct.sf(sps.t.ppf(1 - alpha, df), df, ncp)
        if power >= target:
            return n
        n += 1


def plan_out(capsys, *args: str) -> str:
    assert main(["plan", *map(str, args)]) == 0
    return capsys.readouterr().out


def table(out: str) -> list[list[str]]:
    """The plan's table rows (without header and rule) as lists of cell texts."""
    rows = [line.strip("|").split("|") for line in out.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in row] for row in rows[1:]]


def test_the_input_norm_preset_plans_two_sided_pairwise(tmp_path, capsys):
    """input_norm's comparisons are two-sided ("similar results"): each of the 3 pairs of
    normalizations needs the two-sided n, and the study is the preset's 6 cells."""
    accs = {"bn": BASE4, "fixed": np.add(BASE4, UP), "offline": np.add(BASE4, MIXED)}
    rows = [r for norm, a in accs.items() for r in cell_rows("ours", 0.1, 100, 0.1, a, input_norm=norm)]
    out = plan_out(capsys, write_csv(tmp_path / "pilot.csv", rows), "--effect", "0.3")
    sds = {  # the std of each pair's per-seed differences (its sign does not matter)
        np.std(np.subtract(accs[a], accs[b]), ddof=1)
        for a, b in (("fixed", "bn"), ("offline", "bn"), ("offline", "fixed"))
    }
    got = table(out)
    assert len(got) == 3 and all(row[0].endswith("(two-sided)") for row in got)
    assert sorted(float(row[4]) for row in got) == pytest.approx(sorted(sds), abs=0.005)
    expected = {f"{sd:.2f}": seeds_by_loop(sd, 0.3, two_sided=True) for sd in sds}
    assert {row[4]: int(row[5]) for row in got} == expected
    # sds 0.18, 0.24, 0.31: two-sided 6, 8, 11 seeds (one-sided would say 5, 6, 9)
    assert sorted(expected.values()) == [6, 8, 11]
    assert "Study: preset input_norm, 6 cells x 11 seeds (the most any comparison needs) = 66 runs" in out


def test_a_gpu_pilot_gives_gpu_hours_from_its_mean_wall_time(tmp_path, capsys):
    """Runs of 300 s and 420 s on cuda: 360 s a run; 3 cells x n seeds x 360 s = 0.3 n hours."""
    rows = cell_rows("base", 1.0, 1, 0.1, BASE4, dataset="svhn") + cell_rows(
        "ours", 0.1, 100, 0.1, np.add(BASE4, UP), dataset="svhn"
    )
    rows += cell_rows("ours", 0.5, 100, 0.1, np.add(BASE4, MIXED), dataset="svhn")
    for i, row in enumerate(rows):
        row.update(device="cuda:0", wall_time_s=300.0 if i % 2 else 420.0)
    out = plan_out(capsys, write_csv(tmp_path / "gpu.csv", rows), "--effect", "0.3")
    n = max(seeds_by_loop(np.std(d, ddof=1), 0.3, two_sided=False) for d in (UP, MIXED))
    assert n == 9  # MIXED's sd 0.31 sets it
    assert (
        "3 cells x 9 seeds (the most any comparison needs) = 27 runs; at the pilot's mean wall "
        "time of 360 s per run (GPU): 2.7 GPU-hours." in out
    )


def test_a_pilot_without_wall_time_plans_seeds_but_no_hours(tmp_path, capsys):
    rows = cell_rows("base", 1.0, 1, 0.1, BASE4, dataset="svhn") + cell_rows(
        "ours", 0.1, 100, 0.1, np.add(BASE4, UP), dataset="svhn"
    )
    for row in rows:
        del row["wall_time_s"]
    out = plan_out(capsys, write_csv(tmp_path / "no_time.csv", rows), "--effect", "0.3")
    n = seeds_by_loop(np.std(UP, ddof=1), 0.3, two_sided=False)
    assert n == 6
    assert "2 cells x 6 seeds (the most any comparison needs) = 12 runs; no wall_time_s in the pilot" in out
    assert "hours" not in out


def wide_pilot(tmp_path, *diffs):
    rows = cell_rows("base", 1.0, 1, 0.1, BASE4, dataset="svhn")
    for gamma, d in zip((0.1, 0.5), diffs, strict=False):
        rows += cell_rows("ours", gamma, 100, 0.1, np.add(BASE4, d), dataset="svhn")
    return write_csv(tmp_path / "wide.csv", rows)


WIDE = [30.0, -40.0, 20.0, 10.0]  # sd 31: 0.3 points would take ~ (2.5 x 31 / 0.3)^2 = 67k seeds


def test_a_comparison_past_the_seed_cap_is_shown_as_more_than_it(tmp_path, capsys):
    out = plan_out(capsys, wide_pilot(tmp_path, UP, WIDE), "--effect", "0.3")
    assert seeds_by_loop(np.std(WIDE, ddof=1), 3.0, two_sided=False) == 666  # 0.3 needs ~100 x that
    assert table(out)[1][5] == f"> {MAX_SEEDS}" and table(out)[0][5] == "6"


def test_the_study_total_does_not_hide_a_comparison_past_the_cap(tmp_path, capsys):
    out = plan_out(capsys, wide_pilot(tmp_path, UP, WIDE), "--effect", "0.3")
    assert "x 6 seeds (the most any comparison within 10000 needs; 1 need(s) more)" in out


def test_every_comparison_past_the_cap_is_not_called_a_pilot_without_spread(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["plan", str(wide_pilot(tmp_path, WIDE)), "--effect", "0.3"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "differences vary" not in err
    assert "--effect 0.3: every comparison needs more than 10000 seeds" in err and len(err.splitlines()) == 1
