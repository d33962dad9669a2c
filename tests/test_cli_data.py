"""`bninit data check | prepare` and one-epoch `bninit train` runs from each dataset's fixture,
through the installed command."""

import json

import pytest

from bninit.cli.main import main
from bninit.data import load_dataset
from bninit.data.cache import cache_path
from bninit.errors import UserError
from bninit.run.train import run
from data_fixtures import (
    cifar_checksums,
    make_cars,
    make_cifar,
    make_cifar_tarball,
    make_cub,
    use_fixture_checksums,
)


def test_check_reports_cached_ready_missing_and_where(tmp_path, monkeypatch, cli):
    data_dir = tmp_path / "data"
    make_cifar(data_dir, "cifar10")
    use_fixture_checksums(monkeypatch, "cifar10", cifar_checksums(data_dir, "cifar10"))
    load_dataset("cifar10", str(data_dir))  # cached
    make_cifar_tarball(data_dir, "cifar100", per_class=1, test_per_class=1)  # ready, not cached
    make_cub(data_dir)  # ready
    proc = cli("data", "check", f"data_dir={data_dir}")
    assert proc.returncode == 0, proc.stderr
    lines = {line.split()[0]: line.split(None, 2)[1:] for line in proc.stdout.splitlines()[1:]}
    assert proc.stdout.splitlines()[0] == f"data_dir: {data_dir}"
    assert lines["digits"][0] == "ready"
    assert lines["cifar10"] == ["cached", f"{cache_path('cifar10', data_dir)} (100 train / 20 test)"]
    assert lines["cifar100"][0] == "ready"
    assert f"archive {data_dir / 'cifar-100-python.tar.gz'}" in lines["cifar100"][1]
    assert lines["cub200"][0] == "ready" and "bninit data prepare cub200" in lines["cub200"][1]
    assert lines["stanford_cars"][0] == "missing"
    assert str(data_dir / "stanford_cars") in lines["stanford_cars"][1]


def _main(*args: str) -> int:
    """bninit's main in this process (fast); its exit status whether it returns or exits."""
    try:
        return main(list(args))
    except SystemExit as exit_info:
        return exit_info.code


def test_prepare_builds_the_cache_once_and_says_so(tmp_path, capsys):
    make_cub(tmp_path)
    assert _main("data", "prepare", "cub200", f"data_dir={tmp_path}") == 0
    first = capsys.readouterr().out
    assert "cub200: decoded and cached in" in first
    assert "24 train / 6 test images (3, 256, 256), 3 classes" in first
    assert cache_path("cub200", tmp_path).is_file()
    assert _main("data", "prepare", "cub200", f"data_dir={tmp_path}") == 0
    second = capsys.readouterr().out
    assert "cub200: already cached: 24 train / 6 test" in second and "decoding" not in second


@pytest.mark.parametrize(
    "args,message",
    [
        (["data"], "usage: bninit data"),
        (["data", "prepare"], "data prepare needs a dataset name"),
        (["data", "prepare", "imagenet"], "unknown dataset 'imagenet'; known: digits, cifar10"),
        (["data", "check", "runs_dir=x"], "bninit data takes only data_dir=PATH (got 'runs_dir=x')"),
        (["data", "wipe"], "unknown data action 'wipe'; known: check, prepare"),
        (["data", "prepare", "stanford_cars", "data_dir=DATA"], "'stanford_cars' is missing"),
    ],
)
def test_bad_data_commands_exit_2_with_one_line(tmp_path, capsys, args, message):
    args = [a.replace("DATA", str(tmp_path)) for a in args]
    assert _main(*args) == 2
    captured = capsys.readouterr()
    text = captured.err or captured.out
    assert message in text and len(text.strip().splitlines()) == 1


def test_train_refuses_unofficial_cifar_tarball(tmp_path, make_cfg):
    make_cifar_tarball(tmp_path / "data", "cifar10", per_class=1, test_per_class=1)
    cfg = make_cfg("dataset=cifar10", f"data_dir={tmp_path / 'data'}", "epochs=1", "device=cpu")
    with pytest.raises(UserError, match="fails its MD5 check"):
        run(cfg)
    assert not (tmp_path / "runs").exists() and not (tmp_path / "data" / "bninit-cache").exists()


def _train_one_epoch(cli, tmp_path, dataset, batch_size):
    proc = cli(
        "train",
        f"dataset={dataset}",
        "data_dir=data",
        "arch=resnet20",
        "epochs=1",
        f"batch_size={batch_size}",
        "device=cpu",
        "runs_dir=runs",
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    (result_file,) = (tmp_path / "runs" / dataset).rglob("result.json")
    result = json.loads(result_file.read_text())
    assert result["status"] == "done" and len(result["history"]) == 1
    assert result["config"]["dataset"] == dataset
    return proc.stdout, result


def counted_out_of(accuracy: float, images: int) -> bool:
    """Whether `accuracy` (%) is a whole number of correct images out of `images`."""
    correct = accuracy * images / 100
    return abs(correct - round(correct)) < 1e-9


@pytest.mark.slow
def test_train_cifar10_one_epoch_from_fixture(tmp_path, monkeypatch, cli):
    make_cifar(tmp_path / "data", "cifar10")
    use_fixture_checksums(monkeypatch, "cifar10", cifar_checksums(tmp_path / "data", "cifar10"))
    load_dataset("cifar10", str(tmp_path / "data"))  # the fixture's checksums live in this process
    out, result = _train_one_epoch(cli, tmp_path, "cifar10", 30)
    assert "(90 train / 10 val / 20 test, cpu)" in out
    assert result["config"]["augment"] == "flip" and result["best_epoch"] == 1
    assert counted_out_of(result["best_val_acc"], 10) and counted_out_of(result["test_acc_at_best_val"], 20)


@pytest.mark.slow
@pytest.mark.parametrize("dataset,make", [("cub200", make_cub), ("stanford_cars", make_cars)])
def test_train_224_datasets_one_epoch_from_fixture(tmp_path, cli, dataset, make):
    make(tmp_path / "data", classes=2, train_per_class=6, test_per_class=1)
    out, result = _train_one_epoch(cli, tmp_path, dataset, 5)
    assert "decoding" in out and "(10 train / 2 val / 2 test, cpu)" in out
    assert result["config"]["augment"] == "crop_flip" and result["best_epoch"] == 1
    assert counted_out_of(result["best_val_acc"], 2) and counted_out_of(result["test_acc_at_best_val"], 2)
