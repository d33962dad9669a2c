"""Presets and their expansion into runs: each paper preset is exactly its table's grid."""

from importlib import resources

import pandas as pd
import pytest

from bninit.errors import UserError
from bninit.sweep import (
    cell_key,
    expand_cells,
    job_overrides,
    load_preset,
    preset_names,
    seed_list,
)

# The paper's numbers, as bninit ships them (the report reads the same file).
PAPER = pd.read_csv(resources.files("bninit").joinpath("paper_tables.csv"))
TABLES = {"table1a": "1a", "table1b": "1b", "table2a": "2a", "table2b": "2b"}
RUN_COUNTS = {"table1a": 360, "table1b": 360, "table2a": 720, "table2b": 720, "alt": 990,
              "input_norm": 90, "demo": 60, "strong_base": 30, "ablation": 360}


def cells_of(name: str) -> list[dict]:
    return expand_cells(load_preset(name)["cells"])


def as_grid(cells) -> set[tuple]:
    return {(c["dataset"], c["arch"], c["bn"], float(c["gamma"]), float(c["c"]), float(c["lr"]))
            for c in cells}


def test_every_preset_is_listed():
    assert preset_names() == sorted(RUN_COUNTS)


@pytest.mark.parametrize("name", sorted(TABLES))
def test_paper_preset_is_its_tables_grid_with_seeds_1_to_15(name):
    rows = PAPER[PAPER["table"] == TABLES[name]]
    expected = {(r.dataset, r.arch, r.method, float(r.gamma), float(r.c), float(r.lr))
                for r in rows.itertuples()}
    cells = cells_of(name)
    assert as_grid(cells) == expected
    assert len(cells) == len(expected) == len(rows)  # no cell twice
    assert seed_list(load_preset(name)["seeds"]) == list(range(1, 16))


@pytest.mark.parametrize("name", sorted(RUN_COUNTS))
def test_each_run_of_a_preset_once(name):
    preset = load_preset(name)
    jobs = job_overrides(cells_of(name), seed_list(preset["seeds"]), [[]], name)
    assert len(jobs) == RUN_COUNTS[name]
    assert len({tuple(sorted(j)) for j in jobs}) == len(jobs)
    assert len({cell_key(j) for j in jobs}) == RUN_COUNTS[name] // 15


def test_base_is_not_crossed_with_the_gamma_axis():
    grid = as_grid(cells_of("table1a"))
    base = {g for g in grid if g[2] == "base"}
    assert base == {("cifar10", "resnet18", "base", 1.0, 1.0, lr) for lr in (0.1, 0.01, 0.001)}


def test_alt_compares_a1_a2_ours_at_table1a_settings_with_base():
    grid = as_grid(cells_of("alt"))
    table1a = as_grid(cells_of("table1a"))
    for bn in ("a1", "a2"):
        assert {(d, a, bn, g, c, lr) for d, a, m, g, c, lr in table1a if m == "ours"} <= grid
    assert table1a <= grid and len(grid) == 66


def test_input_norm_compares_the_three_normalizations_with_the_method():
    cells = cells_of("input_norm")
    assert {c["input_norm"] for c in cells} == {"bn", "fixed", "offline"}
    assert all(c["bn"] == "ours" and c["c"] == 100 and c["arch"] == "resnet18" for c in cells)
    per_setting = {(c["gamma"], c["lr"]): set() for c in cells}
    for c in cells:
        per_setting[(c["gamma"], c["lr"])].add(c["input_norm"])
    assert all(v == {"bn", "fixed", "offline"} for v in per_setting.values())


def test_demo_is_base_and_three_gammas_on_digits():
    assert as_grid(cells_of("demo")) == {
        ("digits", "resnet20", "base", 1.0, 1.0, 0.1),
        *{("digits", "resnet20", "ours", g, 100.0, 0.1) for g in (0.05, 0.1, 0.5)}}


def test_seeds_n_means_1_to_n():
    assert seed_list(3) == [1, 2, 3]
    assert seed_list([4, 2]) == [4, 2]
    assert seed_list(None) is None
    with pytest.raises(UserError, match="seeds=0"):
        seed_list(0)


def test_a_value_of_an_axis_selects_cells_other_keys_apply_to_all():
    cells = cells_of("table1a")
    jobs = job_overrides(cells, [1, 2], [["lr=0.1", "epochs=2"]], "table1a")
    assert len(jobs) == 8 * 2
    assert all("lr=0.1" in j and "epochs=2" in j for j in jobs)
    jobs = job_overrides(cells, [1], [["arch=resnet20"]], "table1a")  # one arch: a setting
    assert len(jobs) == 24 and all(j.count("arch=resnet20") == 1 for j in jobs)
    assert not any("arch=resnet18" in j for j in jobs)


def test_user_sweep_over_an_axis_and_seed_override():
    cells = cells_of("demo")
    jobs = job_overrides(cells, [1, 2, 3], [["gamma=0.1"], ["gamma=0.5"]], "demo")
    assert len(jobs) == 6 and all("bn=ours" in j for j in jobs)
    jobs = job_overrides(cells, [1, 2, 3], [["seed=7"]], "demo")
    assert len(jobs) == 4 and all(j.count("seed=7") == 1 for j in jobs)


def test_seed_major_order():
    jobs = job_overrides(cells_of("demo"), [1, 2], [[]], "demo")
    assert [j[-1] for j in jobs] == ["seed=1"] * 4 + ["seed=2"] * 4


def test_no_matching_cell_names_the_values():
    with pytest.raises(UserError, match=r"no cell of demo matches gamma=0.3; .*gamma: 1.0, 0.05, 0.1, 0.5"):
        job_overrides(cells_of("demo"), [1], [["gamma=0.3"]], "demo")


def test_unknown_preset_lists_them():
    with pytest.raises(UserError, match="unknown preset 'table9'; known: alt, demo, input_norm, table1a"):
        load_preset("table9")


def test_plain_multirun_without_cells_is_the_users_product():
    jobs = job_overrides([], None, [["gamma=0.1", "seed=1"], ["gamma=0.5", "seed=1"]])
    assert jobs == [["gamma=0.1", "seed=1"], ["gamma=0.5", "seed=1"]]
