"""`bninit gpu-check` (bninit.bench.gpu_check): its CPU path end to end (every step, the JSON,
the Markdown), its pure helpers (projection, budget, overlap), a failing or late step, GPU slot
claims, bad arguments."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bninit.bench import gpu_check, gpu_measure, gpu_report, gpu_steps, gpu_sweep
from bninit.bench.rows import default_settings


@pytest.fixture(scope="module")
def cpu_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("gpu")
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "bninit"),  # the installed command
            "gpu-check",
            "--device",
            "cpu",
            "--budget",
            "400",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    [json_path] = out.glob("gpu-check-cpu-*.json")
    [md_path] = out.glob("gpu-check-cpu-*.md")
    assert sorted(p.name for p in out.iterdir()) == sorted([json_path.name, md_path.name])
    return proc, json.loads(json_path.read_text()), md_path.read_text()


@pytest.mark.slow
def test_cpu_run_says_these_are_not_gpu_figures(cpu_run):
    proc, report, md = cpu_run
    assert report["gpu"] is False and "not GPU figures" in report["note"]
    assert "not GPU figures" in md.splitlines()[2]  # at the top, under the title
    assert "not GPU figures" in proc.stdout and "NO CUDA DEVICE" in proc.stderr
    assert "[loop] reference" in proc.stderr and "[sweep] 4/4 runs done" in proc.stderr  # progress
    assert [s["status"] for s in report["steps"].values()] == ["ok"] * 5
    assert report["wall_s"] < report["budget_s"]


@pytest.mark.slow
def test_cpu_run_measures_every_loop_and_the_projection(cpu_run):
    _, report, md = cpu_run
    rows = report["steps"]["loop"]["rows"]
    assert [(r["loop"], r["status"]) for r in rows] == [
        ("reference", "ok"),
        ("bninit", "ok"),
        ("bninit", "ok"),
        ("bninit", "ok"),
        ("bninit", "skipped"),
    ]
    assert rows[0]["train_x_ref"] == 1.0 and rows[1]["settings"] == default_settings()
    for r in rows[:4]:
        assert isinstance(r["train_ips"], float) and r["train_ips"] > 0 and r["eval_ips"] > 0
        assert r["run_180_epochs_s"] > 0 and r["cell_15_seeds_s"] > r["run_180_epochs_s"]
    assert "compile" in rows[4]["options"] and "skipped on CPU" in rows[4]["note"]
    p = report["steps"]["projection"]
    assert (p["train_images"], p["val_images"], p["test_images"]) == (1152, 128, 256)
    assert p["run_180_epochs_s"] == pytest.approx(180 * p["epoch_s"] + 2 * 10_000 / p["eval_ips"])
    assert p["cell_15_seeds_s"] == pytest.approx(15 * p["run_180_epochs_s"])
    assert "| reference | fp32 NCHW, PIL + DataLoader | ok |" in md


@pytest.mark.slow
def test_cpu_run_concurrent_determinism_and_mini_sweep(cpu_run):
    _, report, md = cpu_run
    conc = report["steps"]["concurrent"]
    assert [r["concurrent"] for r in conc["rows"]] == [1, 2] and conc["best_k"] in (1, 2)
    for r in conc["rows"]:
        assert len(r["peak_mem_mib_per_run"]) == r["concurrent"] and r["train_ips"] > 0
    det = report["steps"]["determinism"]
    assert det["deterministic"]["identical"] is True  # CPU: bit-equal reruns
    assert det["deterministic"]["checksums"][0] == det["deterministic"]["checksums"][1]
    assert det["deterministic"]["max_abs_weight_diff"] == 0.0 and det["speedup_nondeterministic"] > 0
    assert len(det["deterministic"]["histories"][0]) == 2
    sweep = report["steps"]["sweep"]
    assert sweep["collected"]["rows"] == 4 and sweep["collected"]["done"] == 4
    assert sweep["train"]["rc"] == sweep["collect"]["rc"] == sweep["report"]["rc"] == 0
    assert "| BASE |" in sweep["report"]["markdown"] and sweep["claims"]["ok"] and sweep["problems"] == []
    assert "**identical**" in md and "runs done: **4 of 4**" in md


def test_projection_arithmetic():
    p = gpu_steps.projection(45_000, 45.0, 15_000, 3.0, "at_best")
    assert (p["train_ips"], p["eval_ips"]) == (1000.0, 5000.0)
    assert p["epoch_s"] == pytest.approx(45 + 1)  # 5k val per epoch; the test set only at the end
    assert p["run_180_epochs_s"] == pytest.approx(180 * 46 + 2 * 2)
    assert p["cell_15_seeds_s"] == pytest.approx(15 * p["run_180_epochs_s"])
    every = gpu_steps.projection(45_000, 45.0, 15_000, 3.0, "every_epoch", concurrent=4)
    assert every["epoch_s"] == pytest.approx(48) and every["cell_15_seeds_s"] == pytest.approx(4 * 180 * 48)


def test_allowance_keeps_time_for_the_later_steps():
    assert gpu_check.allowance(100, 30) == 70
    assert gpu_check.allowance(100, 30, cap_s=50) == 50
    assert gpu_check.allowance(20, 30) < 0


def test_max_overlap():
    assert gpu_sweep.max_overlap([(0, 2), (1, 3), (4, 5)]) == 2
    assert gpu_sweep.max_overlap([(0, 1), (1, 2)]) == 1 and gpu_sweep.max_overlap([]) == 0


def context(seconds: float) -> gpu_check.Context:
    return gpu_check.Context("cpu", gpu_check.PROFILES["cpu"], 1, time.monotonic() + seconds)


def test_a_failing_step_is_recorded_and_a_late_one_skipped(monkeypatch):
    def broken(ctx, deadline):  # the step runs out of GPU memory, as torch reports it
        raise RuntimeError("CUDA error: out of memory")

    monkeypatch.setitem(gpu_check.STEP_FUNCTIONS, "projection", broken)
    out = gpu_check.run_step(context(100), "projection", [])
    assert out["status"] == "failed" and out["error"] == "RuntimeError: CUDA error: out of memory"
    late = gpu_check.run_step(context(10), "projection", ["sweep"])  # the sweep needs 25 s
    assert late["status"] == "skipped" and "needs ~5 s" in late["note"]
    report = {
        "gpu": False,
        "note": gpu_check.NOT_GPU,
        "budget_s": 10,
        "command": "x",
        "machine": {"date_utc": "d", "cpu": "c", "cpu_count": 2, "torch": "t", "python": "p"},
        "steps": {"projection": out, "sweep": late},
    }
    md = gpu_report.markdown(report)
    assert "**failed** after" in md and "CUDA error: out of memory" in md and late["note"] in md
    assert "not GPU figures" in md


def test_checksum_and_comparison_of_two_runs():
    import torch

    state = {"w": torch.ones(3), "n": torch.tensor(2)}
    run = {
        "history": [{"train_loss": 1.0, "train_acc": 50.0, "test_acc": 40.0}],
        "epoch_s": [1.0],
        "checksum": gpu_measure.weights_checksum(state),
        "state": state,
        "peak_mem_mib": None,
    }
    same = gpu_measure.compare(run, dict(run))
    assert same["identical"] and same["max_abs_weight_diff"] == 0.0
    other_state = {"w": torch.tensor([1.0, 1.0, 1.5]), "n": torch.tensor(2)}
    other = {
        **run,
        "state": other_state,
        "checksum": gpu_measure.weights_checksum(other_state),
        "history": [{"train_loss": 1.25, "train_acc": 50.0, "test_acc": 40.0}],
    }
    diff = gpu_measure.compare(run, other)
    assert not diff["identical"] and diff["max_abs_weight_diff"] == 0.5
    assert diff["max_abs_diff"]["train_loss"] == 0.25 and diff["checksums"][0] != diff["checksums"][1]


def test_gpu_slot_claims_each_slot_once_then_fall_back():
    claims = gpu_sweep.claim_check(n_devices=2, slots=2)
    assert claims["claims"] == [0, 1, 0, 1, 0] and claims["ok"]
    assert claims["lock_files"] == ["gpu-0-1.lock", "gpu-0.lock", "gpu-1-1.lock", "gpu-1.lock"]


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--budget", "0"],
            "bninit gpu-check: error: argument --budget: '0' is not allowed: a number of seconds > 0",
        ),
        (
            ["--steps", "loop,speed"],
            "bninit gpu-check: error: argument --steps: 'speed' is not a step; allowed: loop, "
            "projection, concurrent, determinism, sweep",
        ),
        (["--device", "tpu"], "bninit gpu-check: error: argument --device: invalid choice: 'tpu'"),
    ],
)
def test_bad_arguments_are_one_line_exit_2(args, message, tmp_path, cli):
    proc = cli("gpu-check", *args, "--out", str(tmp_path))
    assert proc.returncode == 2 and proc.stderr.startswith(message) and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_one_gpu_of_several_is_made_the_only_visible_one(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5")
    monkeypatch.setattr(gpu_check.torch.cuda, "device_count", lambda: 2)
    info = gpu_check.select_gpu(1)
    assert gpu_check.os.environ["CUDA_VISIBLE_DEVICES"] == "5"  # the steps' processes see GPU 5 only
    assert (info["index"], info["of"], info["cuda_visible_devices"]) == (1, 2, "5")
    if not gpu_check.torch.cuda.is_available():  # the query fails here: recorded, not raised
        assert info["error"].startswith("could not query the GPU")
    report = {
        "gpu": True,
        "note": None,
        "budget_s": 450,
        "command": "x",
        "gpu_info": info,
        "steps": {},
        "machine": {"date_utc": "d", "cpu": "c", "cpu_count": 16, "torch": "t", "python": "p"},
    }
    md = gpu_report.markdown(report)
    assert "GPU 1 of 2: **" in md and "1 other GPU(s) unused" in md and "not GPU figures" not in md
