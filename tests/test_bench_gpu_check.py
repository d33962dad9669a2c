"""`bninit gpu-check` (bninit.bench.gpu): its CPU path end to end, run as the air-gapped GPU
machine runs it (the offline bundle of scripts/gpu_bundle.sh, in a venv with only that
machine's packages, without network: the rehearsal) where this test may (root, unshare, the
package index for the bundle's wheels), else through the installed command; every step, the
JSON, the Markdown; the step budgets (a step cut at its budget, the next one running); the
packing probe's fused network against separate ones; the pure helpers; bad arguments."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from torch import nn
from torchvision.models.resnet import BasicBlock

from bninit.bench.gpu import budget, check, check_markdown, check_steps, measure, mini_sweep, peak
from bninit.bench.gpu.fused import fuse, fused_input
from bninit.bench.gpu.packed_training import (
    TRAINERS,
    SeedData,
    named_groups,
    seed_batches,
    train_steps,
)
from bninit.bench.gpu.sizes import PROFILES
from bninit.method.norms import InputBatchNorm2d
from bninit.run.fastpath import PLAIN
from gpu_box import make_box

ROOT = Path(__file__).resolve().parents[1]


def bundle_or_reason(folder: Path) -> tuple[Path | None, str]:
    """scripts/gpu_bundle.sh into `folder`; (the bundle, "") or (None, why it cannot be made here)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return None, "the rehearsal runs without network through `unshare -n`: needs root and unshare"
    if subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode:
        return None, "`unshare -n` is refused here (no network namespaces in this container)"
    proc = subprocess.run(
        ["bash", str(ROOT / "scripts/gpu_bundle.sh"), str(folder)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode and "cannot get" in proc.stderr:  # the package index is out of reach
        return None, proc.stderr.strip().splitlines()[-1]
    assert proc.returncode == 0, proc.stderr
    return folder, ""


def offline(box_python: Path, home: Path, *command: str) -> subprocess.CompletedProcess:
    """`command` without network, with the GPU machine's Python first on PATH and $OUT set."""
    env = {"PATH": f"{box_python.parent}:/usr/bin:/bin", "HOME": str(home), "OUT": str(home / "OUT")}
    return subprocess.run(
        ["unshare", "-n", *command], env=env, capture_output=True, text=True, timeout=900, cwd=home
    )


@pytest.fixture(scope="module")
def cpu_run(tmp_path_factory):
    """gpu-check's CPU path, every step: through the bundle offline where it can be, else through
    the installed `bninit`. (the process, the JSON, the Markdown, the bundle or None, why not)"""
    tmp = tmp_path_factory.mktemp("gpu")
    out = tmp / "results"
    bundle, reason = bundle_or_reason(tmp / "bundle")
    args = ["gpu-check", "--device", "cpu", "--out", str(out)]
    if bundle:
        python = make_box(tmp / "box")
        proc = offline(python, tmp, "bash", str(bundle / "run.sh"), "--device", "cpu", "--out", str(out))
    else:
        proc = subprocess.run(
            [str(Path(sys.executable).parent / "bninit"), *args], capture_output=True, text=True, timeout=900
        )
    assert proc.returncode == 0, proc.stderr
    [json_path] = out.glob("gpu-check-cpu-*.json")
    [md_path] = out.glob("gpu-check-cpu-*.md")
    assert sorted(p.name for p in out.iterdir()) == sorted([json_path.name, md_path.name])
    return proc, json.loads(json_path.read_text()), md_path.read_text(), bundle, reason


@pytest.mark.slow
def test_the_bundle_runs_offline_where_only_torch_and_the_scientific_stack_are(cpu_run, tmp_path):
    proc, report, _, bundle, reason = cpu_run
    if bundle is None:
        pytest.skip(reason)
    wheels = sorted(p.name.split("-")[0] for p in (bundle / "wheels").iterdir())
    assert wheels == [
        "antlr4_python3_runtime",
        "bninit",
        "hydra_core",
        "hydra_joblib_launcher",
        "hydra_submitit_launcher",
        "omegaconf",
        "submitit",
    ]
    assert all(p.name.endswith("-py3-none-any.whl") for p in (bundle / "wheels").iterdir())
    assert sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file()) <= 16 * 2**20
    home = bundle.parent
    assert sorted(p.name for p in (home / "OUT").iterdir()) == sorted(
        p.name for p in (home / "results").iterdir()
    )  # the JSON and the Markdown, copied to $OUT
    assert "run.sh: copied 2 file(s) to" in proc.stdout
    assert [s["status"] for s in report["steps"].values()] == ["ok"] * 5  # the sweep's Hydra too
    # the same machine without one of the wheels: one line naming the package, nothing run
    python = make_box(tmp_path / "box")
    shutil.copytree(bundle, tmp_path / "bundle")
    next((tmp_path / "bundle" / "wheels").glob("omegaconf-*.whl")).unlink()
    lacking = offline(python, tmp_path, "bash", str(tmp_path / "bundle" / "run.sh"), "--device", "cpu")
    lines = lacking.stderr.strip().splitlines()
    assert lacking.returncode == 1 and not (tmp_path / "bundle" / "results").exists()
    assert len(lines) == 1, lacking.stderr
    assert lines[0].startswith("run.sh: error: missing package omegaconf: 'import omegaconf' failed")
    # and the machine itself has no Hydra: what the bundle brings is what makes it run
    bare = subprocess.run([str(python), "-c", "import hydra"], capture_output=True, text=True)
    assert bare.returncode == 1 and "No module named 'hydra'" in bare.stderr


@pytest.mark.slow
def test_cpu_run_says_these_are_not_gpu_figures(cpu_run):
    proc, report, md, _, _ = cpu_run
    assert report["gpu"] is False and "not GPU figures" in report["note"]
    assert "not GPU figures" in md.splitlines()[2]  # at the top, under the title
    assert "not GPU figures" in proc.stdout and "NO CUDA DEVICE" in proc.stderr
    assert list(report["steps"]) == ["precision", "determinism", "packing", "sweep", "loop"]
    assert [s["status"] for s in report["steps"].values()] == ["ok"] * 5
    assert "[precision] fp32:" in proc.stderr and "[sweep] 4/4 runs done" in proc.stderr  # progress
    assert report["wall_s"] < report["budget_s"]


@pytest.mark.slow
def test_cpu_run_projects_each_precision_and_records_the_arithmetic(cpu_run):
    _, report, md, _, _ = cpu_run
    step = report["steps"]["precision"]
    assert [r["precision"] for r in step["rows"]] == ["fp32", "tf32", "bf16"]
    assert step["arithmetic"]["run_flop"] == pytest.approx(3.2e9 * 45_000 * 180)
    assert "3.20 GFLOP x 45000 images x 180 epochs" in md
    for r in step["rows"]:
        assert r["status"] == "ok" and r["options"]["precision"] == r["precision"]
        assert (r["train_images"], r["val_images"], r["test_images"]) == (144, 16, 32)
        assert r["run_180_epochs_s"] == pytest.approx(180 * r["epoch_s"] + 2 * 10_000 / r["eval_ips"])
        assert r["cell_15_seeds_s"] == pytest.approx(15 * r["run_180_epochs_s"])
        assert r["achieved_tflops"] == pytest.approx(r["train_ips"] * 3.2e-3)
        assert r["peak_tflops"] is None and r["fraction_of_peak"] is None  # no datasheet for a CPU
        assert 0 < r["counted_gflop_per_image"] < 3.2 and r["matmul_tflops"] > 0  # a narrow ResNet-18
    assert "| bf16 | ok |" in md


@pytest.mark.slow
def test_cpu_run_packs_k_seeds_three_ways(cpu_run):
    _, report, md, _, _ = cpu_run
    step = report["steps"]["packing"]
    assert step["note"].startswith("CPU at tiny sizes") and step["note"] in md
    got = {(r["method"], r["k"]): r for r in step["rows"]}
    assert sorted(got) == sorted((m, k) for m in ("processes", "vmap", "fused") for k in (1, 4, 15))
    for r in got.values():
        assert r["status"] == "ok" and r["train_ips"] > 0 and r["x_one_seed"] > 0
        assert len(r["losses"]) == r["k"] and all(len(seed) == 5 for seed in r["losses"])
    assert got["processes", 1]["x_one_seed"] == 1.0
    # K processes are K seeds each trained alone: on one machine their losses are those alone
    assert got["processes", 4]["max_loss_diff_vs_alone"] == 0.0
    for method in ("vmap", "fused"):
        assert (
            got[method, 4]["max_loss_diff_vs_alone"] >= 0 and "max_loss_diff_vs_alone" not in got[method, 15]
        )
    assert len(step["alone_losses"]) == 4 and got["fused", 1]["losses"][0][0] == step["alone_losses"][0][0]
    assert "| fused | 15 | ok |" in md


@pytest.mark.slow
def test_cpu_run_determinism_mini_sweep_and_loop(cpu_run):
    _, report, md, _, _ = cpu_run
    det = report["steps"]["determinism"]
    assert det["deterministic"]["identical"] is True  # CPU: bit-equal reruns
    assert (
        det["deterministic"]["max_abs_weight_diff"] == 0.0 and len(det["deterministic"]["histories"][0]) == 2
    )
    sweep = report["steps"]["sweep"]
    assert sweep["collected"]["rows"] == 4 and sweep["collected"]["done"] == 4
    assert sweep["train"]["rc"] == sweep["collect"]["rc"] == sweep["report"]["rc"] == 0
    assert "| BASE |" in sweep["report"]["markdown"] and sweep["claims"]["ok"] and sweep["problems"] == []
    rows = report["steps"]["loop"]["rows"]
    assert [(r["loop"], r["status"]) for r in rows] == [
        ("reference", "ok"),
        ("bninit", "ok"),
        ("bninit", "ok"),
        ("bninit", "ok"),
        ("bninit", "skipped"),
    ]
    assert rows[0]["train_x_ref"] == 1.0 and "skipped on CPU" in rows[4]["note"]
    assert "**identical**" in md and "runs done: **4 of 4**" in md
    assert "| reference | fp32 NCHW, PIL + DataLoader | ok |" in md


# ---------------------------------------------------------------- step budgets


@pytest.mark.slow
def test_a_step_over_its_budget_is_cut_and_recorded_and_the_next_one_runs(monkeypatch, tmp_path):
    budgets = {**PROFILES["cpu"]["budget_s"], "precision": 2}  # far less than its workers need
    monkeypatch.setitem(PROFILES["cpu"], "budget_s", budgets)
    written = []

    def save(report, paths):  # what the files hold each time they are written
        real_save(report, paths)
        written.append(json.loads(paths[0].read_text()))

    real_save = check.save
    monkeypatch.setattr(check, "save", save)
    start = time.monotonic()
    assert check.main(["--device", "cpu", "--steps", "precision,determinism", "--out", str(tmp_path)]) == 0
    cut = written[0]["steps"]["precision"]
    assert list(written[0]["steps"]) == ["precision"]  # on disk as soon as the step ended
    assert cut["status"] == "cut" and cut["note"] == "cut at its budget of 2 s; what it finished is kept"
    assert 2 <= cut["seconds"] < 10  # killed with its workers, not waited for
    assert written[-1]["steps"]["determinism"]["status"] == "ok"
    assert time.monotonic() - start < budgets["determinism"] + 30
    md = next(tmp_path.glob("*.md")).read_text()
    assert "**cut** after 2 s: cut at its budget of 2 s" in md


def test_a_failing_step_is_recorded_with_what_it_recorded_before(monkeypatch, tmp_path):
    def broken(ctx, record):  # measures one part, then runs out of GPU memory
        record({"rows": [{"precision": "fp32", "status": "ok"}]})
        raise RuntimeError("CUDA error: out of memory")

    monkeypatch.setitem(check_steps.STEP_FUNCTIONS, "precision", broken)
    spec, result = tmp_path / "spec.json", tmp_path / "result.json"
    context = {"device": "cpu", "profile": PROFILES["cpu"], "threads": 1, "gpu_info": {}}
    spec.write_text(json.dumps({"step": "precision", "context": context, "deadline": time.monotonic() + 60}))
    assert budget.step_process(spec, result) == 0
    out = json.loads(result.read_text())
    assert out == {
        "rows": [{"precision": "fp32", "status": "ok"}],
        "status": "failed",
        "error": "RuntimeError: CUDA error: out of memory",
    }


def test_a_late_step_is_skipped_and_a_failed_cut_or_skipped_one_says_so_in_the_markdown():
    assert check.allowed_seconds(100, 500) == 100 and check.allowed_seconds(100, 40) == 40
    assert check.allowed_seconds(100, 20) is None  # under a quarter of its own budget is left
    late = check.run_step("determinism", {}, 100, 20)
    assert late == {
        "status": "skipped",
        "note": "skipped: 20 s of the budget left for it, it needs ~100 s",
        "seconds": 0.0,
    }
    report = {
        "gpu": False,
        "note": check.NOT_GPU,
        "budget_s": 10,
        "command": "x",
        "machine": {"date_utc": "d", "cpu": "c", "cpu_count": 2, "torch": "t", "python": "p"},
        "steps": {
            "precision": {
                "status": "failed",
                "error": "RuntimeError: CUDA error: out of memory",
                "seconds": 3,
            },
            "determinism": late,
            "packing": {
                "status": "cut",
                "note": "cut at its budget of 9 s; what it finished is kept",
                "seconds": 9,
            },
            "sweep": {  # cut after its first command: what it recorded then
                "runs": 4,
                "train": {"command": "bninit train -m seed=1,2", "rc": 0, "seconds": 31.5},
                "status": "cut",
                "note": "cut at its budget of 40 s; what it finished is kept",
                "seconds": 40,
            },
        },
    }
    md = check_markdown.markdown(report)
    assert "**failed** after 3 s: `RuntimeError: CUDA error: out of memory`" in md and late["note"] in md
    assert "**cut** after 9 s: cut at its budget of 9 s" in md and "not GPU figures" in md
    assert "* `bninit train`: exit 0, 31.5 s" in md and "**cut** after 40 s" in md


# ---------------------------------------------------------------- the packing probe's pieces


def tiny_net(seed: int) -> nn.Module:
    """bninit's input BN, a conv, BN, ReLU, a residual block with a strided 1x1 shortcut, pooling
    and a classifier: every kind of layer the fused network rewrites."""
    torch.manual_seed(seed)
    shortcut = nn.Sequential(nn.Conv2d(4, 6, 1, stride=2, bias=False), nn.BatchNorm2d(6))
    return nn.Sequential(
        InputBatchNorm2d(3),
        nn.Conv2d(3, 4, 3, padding=1, bias=False),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        BasicBlock(4, 6, stride=2, downsample=shortcut),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(6, 3),
    )


def tiny_data(seeds: list[int]) -> SeedData:
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (12, 3, 6, 6), dtype=torch.uint8, generator=g)
    return SeedData(images, torch.randint(0, 3, (12,), generator=g), seeds, 4, 3, torch.device("cpu"))


