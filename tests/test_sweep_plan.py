"""Presets and their expansion into runs: each paper preset is exactly its table's grid."""

import re
from importlib import resources

import pandas as pd
import pytest

from bninit.config.presets import PRESET_GROUP, PRESET_PACKAGE, expand_cells, load_preset, preset_names
from bninit.errors import UserError
from bninit.sweep.jobs import cell_key, job_overrides, seed_list

# The paper's numbers, as bninit ships them (the report reads the same file).
PAPER = pd.read_csv(resources.files("bninit.report.inputs").joinpath("paper_tables.csv"))
TABLES = {"table1a": "1a", "table1b": "1b", "table2a": "2a", "table2b": "2b"}


def stated_counts(name: str) -> tuple[int, int]:
    """(cells, runs) as the preset's header comment states them ("... = 24 cells x 15 = 360 runs")."""
    text = resources.files(PRESET_PACKAGE).joinpath(PRESET_GROUP, f"{name}.yaml").read_text()
    cells, runs = re.search(r"(\d+) cells x 15(?: seeds)? = (\d+) runs", text).groups()
    return int(cells), int(runs)


def cells_of(name: str) -> list[dict]:
    return expand_cells(load_preset(name)["cells"])


def as_grid(cells) -> set[tuple]:
    return {
        (c["dataset"], c["arch"], c["bn"], float(c["gamma"]), float(c["c"]), float(c["lr"])) for c in cells
    }


@pytest.mark.parametrize("name", sorted(TABLES))
def test_paper_preset_is_its_tables_grid_with_seeds_1_to_15(name):
    rows = PAPER[PAPER["table"] == TABLES[name]]
    expected = {
        (r.dataset, r.arch, r.method, float(r.gamma), float(r.c), float(r.lr)) for r in rows.itertuples()
    }
    cells = cells_of(name)
    assert as_grid(cells) == expected
    assert len(cells) == len(expected) == len(rows)  # no cell twice
    assert seed_list(load_preset(name)["seeds"]) == list(range(1, 16))


@pytest.mark.parametrize("name", preset_names())
def test_each_run_of_a_preset_once_as_many_as_its_header_says(name):
    preset = load_preset(name)
    jobs = job_overrides(cells_of(name), seed_list(preset["seeds"]), [[]], name)
    cells, runs = stated_counts(name)
    assert len(jobs) == runs
    assert len({tuple(sorted(j)) for j in jobs}) == len(jobs)
    assert len({cell_key(j) for j in jobs}) == cells


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


def test_strong_base_is_base_and_ours_at_lr_0_1_with_random_crops():
    cells = cells_of("strong_base")
    assert as_grid(cells) == {
        ("cifar10", "resnet18", "base", 1.0, 1.0, 0.1),
        ("cifar10", "resnet18", "ours", 0.1, 100.0, 0.1),
    }
    assert all(c["augment"] == "crop_flip" for c in cells)


def test_ablation_separates_the_init_from_the_lr_divisor_at_table1a_settings():
    grid = as_grid(cells_of("ablation"))
    table1a = as_grid(cells_of("table1a"))
    gammas = {g for _, _, m, g, _, _ in table1a if m == "ours" and g < 1}
    lrs = {lr for *_, lr in table1a}
    assert {g[3:] for g in grid if g[2] == "ours" and g[4] == 1.0} == {
        (g, 1.0, lr) for g in gammas for lr in lrs
    }
    # c = 100 at the same gammas and lrs (Table 1a's cells), and at gamma 1
    assert {g[3:] for g in grid if g[2] == "ours" and g[4] == 100.0} == {
        (g, 100.0, lr) for g in [*gammas, 1.0] for lr in lrs
    }
    assert {g for g in grid if g[2] == "base"} == {g for g in table1a if g[2] == "base"}


def test_demo_is_base_and_three_gammas_on_digits():
    assert as_grid(cells_of("demo")) == {
        ("digits", "resnet20", "base", 1.0, 1.0, 0.1),
        *{("digits", "resnet20", "ours", g, 100.0, 0.1) for g in (0.05, 0.1, 0.5)},
    }


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
    with pytest.raises(UserError, match="unknown preset 'table9'; known: ablation, alt, demo, input_norm"):
        load_preset("table9")


def test_plain_multirun_without_cells_is_the_users_product():
    jobs = job_overrides([], None, [["gamma=0.1", "seed=1"], ["gamma=0.5", "seed=1"]])
    assert jobs == [["gamma=0.1", "seed=1"], ["gamma=0.5", "seed=1"]]
