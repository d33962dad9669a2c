"""dataset=folder: an ImageFolder-layout folder is checked (one line naming the path for each
problem), decoded once into the checked tensor cache, rebuilt when its files change, and trained
on like any dataset (10% stratified validation, best-val test accuracy)."""

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from bninit.config.compose import compose_run_config
from bninit.data import load_dataset
from bninit.data.folder import load_folder
from bninit.errors import UserError
from folder_fixture import make_image_folder, write_png


@pytest.fixture
def images(tmp_path):
    return make_image_folder(tmp_path / "images", train=12, test=4, side=16, classes=3)


def test_a_folder_loads_as_uint8_tensors_with_its_classes(images, tmp_path):
    data = load_dataset("folder", str(tmp_path / "data"), path=str(images), image_size=16, stored_size=16)
    assert data.train_x.shape == (36, 3, 16, 16) and data.train_x.dtype == torch.uint8
    assert data.test_x.shape == (12, 3, 16, 16) and data.num_classes == 3
    assert torch.equal(torch.bincount(data.train_y), torch.tensor([12, 12, 12]))
    png = Image.open(images / "train" / "digit1" / "000.png").convert("RGB")
    assert torch.equal(data.train_x[12], torch.from_numpy(np.array(png)).permute(2, 0, 1))


def test_the_cache_is_reused_and_rebuilt_when_an_image_is_added(images, tmp_path, capsys):
    data_dir = tmp_path / "data"
    load_folder(str(images), str(data_dir), 16, 20)
    assert "decoding 48 images" in capsys.readouterr().out
    cache = list((data_dir / "bninit-cache").glob("folder-*-s20-v1.pt"))
    assert len(cache) == 1
    again = load_folder(str(images), str(data_dir), 16, 20)
    assert capsys.readouterr().out == "" and again.train_x.shape == (36, 3, 20, 20)
    write_png(images / "train" / "digit2" / "new.png", torch.zeros(8, 8).numpy(), 16, 2)
    grown = load_folder(str(images), str(data_dir), 16, 20)
    out = capsys.readouterr().out
    assert "source changed" in out and "decoding 49 images" in out
    assert grown.train_x.shape == (37, 3, 20, 20)
    assert list((data_dir / "bninit-cache").glob("folder-*")) == cache  # replaced, not added


def one_line_error(images, tmp_path) -> str:
    with pytest.raises(UserError) as err:
        load_folder(str(images), str(tmp_path / "data"), 16, 16)
    message = str(err.value)
    assert "\n" not in message
    assert not (tmp_path / "data" / "bninit-cache").exists() or not any(
        (tmp_path / "data" / "bninit-cache").iterdir()
    )
    return message


def test_a_missing_folder_or_split(tmp_path, images):
    assert f"folder_path={tmp_path / 'nowhere'} is not a folder" in one_line_error(
        tmp_path / "nowhere", tmp_path
    )
    shutil.rmtree(images / "test")
    assert f"{images / 'test'} is missing" in one_line_error(images, tmp_path)


def test_no_classes(tmp_path, images):
    shutil.rmtree(images / "train")
    (images / "train").mkdir()
    assert f"no class folders in {images / 'train'}" in one_line_error(images, tmp_path)


def test_class_names_that_differ(tmp_path, images):
    (images / "test" / "digit2").rename(images / "test" / "two")
    message = one_line_error(images, tmp_path)
    assert "class folders of" in message and "only in train: digit2; only in test: two" in message


def test_an_unreadable_image(tmp_path, images):
    bad = images / "train" / "digit0" / "broken.png"
    bad.write_bytes(b"not a png")
    assert f"cannot read image {bad}" in one_line_error(images, tmp_path)


def test_a_class_with_one_image(tmp_path, images):
    for extra in sorted((images / "train" / "digit1").iterdir())[1:]:
        extra.unlink()
    message = one_line_error(images, tmp_path)
    assert f"{images / 'train' / 'digit1'} has 1 image(s)" in message


def test_too_few_images_for_the_validation_split(tmp_path):
    images = make_image_folder(tmp_path / "images", train=2, test=1, classes=5)
    assert "too few for a 10% stratified validation split" in one_line_error(images, tmp_path)