@pytest.mark.parametrize("method", ["fused", "vmap"])
def test_two_seeds_packed_have_the_losses_and_weights_of_each_seed_alone(method):
    cpu = torch.device("cpu")
    alone = []
    for seed in (1, 2):
        trainer = TRAINERS["alone"]([tiny_net(seed)], PLAIN, cpu)
        alone.append((train_steps(trainer, tiny_data([seed]), 3)[:, 0], trainer.model))
    packed = TRAINERS[method]([tiny_net(1), tiny_net(2)], PLAIN, cpu)
    losses = train_steps(packed, tiny_data([1, 2]), 3)
    assert losses.shape == (3, 2) and not torch.equal(losses[:, 0], losses[:, 1])
    for k, (seed_losses, model) in enumerate(alone):
        assert torch.allclose(losses[:, k], seed_losses, rtol=0, atol=1e-6)
        # after 3 SGD steps each seed's weights and BN running statistics are its own ones
        if method == "fused":
            mine = packed.model.state_dict()
            conv = mine["1.weight"].view(2, 4, 3, 3, 3)[k]
            running = mine["4.bn2.running_var"].view(2, 6)[k]
            head = mine["7.weight"][k]
        else:
            conv, head = packed.params["1.weight"][k], packed.params["7.weight"][k]
            running = packed.buffers["4.bn2.running_var"][k]
        assert torch.allclose(conv, model.state_dict()["1.weight"], atol=1e-6)
        assert torch.allclose(running, model.state_dict()["4.bn2.running_var"], atol=1e-6)
        assert torch.allclose(head, model.state_dict()["7.weight"], atol=1e-6)


