"""The hardware a run ran on, recorded beside its numbers: the same seed gives bit-identical
numbers only on the same kind of CPU / GPU and software (oneDNN and cuDNN pick their kernels per
machine), so a report can tell "different hardware" from "did not reproduce".

Not part of a run's identity: the same run on another machine lands in the same directory.
"""

import platform
from pathlib import Path

import torch


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU's model name (Linux /proc/cpuinfo), else what the platform module says."""
    try:
        for line in cpuinfo.read_text(errors="replace").splitlines():
            key, sep, value = line.partition(":")
            if sep and key.strip() == "model name":
                return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def fingerprint(device: torch.device) -> dict:
    """The hardware and the numeric settings in force for a run on `device` (call it after the
    run's backend flags are set). TF32 flags: True where fp32 matmuls / cuDNN convolutions may
    run in TF32 on this device (only a CUDA device has TF32)."""
    cuda = device.type == "cuda"
    cudnn = torch.backends.cudnn.version() if cuda and torch.backends.cudnn.is_available() else None
    return {
        "cpu": cpu_model(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "gpu": torch.cuda.get_device_name(device) if cuda else "",
        "cuda": (torch.version.cuda or "") if cuda else "",
        "cudnn": str(cudnn) if cudnn else "",
        "tf32_matmul": cuda and torch.backends.cuda.matmul.fp32_precision == "tf32",
        "tf32_cudnn": cuda and torch.backends.cudnn.conv.fp32_precision == "tf32",
        "cudnn_deterministic": bool(torch.backends.cudnn.deterministic),
    }


def remember(seen: list[dict], current: dict) -> list[dict]:
    """The fingerprints a run has run on, oldest first: `current` added unless already there
    (a run resumed on other hardware records both)."""
    return seen if current in seen else [*seen, current]
