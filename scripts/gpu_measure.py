"""The in-process measurements of scripts/gpu_check.py, each run in a process of its own:

    python scripts/gpu_measure.py epoch SPEC_JSON         # one full synthetic epoch + evaluation
    python scripts/gpu_measure.py determinism SPEC_JSON   # the same seed twice, deterministic on/off

Each prints one JSON line last on stdout. The device is spec["device"] ("cpu" or "cuda": the
parent makes exactly one GPU visible, so "cuda" is that GPU). Training goes through bninit's own
loop (bninit.run.train.train_epoch / accuracy) on data in a bninit.data.ImageData, with the network
scripts/bench.py builds (bninit's input BN + the architecture, bninit's init).
"""

import hashlib
import json
import sys
import time

# bninit's modules and the benchmark's pieces: every import of either is here.
import bench  # scripts/bench.py (this folder is on sys.path when a script here runs)
import torch

from bninit.config import RunConfig
from bninit.data.batches import train_batches
from bninit.data.image_data import ImageData
from bninit.data.split import stratified_split
from bninit.method.optim import build_optimizer
from bninit.run.fastpath import FastPath
from bninit.run.host_memory import keep_freed_memory
from bninit.run.train import accuracy, train_epoch
from bninit.seeds import md5_seed, seed_everything


def synthetic_cifar(n_train: int, n_test: int, seed: int = 1) -> ImageData:
    """CIFAR-10-shaped uint8 data (3 x 32 x 32, 10 classes, flip augmentation) as bninit loads it."""
    x, y = bench.synthetic_data(n_train, seed)
    xt, yt = bench.synthetic_data(n_test, seed + 1)
    return ImageData(x, y, xt, yt, num_classes=10, augment="flip", image_size=32)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def clock(device: torch.device, step, *args) -> tuple[object, float]:
    """(what `step(*args)` returns, its wall seconds), the device's queue drained before and after."""
    sync(device)
    start = time.perf_counter()
    out = step(*args)
    sync(device)
    return out, time.perf_counter() - start


def peak_mib(device: torch.device) -> float | None:
    return torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None


def free(device: torch.device) -> None:
    """Give cached blocks back and restart the peak counter (call after `del` of the tensors)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


class Trainer:
    """bninit's loop on one network: the run's fast path, optimizer and grad scaler."""

    def __init__(self, spec: dict, train_x: torch.Tensor, options: dict):
        self.device = torch.device(spec["device"])
        self.fast = FastPath.for_run(RunConfig(**options), self.device)
        self.fast.set_backend_flags()
        model, _ = bench.make_network(spec["arch"], train_x)
        self.model = model.to(self.device)
        self.forward = self.fast.prepare(self.model)
        self.optimizer = build_optimizer(self.model, 0.1, 100.0, 1e-4, 0.9)
        self.scaler = self.fast.grad_scaler()
        self.batch_size = spec["batch_size"]

    def epoch(self, x, y, generator) -> tuple[float, float]:
        batches = train_batches(x, y, self.batch_size, generator, "flip", 32)
        return train_epoch(self.forward, self.optimizer, batches, self.fast, self.scaler)

    def accuracy(self, x, y) -> float:
        return accuracy(self.forward, x, y, 32, self.fast)


def measure_epoch(spec: dict) -> dict:
    """One full epoch on the training split (stratified 10% val held out, as a run does), then
    evaluation of the val and test sets, with bninit's default options."""
    device = torch.device(spec["device"])
    data = synthetic_cifar(spec["train"] + spec["val"], spec["test"])
    train_idx, val_idx = stratified_split(data.train_y.numpy())
    generator = seed_everything(md5_seed(1))
    x, y = data.train_x[train_idx].to(device), data.train_y[train_idx].to(device)
    xv, yv = data.train_x[val_idx].to(device), data.train_y[val_idx].to(device)
    xt, yt = data.test_x.to(device), data.test_y.to(device)
    trainer = Trainer(spec, data.train_x[train_idx], bench.default_settings())
    warm = spec["warmup_batches"] * spec["batch_size"]  # first-use costs (cudnn, allocator) untimed
    trainer.epoch(x[:warm], y[:warm], generator)
    trainer.accuracy(xv[:warm], yv[:warm])
    free(device)
    (loss, _), train_s = clock(device, trainer.epoch, x, y, generator)
    _, val_s = clock(device, trainer.accuracy, xv, yv)
    _, test_s = clock(device, trainer.accuracy, xt, yt)
    return {
        "train_images": len(y),
        "val_images": len(yv),
        "test_images": len(yt),
        "train_s": train_s,
        "val_s": val_s,
        "test_s": test_s,
        "train_loss": loss,
        "peak_mem_mib": peak_mib(device),
        "options": bench.default_settings(),
    }