def test_fusing_trained_networks_keeps_each_ones_running_statistics():
    models = [tiny_net(1), tiny_net(2)]
    for k, model in enumerate(models):  # different batches: different running statistics
        model.train()(torch.rand(5, 3, 6, 6) * 255 * (k + 1))
    fused = fuse(models).eval()
    x = torch.rand(2, 4, 3, 6, 6) * 255
    with torch.no_grad():
        together = fused(fused_input(x))  # K x B x classes
        alone = torch.stack([m.eval()(x[k]) for k, m in enumerate(models)])
    assert torch.allclose(together, alone, atol=1e-5) and not torch.allclose(together[0], together[1])


def test_the_fused_networks_bn_scales_are_at_lr_over_c_and_its_biases_without_decay():
    models = [tiny_net(1), tiny_net(2)]
    fused = fuse(models)
    groups = {g["name"]: g for g in named_groups(models[0], dict(fused.named_parameters()))}
    names = {id(p): n for n, p in fused.named_parameters()}
    named = {k: sorted(names[id(p)] for p in g["params"]) for k, g in groups.items()}
    assert named["bn_scale"] == [
        "0.weight",
        "2.weight",
        "4.bn1.weight",
        "4.bn2.weight",
        "4.downsample.1.weight",
    ]
    assert named["no_decay"] == ["2.bias", "4.bn1.bias", "4.bn2.bias", "4.downsample.1.bias", "7.bias"]
    assert groups["bn_scale"]["lr"] == pytest.approx(0.1 / 100) and groups["no_decay"]["weight_decay"] == 0
    assert "0.bias" not in sum(named.values(), [])  # the input BN's frozen shift stays frozen
    assert fused.get_submodule("1").groups == 2 and fused.get_submodule("4.conv1").weight.shape == (
        12,
        4,
        3,
        3,
    )


