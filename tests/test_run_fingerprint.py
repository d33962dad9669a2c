"""The hardware fingerprint: in result.json and the CSV, both machines of a resumed run, never in
a run's identity."""

import json
import subprocess
from pathlib import Path

import torch

from bninit.config.compose import compose_run_config
from bninit.run import train
from bninit.run.fingerprint import cpu_model
from bninit.run.train import run
from bninit.store.collect import HARDWARE_COLUMNS, collect
from bninit.store.rundir import run_dir


def test_a_run_records_its_hardware_in_result_json_and_the_csv(make_cfg):
    cfg = make_cfg("seed=1", "epochs=1")
    result = run(cfg)
    on_disk = json.loads((run_dir(cfg) / "result.json").read_text())
    [machine] = on_disk["hardware"]
    assert set(machine) == set(HARDWARE_COLUMNS)
    # the model name as grep prints it, and torch's own answer for the capability
    line = subprocess.run(["grep", "-m1", "model name", "/proc/cpuinfo"], capture_output=True, text=True)
    assert machine["cpu"] == line.stdout.split(":", 1)[1].strip()
    assert machine["cpu_capability"] == torch.backends.cpu.get_cpu_capability()
    assert machine["gpu"] == machine["cuda"] == machine["cudnn"] == ""  # a CPU run
    assert machine["tf32_matmul"] is False and machine["tf32_cudnn"] is False
    assert machine["cudnn_deterministic"] is True  # deterministic=true, the default
    row = collect([Path(result["run_dir"])]).iloc[0]
    assert row["cpu"] == machine["cpu"] and row["cpu_capability"] == machine["cpu_capability"]
    assert row["cudnn_deterministic"] == "True"


def test_a_run_resumed_on_other_hardware_records_both(make_cfg, monkeypatch):
    cfg = make_cfg("seed=2", "epochs=2")
    run(cfg, stop_after_epoch=1)
    real = train.fingerprint
    # the run dir moved to another machine (a requeued SLURM job on another node) before resuming
    monkeypatch.setattr(train, "fingerprint", lambda device: {**real(device), "cpu": "Other CPU 9000"})
    result = run(cfg)
    assert [m["cpu"] for m in result["hardware"]] == [cpu_model(), "Other CPU 9000"]
    row = collect([Path(result["run_dir"])]).iloc[0]
    assert row["cpu"] == f"{cpu_model()} + Other CPU 9000"
    assert row["cpu_capability"] == torch.backends.cpu.get_cpu_capability()  # same value: once


def test_the_fingerprint_is_not_part_of_a_runs_identity(tmp_path):
    """The demo's BASE cell keeps the directory name it had before hardware was recorded."""
    cfg = compose_run_config([f"runs_dir={tmp_path}", "bn=base", "gamma=1.0", "c=1", "lr=0.1", "seed=1"])
    assert run_dir(cfg).parent.name == "base-g1-c1-lr0.1-in_bn-62c8b609"
    tf32 = compose_run_config([f"runs_dir={tmp_path}", "bn=base", "gamma=1.0", "c=1", "precision=tf32"])
    assert run_dir(tf32).parent.name != run_dir(cfg).parent.name  # precision is identity


def test_precision_fp32_and_tf32_set_torchs_cuda_fp32_precision():
    """fp32 on CUDA is IEEE fp32 for matmuls and cuDNN convolutions (torch's default lets cuDNN use
    TF32); tf32 allows TF32 for both. The flags are set the same way with or without a GPU."""
    from bninit.run.fastpath import FastPath

    matmul, conv = torch.backends.cuda.matmul, torch.backends.cudnn.conv
    before = matmul.fp32_precision, conv.fp32_precision, torch.backends.cudnn.benchmark
    try:
        for precision, expected in (("fp32", "ieee"), ("tf32", "tf32")):
            cfg = compose_run_config([f"precision={precision}"])
            fast = FastPath.for_run(cfg, torch.device("cpu"))
            FastPath("cuda", None, False, False, False, True, tf32=fast.tf32).set_backend_flags()
            assert (matmul.fp32_precision, conv.fp32_precision) == (expected, expected)
    finally:
        matmul.fp32_precision, conv.fp32_precision, torch.backends.cudnn.benchmark = before
