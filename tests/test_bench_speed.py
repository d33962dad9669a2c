"""`bninit bench` (bninit.bench): its projections, its resnet18, and one tiny side-by-side run."""

import json
import subprocess

import pytest
import torch
from torch import nn
from torchvision.models import resnet18

from bninit.bench import loops, rows, speed


def test_projection_counts_the_test_set_every_epoch_or_twice_at_the_end():
    # 1000 train img/s, 5000 eval img/s: 45 s training + 1 s val (+ 2 s test) per epoch.
    assert rows.projected_seconds(1000, 5000, "every_epoch") == pytest.approx(180 * 48)
    assert rows.projected_seconds(1000, 5000, "at_best") == pytest.approx(180 * 46 + 4)
    assert rows.cell_seconds(100.0) == 1500.0
    assert rows.cell_seconds(100.0, concurrent=4) == 400.0  # 4 waves of 4, 4, 4, 3 runs


def test_bench_resnet18_is_torchvisions_with_the_cifar_stem():
    ours = loops.cifar_resnet18(64, 10).eval()
    theirs = resnet18(num_classes=10)
    theirs.conv1 = nn.Conv2d(3, 64, 3, padding=1, bias=False)
    theirs.maxpool = nn.Identity()
    theirs.eval()
    ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
    assert [v.shape for v in ours_state.values()] == [v.shape for v in theirs_state.values()]
    ours.load_state_dict(dict(zip(ours_state, theirs_state.values(), strict=True)))
    x = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(ours(x), theirs(x))


@pytest.mark.slow
def test_bench_compares_both_loops_and_writes_the_table(tmp_path, bninit_command):
    proc = subprocess.run(
        [
            bninit_command,
            "bench",
            "--archs",
            "resnet20",
            "--train-images",
            "128",
            "--eval-images",
            "1024",
            "--warmup-batches",
            "1",
            "--repeats",
            "1",
            "--rounds",
            "2",
            "--threads",
            "1",
            "--options",
            "none",
            "--concurrent",
            "2",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "reference" in proc.stdout and "x ref" in proc.stdout
    [path] = tmp_path.glob("bench-cpu-*.json")
    report = json.loads(path.read_text())
    assert report["machine"]["cpu_count"] >= 1 and report["machine"]["device"] == "cpu"
    rows = report["rows"]
    assert [(r["loop"], r["concurrent"]) for r in rows] == [("reference", 1), ("bninit", 1), ("bninit", 2)]
    assert rows[0]["train_x_ref"] == 1.0 and rows[0]["eval_test"] == "every_epoch"
    assert rows[1]["settings"]["eval_test"] == "at_best"  # the defaults' row
    for r in rows:
        assert r["train_ips"] > 0 and r["eval_ips"] > 0 and r["peak_mem_mib"] > 0
        assert len(r["train_ips_per_round"]) == 2 and r["train_ips"] == max(r["train_ips_per_round"])
        assert r["cell_15_seeds_s"] == pytest.approx(15 / r["concurrent"] * r["run_180_epochs_s"], rel=0.3)


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--concurrent", "1,x"],
            "bninit bench: error: argument --concurrent: '1,x': expected a comma list of whole numbers "
            ">= 0, e.g. 1,2,4",
        ),
        (["--archs", "resnet20,resnet19"], "bninit bench: error: --archs: unknown arch 'resnet19'; known: "),
    ],
)
def test_bad_arguments_are_refused_in_one_line_exit_2(args, message, cli, tmp_path):
    proc = cli("bench", *args, "--out", str(tmp_path / "out"))
    assert proc.returncode == 2 and proc.stderr.startswith(message) and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and not (tmp_path / "out").exists()
    assert speed.k_values("0") == [0] and speed.k_values("1,2,4") == [1, 2, 4]