def test_fusing_refuses_layers_it_cannot_split_by_seed():
    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(torch.ones(1))

    with pytest.raises(ValueError, match="cannot fuse 1: Scaled holds parameters"):
        fuse([nn.Sequential(nn.ReLU(), Scaled()) for _ in range(2)])
    with pytest.raises(ValueError, match="different structures"):
        fuse([tiny_net(1), nn.Sequential(nn.Linear(2, 2))])


def test_each_seed_draws_its_own_data_order_and_flips():
    index, flips = seed_batches(3, pool=10, batch_size=4, steps=5)
    again, _ = seed_batches(3, pool=10, batch_size=4, steps=5)
    other, other_flips = seed_batches(4, pool=10, batch_size=4, steps=5)
    assert torch.equal(index, again) and not torch.equal(index, other) and not torch.equal(flips, other_flips)
    assert sorted(index.flatten()[:10].tolist()) == list(range(10))  # a permutation per pass
    assert index.shape == flips.shape == (5, 4) and flips.dtype == torch.bool


# ---------------------------------------------------------------- pure helpers


def test_projection_arithmetic():
    p = check_steps.projection(45_000, 45.0, 15_000, 3.0, "at_best")
    assert (p["train_ips"], p["eval_ips"]) == (1000.0, 5000.0)
    assert p["epoch_s"] == pytest.approx(45 + 1)  # 5k val per epoch; the test set only at the end
    assert p["run_180_epochs_s"] == pytest.approx(180 * 46 + 2 * 2)
    assert p["cell_15_seeds_s"] == pytest.approx(15 * p["run_180_epochs_s"])
    every = check_steps.projection(45_000, 45.0, 15_000, 3.0, "every_epoch", concurrent=4)
    assert every["epoch_s"] == pytest.approx(48) and every["cell_15_seeds_s"] == pytest.approx(4 * 180 * 48)


