"""The in-process measurements of `bninit gpu-check`, each run in a process of its own:

    python -m bninit.bench.worker epoch SPEC_JSON         # one full synthetic epoch + evaluation
                                                          # at each of spec["precisions"]
    python -m bninit.bench.worker determinism SPEC_JSON   # the same seed twice, deterministic on/off

Each prints one JSON line last on stdout. The device is spec["device"] ("cpu" or "cuda": the
parent makes exactly one GPU visible, so "cuda" is that GPU). Training goes through bninit's own
loop (bninit.run.steps.train_epoch / accuracy) on data in a bninit.data.ImageData, with the network
the benchmark builds (bninit.bench.loops: bninit's input BN + the architecture, bninit's init).
"""

import copy
import functools
import hashlib
import json
import time

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from bninit.bench.loops import BninitLoop, bninit_loop, make_network, synthetic_data
from bninit.bench.rows import default_settings
from bninit.data.batches import train_batches
from bninit.data.image_data import ImageData
from bninit.data.split import stratified_split
from bninit.errors import UserError
from bninit.run.host_memory import keep_freed_memory
from bninit.run.steps import accuracy, train_epoch
from bninit.seeds import md5_seed, seed_everything


def synthetic_cifar(n_train: int, n_test: int, seed: int = 1) -> ImageData:
    """CIFAR-10-shaped uint8 data (3 x 32 x 32, 10 classes) as bninit loads it (the epochs here flip)."""
    x, y = synthetic_data(n_train, seed)
    xt, yt = synthetic_data(n_test, seed + 1)
    return ImageData(x, y, xt, yt, num_classes=10, image_size=32)


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


def epoch(loop: BninitLoop, x, y, batch_size: int, generator) -> tuple[float, float]:
    """One epoch of bninit's own loop over (x, y), flip augmentation, 32x32 (train loss, acc)."""
    batches = train_batches(x, y, batch_size, generator, "flip", 32)
    return train_epoch(loop.forward, loop.optimizer, batches, loop.fast, loop.scaler)


def evaluate(loop: BninitLoop, x, y) -> float:
    return accuracy(loop.forward, x, y, 32, loop.fast)


def build(spec: dict, train_x: torch.Tensor, options: dict) -> tuple[torch.nn.Module, BninitLoop]:
    """The benchmark's network for spec["arch"] on spec["device"] and bninit's loop over it."""
    device = torch.device(spec["device"])
    model, _ = make_network(spec["arch"], train_x)
    model = model.to(device)
    return model, bninit_loop(model, options, device)


def train_gflop_per_image(model: torch.nn.Module, images: torch.Tensor) -> float:
    """GFLOP of one training step per image (forward + backward), counted by torch's
    FlopCounterMode on a copy of `model` on the CPU, in fp32, over two of `images`."""
    net = copy.deepcopy(model).cpu().train()
    x = images[:2].float().cpu()
    with FlopCounterMode(display=False) as counter:
        F.cross_entropy(net(x), torch.zeros(len(x), dtype=torch.long)).backward()
    return counter.get_total_flops() / len(x) / 1e9


def matmul_tflops(device: torch.device, precision: str, size: int) -> float:
    """TFLOP/s of size x size x size matrix products at `precision` under the run's backend flags
    (fp32 / tf32: fp32 tensors; bf16: bf16 tensors), the best of five after a warm-up."""
    dtype = torch.bfloat16 if precision == "bf16" else torch.float32
    a, b = (torch.randn(size, size, device=device, dtype=dtype) for _ in range(2))
    torch.mm(a, b)
    best = float("inf")
    for _ in range(5):
        _, seconds = clock(device, torch.mm, a, b)
        best = min(best, seconds)
    return 2 * size**3 / best / 1e12


def measure_epoch(spec: dict) -> dict:
    """One full epoch on the training split (stratified 10% val held out, as a run does), then
    evaluation of the val and test sets, with bninit's default options at spec["precision"]; the
    counted work of a training step per image, and the matrix-product rate at that precision."""
    device = torch.device(spec["device"])
    options = {**default_settings(), "precision": spec.get("precision", "fp32")}
    data = synthetic_cifar(spec["train"] + spec["val"], spec["test"])
    train_idx, val_idx = stratified_split(data.train_y.numpy())
    generator = seed_everything(md5_seed(1))
    x, y = data.train_x[train_idx].to(device), data.train_y[train_idx].to(device)
    xv, yv = data.train_x[val_idx].to(device), data.train_y[val_idx].to(device)
    xt, yt = data.test_x.to(device), data.test_y.to(device)
    model, loop = build(spec, data.train_x[train_idx], options)
    gflop = train_gflop_per_image(model, data.train_x[:2])
    train = functools.partial(epoch, loop, batch_size=spec["batch_size"], generator=generator)
    warm = spec["warmup_batches"] * spec["batch_size"]  # first-use costs (cudnn, allocator) untimed
    train(x[:warm], y[:warm])
    evaluate(loop, xv[:warm], yv[:warm])
    free(device)
    (loss, _), train_s = clock(device, train, x, y)
    _, val_s = clock(device, evaluate, loop, xv, yv)
    _, test_s = clock(device, evaluate, loop, xt, yt)
    return {
        "train_images": len(y),
        "val_images": len(yv),
        "test_images": len(yt),
        "train_s": train_s,
        "val_s": val_s,
        "test_s": test_s,
        "train_loss": loss,
        "peak_mem_mib": peak_mib(device),
        "options": options,
        "counted_gflop_per_image": gflop,
        "matmul_size": spec["matmul_size"],
        "matmul_tflops": matmul_tflops(device, options["precision"], spec["matmul_size"]),
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
    model, loop = build(spec, data.train_x, {**default_settings(), "deterministic": deterministic})
    history, seconds = [], []
    for _ in range(spec["epochs"]):
        (loss, train_acc), s = clock(device, epoch, loop, x, y, spec["batch_size"], generator)
        history.append({"train_loss": loss, "train_acc": train_acc, "test_acc": evaluate(loop, xt, yt)})
        seconds.append(s)
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    out = {
        "history": history,
        "epoch_s": seconds,
        "checksum": weights_checksum(state),
        "state": state,
        "peak_mem_mib": peak_mib(device),
    }
    del model, loop, x, y, xt, yt, data
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


def measure_precisions(spec: dict) -> dict:
    """measure_epoch at each of spec["precisions"] in turn, one after the other in this process;
    each one's figures are printed as a JSON line as soon as it ends (a caller cut short keeps
    them), or its error (e.g. out of memory), and the next one runs. All of them: {"rows": [...]}."""
    rows = []
    for precision in spec["precisions"]:
        try:
            row = {"precision": precision, "status": "ok", **measure_epoch({**spec, "precision": precision})}
        except (RuntimeError, ValueError, UserError) as err:  # torch.OutOfMemoryError: a RuntimeError
            row = {"precision": precision, "status": "failed", "error": f"{type(err).__name__}: {err}"}
        print(json.dumps(row), flush=True)
        rows.append(row)
        free(torch.device(spec["device"]))
    return {"rows": rows}


STEPS = {"epoch": measure_precisions, "determinism": measure_determinism}


def measure(step: str, spec: dict) -> dict:
    """STEPS[step] on `spec`, with spec["threads"] torch threads, freed memory kept as in a run."""
    torch.set_num_threads(spec.get("threads", torch.get_num_threads()))
    keep_freed_memory()  # as every bninit run does
    return STEPS[step](spec)