def test_the_config_needs_a_path_and_checks_the_sizes():
    with pytest.raises(UserError, match="dataset=folder needs folder_path=DIR"):
        compose_run_config(["dataset=folder"])
    with pytest.raises(UserError, match="folder_stored_size=20 is not allowed"):
        compose_run_config(
            ["dataset=folder", "folder_path=x", "folder_image_size=32", "folder_stored_size=20"]
        )
    with pytest.raises(UserError, match="folder_path need dataset=folder"):
        compose_run_config(["folder_path=x"])


@pytest.mark.slow
def test_bninit_train_on_a_folder_with_crops(images, tmp_path, cli):
    """One run through the command: random 16 crops of the 20x20 stored images, then the result."""
    args = [
        "train",
        "dataset=folder",
        f"folder_path={images}",
        "folder_image_size=16",
        "folder_stored_size=20",
        "augment=crop_flip",
        "epochs=2",
        "batch_size=8",
        f"runs_dir={tmp_path / 'runs'}",
        f"data_dir={tmp_path / 'data'}",
    ]
    done = cli(*args)
    assert done.returncode == 0, done.stderr
    assert "(32 train / 4 val / 12 test" in done.stdout and "done: test acc" in done.stdout
    assert "1 CPU threads" in done.stdout  # the suite's CLI subprocesses run one thread each
    refused = cli(*args[:-4], "augment=flip", f"runs_dir={tmp_path / 'runs'}")
    assert refused.returncode == 2 and "augment=flip is not allowed for folder" in refused.stderr


@pytest.mark.slow
def test_a_study_on_your_images_with_a_timm_model_end_to_end(tmp_path, cli):
    """Your folder x a timm model: a 2-cell x 3-seed multirun, collected and reported."""
    images = make_image_folder(tmp_path / "images", train=12, test=4, side=16, classes=4)
    sweep = cli(
        "train",
        "-m",
        "seed=1,2,3",
        "bn=ours,base",
        "dataset=folder",
        f"folder_path={images}",
        "folder_image_size=16",
        "arch=timm",
        "timm_model=resnet10t",
        "epochs=2",
        "batch_size=16",
        "runs_dir=runs",
        timeout=600,
    )
    assert sweep.returncode == 0, sweep.stderr
    csv = tmp_path / "runs" / "multirun.csv"
    table = pd.read_csv(csv)
    assert len(table) == 6 and set(table["status"]) == {"done"}
    assert set(table["timm_model"]) == {"resnet10t"} and set(table["folder_path"]) == {str(images)}
    assert sorted(table["seed"]) == [1, 1, 2, 2, 3, 3]
    for row in table.itertuples():  # the method's init reached the timm model's BNs: scale ~ gamma
        history = json.loads((Path(row.run_dir) / "result.json").read_text())["history"]
        assert history[0]["bn_scale_mean"] == pytest.approx({"ours": 0.1, "base": 1.0}[row.bn], rel=0.2)
    report = cli("report", str(csv), "-o", str(tmp_path / "report"))
    assert report.returncode == 0, report.stderr
    assert "BASE" in report.stdout and "ours" in report.stdout
    written = (tmp_path / "report" / "report.md").read_text()
    for bn, runs in table.groupby("bn"):  # each cell: mean ± sample std of its 3 seeds, (n)
        acc = runs["test_acc_at_best_val"]
        cell = re.escape(f"{acc.mean():.2f} ± {acc.std(ddof=1):.2f}") + r"\S* \(3\)"  # after any markup
        assert re.search(cell, written), (bn, written)
    # 2 epochs of 3 steps stay near chance (often 25% for every run: 10 epochs would learn, at
    # ~20 s a run), so the paired numbers are checked as what they are, not against a t-test
    diffs = table.pivot(index="seed", columns="bn", values="test_acc_at_best_val").diff(axis=1)["ours"]
    ours = pd.read_csv(tmp_path / "report" / "stats.csv").set_index("bn").loc["ours"]
    assert ours["n_pairs"] == 3 and ours["wins"] == (diffs > 0).sum()
    assert ours["mean_diff"] == pytest.approx(diffs.mean())