def test_speed_against_the_gpus_peak():
    assert peak.peak_tflops("NVIDIA H100 80GB HBM3")["bf16"] == 989.4
    assert peak.peak_tflops("NVIDIA H100 PCIe")["fp32"] == 51.2  # PCIe before the SXM entry
    assert peak.peak_tflops("NVIDIA H200")["tf32"] == 494.7 and peak.peak_tflops("AMD EPYC") is None
    work = peak.run_arithmetic(3.2)
    assert work["run_flop"] == pytest.approx(2.592e16)
    p = peak.against_peak(10_000, 3.2, 989.4)  # 10k img/s x 3.2 GFLOP = 32 TFLOP/s
    assert p["achieved_tflops"] == pytest.approx(32.0) and p["fraction_of_peak"] == pytest.approx(32 / 989.4)
    assert p["run_train_s_at_peak"] == pytest.approx(2.592e16 / 989.4e12)
    assert peak.against_peak(10_000, 3.2, None)["fraction_of_peak"] is None


def test_max_overlap():
    assert mini_sweep.max_overlap([(0, 2), (1, 3), (4, 5)]) == 2
    assert mini_sweep.max_overlap([(0, 1), (1, 2)]) == 1 and mini_sweep.max_overlap([]) == 0


def test_checksum_and_comparison_of_two_runs():
    state = {"w": torch.ones(3), "n": torch.tensor(2)}
    run = {
        "history": [{"train_loss": 1.0, "train_acc": 50.0, "test_acc": 40.0}],
        "epoch_s": [1.0],
        "checksum": measure.weights_checksum(state),
        "state": state,
        "peak_mem_mib": None,
    }
    same = measure.compare(run, dict(run))
    assert same["identical"] and same["max_abs_weight_diff"] == 0.0
    other_state = {"w": torch.tensor([1.0, 1.0, 1.5]), "n": torch.tensor(2)}
    other = {
        **run,
        "state": other_state,
        "checksum": measure.weights_checksum(other_state),
        "history": [{"train_loss": 1.25, "train_acc": 50.0, "test_acc": 40.0}],
    }
    diff = measure.compare(run, other)
    assert not diff["identical"] and diff["max_abs_weight_diff"] == 0.5
    assert diff["max_abs_diff"]["train_loss"] == 0.25 and diff["checksums"][0] != diff["checksums"][1]


def test_gpu_slot_claims_each_slot_once_then_fall_back():
    claims = mini_sweep.claim_check(n_devices=2, slots=2)
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
            ["--steps", "precision,speed"],
            "bninit gpu-check: error: argument --steps: 'speed' is not a step; allowed: precision, "
            "determinism, packing, sweep, loop",
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
    monkeypatch.setattr(check.torch.cuda, "device_count", lambda: 2)
    info = check.select_gpu(1)
    assert check.os.environ["CUDA_VISIBLE_DEVICES"] == "5"  # the steps' processes see GPU 5 only
    assert (info["index"], info["of"], info["cuda_visible_devices"]) == (1, 2, "5")
    if not check.torch.cuda.is_available():  # the query fails here: recorded, not raised
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
    md = check_markdown.markdown(report)
    assert "GPU 1 of 2: **" in md and "1 other GPU(s) unused" in md and "not GPU figures" not in md
