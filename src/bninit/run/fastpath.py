"""The fast path's switches, resolved once per run for its device, and the small pieces the
training loop calls: the autocast context, the grad scaler, the memory layout, torch.compile.

What stays fixed whatever the switches say: BN running statistics and parameters are fp32
tensors (autocast only lowers the matmul/conv inputs), the loss is computed in fp32, and the
module whose state_dict is saved is always the plain (uncompiled) model.
"""

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

import torch
from torch import nn

from bninit.config import RunConfig
from bninit.errors import UserError

AUTOCAST_DTYPES: dict[str, torch.dtype | None] = {
    "fp32": None,
    "bf16": torch.bfloat16,
    "fp16": torch.float16,
    "tf32": None,  # fp32 tensors; on CUDA, matmuls and cuDNN convolutions may use TF32
}


@dataclass(frozen=True)
class FastPath:
    """The switches of one run on its device, and what the training loop asks of them."""

    device_type: str  # "cpu" | "cuda"
    autocast_dtype: torch.dtype | None  # None: plain fp32
    grad_scaling: bool  # fp16 only: scale the loss so small gradients survive
    channels_last: bool
    compile: bool
    deterministic: bool
    tf32: bool = False  # precision=tf32: TF32 for fp32 matmuls and convolutions on CUDA

    @classmethod
    def for_run(cls, cfg: RunConfig, device: torch.device) -> "FastPath":
        """The switches `cfg` asks for on `device`; UserError where the device cannot honour them."""
        if cfg.precision == "fp16" and device.type != "cuda":
            raise UserError(
                f"precision=fp16 needs a CUDA device (its grad scaler is CUDA-only here), "
                f"the run is on {device.type}; use precision=bf16 or fp32"
            )
        if (
            cfg.precision == "bf16"
            and device.type == "cuda"
            and torch.cuda.is_available()
            and not torch.cuda.is_bf16_supported()
        ):
            raise UserError(
                f"precision=bf16: {torch.cuda.get_device_name(device)} has no bf16 "
                f"support; use precision=fp16 or fp32"
            )
        return cls(
            device_type=device.type,
            autocast_dtype=AUTOCAST_DTYPES[cfg.precision],
            grad_scaling=cfg.precision == "fp16" and device.type == "cuda",
            channels_last=cfg.channels_last,
            compile=cfg.compile,
            deterministic=cfg.deterministic,
            tf32=cfg.precision == "tf32",
        )

    def set_backend_flags(self) -> None:
        """cudnn deterministic (the paper's setting) or cudnn's autotuned, faster kernels; fp32
        means IEEE fp32 on CUDA (PyTorch's default lets cuDNN convolutions use TF32 on Ampere and
        later), TF32 only with precision=tf32. Set through torch's fp32_precision settings."""
        torch.backends.cudnn.deterministic = self.deterministic
        torch.backends.cudnn.benchmark = not self.deterministic
        if self.device_type == "cuda":
            mode = "tf32" if self.tf32 else "ieee"
            torch.backends.cuda.matmul.fp32_precision = mode
            torch.backends.cudnn.conv.fp32_precision = mode

    def autocast(self) -> AbstractContextManager:
        if self.autocast_dtype is None:
            return nullcontext()
        return torch.autocast(self.device_type, dtype=self.autocast_dtype)

    def grad_scaler(self) -> torch.amp.GradScaler:
        """A grad scaler that is active for fp16 on CUDA only (otherwise its calls pass through)."""
        return torch.amp.GradScaler(self.device_type, enabled=self.grad_scaling)

    @property
    def memory_format(self) -> torch.memory_format:
        return torch.channels_last if self.channels_last else torch.contiguous_format

    def prepare(self, model: nn.Module) -> nn.Module:
        """Put `model` in the chosen layout (in place) and return the module to call: the compiled
        wrapper, or `model` itself. Save and load state through `model`, never the wrapper."""
        model.to(memory_format=self.memory_format)
        return torch.compile(model) if self.compile else model

    def to_input(self, images: torch.Tensor) -> torch.Tensor:
        return images.contiguous(memory_format=self.memory_format)


# The plain loop: fp32, NCHW, eager, deterministic (what callers get when they pass nothing).
PLAIN = FastPath("cpu", None, grad_scaling=False, channels_last=False, compile=False, deterministic=True)