def weights_checksum(state: dict[str, torch.Tensor]) -> str:
    """sha256 over every tensor's bytes in state_dict order (the first 16 hex digits)."""
    digest = hashlib.sha256()
    for name, value in state.items():
        digest.update(name.encode())
        digest.update(value.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()[:16]


def train_seeded(spec: dict, deterministic: bool) -> dict:
    """Seed 1 from scratch: build, train spec["epochs"] epochs; history, checksum, weights (CPU)."""
    device = torch.device(spec["device"])
    generator = seed_everything(md5_seed(1))
    data = synthetic_cifar(spec["train"], spec["test"])
    x, y = data.train_x.to(device), data.train_y.to(device)
    xt, yt = data.test_x.to(device), data.test_y.to(device)
    trainer = Trainer(spec, data.train_x, {**bench.default_settings(), "deterministic": deterministic})
    history, seconds = [], []
    for _ in range(spec["epochs"]):
        (loss, train_acc), s = clock(device, trainer.epoch, x, y, generator)
        history.append({"train_loss": loss, "train_acc": train_acc, "test_acc": trainer.accuracy(xt, yt)})
        seconds.append(s)
    state = {k: v.detach().cpu().clone() for k, v in trainer.model.state_dict().items()}
    out = {
        "history": history,
        "epoch_s": seconds,
        "checksum": weights_checksum(state),
        "state": state,
        "peak_mem_mib": peak_mib(device),
    }
    del trainer, x, y, xt, yt, data
    free(device)
    return out


def compare(a: dict, b: dict) -> dict:
    """How two runs of the same seed differ: histories, weights (max |difference|), checksums."""
    diffs = {
        key: max(abs(ha[key] - hb[key]) for ha, hb in zip(a["history"], b["history"], strict=True))
        for key in ("train_loss", "train_acc", "test_acc")
    }
    weight_diff = max(
        (
            (va.float() - b["state"][k].float()).abs().max().item()
            for k, va in a["state"].items()
            if va.is_floating_point()
        ),
        default=0.0,
    )
    return {
        "identical": a["history"] == b["history"] and a["checksum"] == b["checksum"],
        "checksums": [a["checksum"], b["checksum"]],
        "max_abs_diff": diffs,
        "max_abs_weight_diff": weight_diff,
        "histories": [a["history"], b["history"]],
        # the last epoch of each run (the first one pays cudnn's autotuning when benchmarking)
        "epoch_s": min(a["epoch_s"][-1], b["epoch_s"][-1]),
        "peak_mem_mib": a["peak_mem_mib"],
    }


def measure_determinism(spec: dict) -> dict:
    out = {}
    for name, flag in (("deterministic", True), ("nondeterministic", False)):
        first, second = train_seeded(spec, flag), train_seeded(spec, flag)
        out[name] = compare(first, second)
    out["speedup_nondeterministic"] = out["deterministic"]["epoch_s"] / out["nondeterministic"]["epoch_s"]
    return out


STEPS = {"epoch": measure_epoch, "determinism": measure_determinism}


def main(argv: list[str]) -> int:
    step, spec = argv[0], json.loads(argv[1])
    torch.set_num_threads(spec.get("threads", torch.get_num_threads()))
    keep_freed_memory()  # as every bninit run does
    print(json.dumps(STEPS[step](spec)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
