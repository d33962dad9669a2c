"""One benchmark configuration, measured in a process of its own (`bninit.bench.worker`): the
network and synthetic data both loops train, the reference-style loop, and bninit's own loop
through bninit.run.steps' train_epoch / accuracy (the code a run uses)."""

import resource
import time
from collections import OrderedDict
from pathlib import Path
from typing import NamedTuple

import torch
from torch import nn

from bninit.config import RunConfig
from bninit.data.streams import epoch_batches, unit_scale
from bninit.errors import UserError
from bninit.method.init import init_bn_scales, init_weights
from bninit.method.norms import input_norm_layer
from bninit.method.optim import build_optimizer
from bninit.models import ARCHS
from bninit.run.fastpath import FastPath
from bninit.run.host_memory import keep_freed_memory
from bninit.run.steps import EVAL_BATCH, accuracy, train_epoch

MEAN, STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)


def cifar_resnet18(width: int, num_classes: int, norm_layer=nn.BatchNorm2d) -> nn.Module:
    """torchvision's ResNet-18 (its BasicBlock, [2, 2, 2, 2]) with the CIFAR stem (3x3 conv,
    stride 1, no max-pool) and stage widths width * (1, 2, 4, 8); width 64 is the usual one.
    Used when bninit.models has no resnet18 (or for a narrow one)."""
    from torchvision.models.resnet import BasicBlock

    layers: list[nn.Module] = [
        nn.Conv2d(3, width, 3, padding=1, bias=False),
        norm_layer(width),
        nn.ReLU(inplace=True),
    ]
    inplanes = width
    for stage, planes in enumerate(width * m for m in (1, 2, 4, 8)):
        for block in range(2):
            stride = 2 if stage > 0 and block == 0 else 1
            downsample = None
            if stride != 1 or inplanes != planes:
                downsample = nn.Sequential(
                    nn.Conv2d(inplanes, planes, 1, stride=stride, bias=False), norm_layer(planes)
                )
            layers.append(BasicBlock(inplanes, planes, stride, downsample, norm_layer=norm_layer))
            inplanes = planes
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(inplanes, num_classes)]
    return nn.Sequential(*layers)


def check_arch(arch: str) -> None:
    """UserError unless `arch` is a bninit architecture, resnet18 or resnet18-wN (N a whole number)."""
    name, _, width = arch.partition("-w")
    if arch in ARCHS or (name == "resnet18" and (not width or width.isdigit() and int(width) > 0)):
        return
    raise UserError(
        f"--archs: unknown arch '{arch}'; known: {', '.join(sorted(ARCHS))}, resnet18-wN (N: width)"
    )


def make_network(arch: str, train_x: torch.Tensor) -> tuple[nn.Module, str]:
    """bninit's network for `arch` (input BN + net, bninit's init); 'resnet18-wN' = width N."""
    name, _, width = arch.partition("-w")
    if arch in ARCHS:
        net, source = (
            ARCHS[arch](num_classes=10, in_channels=3, image_size=32, norm_layer=nn.BatchNorm2d),
            "bninit.models",
        )
    elif name == "resnet18":
        net = cifar_resnet18(int(width or 64), 10)
        source = "torchvision BasicBlock, CIFAR stem (bninit.bench.loops)"
    else:
        check_arch(arch)
    model = nn.Sequential(OrderedDict(input_norm=input_norm_layer("bn", 3, train_x), net=net))
    init_weights(model)
    init_bn_scales(model, 0.1)
    return model, source


def synthetic_data(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """n CIFAR-shaped uint8 images (N x 3 x 32 x 32) and labels 0..9."""
    g = torch.Generator().manual_seed(seed)
    return (
        torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, generator=g),
        torch.randint(0, 10, (n,), generator=g),
    )


# ---------------------------------------------------------------- one configuration (a worker)


def measure_reference(model, x, y, xe, ye, spec, device) -> tuple[float, float]:
    from PIL import Image
    from torch.utils.data import DataLoader, Dataset
    from torchvision import transforms

    class PILImages(Dataset):  # what torchvision.datasets.CIFAR10 does per item
        def __init__(self, images, labels, transform):
            self.images, self.labels, self.transform = images.permute(0, 2, 3, 1).numpy(), labels, transform

        def __len__(self):
            return len(self.labels)

        def __getitem__(self, i):
            return self.transform(Image.fromarray(self.images[i])), int(self.labels[i])

    normalize = [transforms.ToTensor(), transforms.Normalize(MEAN, STD)]
    train_tf = transforms.Compose([transforms.RandomHorizontalFlip(), *normalize])  # the paper's CIFAR aug
    train = DataLoader(PILImages(x, y, train_tf), batch_size=spec["batch_size"], shuffle=True, num_workers=0)
    test = DataLoader(
        PILImages(xe, ye, transforms.Compose(normalize)), batch_size=spec["batch_size"], num_workers=0
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    criterion = nn.CrossEntropyLoss()

    def epoch(limit=None):
        model.train()
        running = 0.0
        for i, (images, labels) in enumerate(train):
            if limit is not None and i == limit:
                break
            images, labels = images.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
            running += loss.item()
        return running

    def evaluate(limit=None):
        model.eval()
        correct = 0
        with torch.no_grad():
            for i, (images, labels) in enumerate(test):
                if limit is not None and i == limit:
                    break
                correct += (model(images.to(device)).argmax(1) == labels.to(device)).sum().item()
        return correct

    epoch(limit=spec["warmup_batches"])
    evaluate(limit=1)
    return timed(epoch, len(y), device, spec, wait=True), timed(evaluate, len(ye), device, spec)


class BninitLoop(NamedTuple):
    """What bninit.run.steps' train_epoch and accuracy take for one network: the run's fast path
    (from RunConfig `options`), the prepared forward, the optimizer (lr 0.1, c 100, decay 1e-4,
    momentum 0.9) and the grad scaler."""

    fast: FastPath
    forward: nn.Module
    optimizer: torch.optim.Optimizer
    scaler: object


def bninit_loop(model: nn.Module, options: dict, device: torch.device) -> BninitLoop:
    fast = FastPath.for_run(RunConfig(**options), device)
    fast.set_backend_flags()
    forward = fast.prepare(model)
    return BninitLoop(fast, forward, build_optimizer(model, 0.1, 100.0, 1e-4, 0.9), fast.grad_scaler())


def measure_bninit(model, x, y, xe, ye, spec, device) -> tuple[float, float]:
    """bninit's loop on the stream the options name (stream=reference: the replayed reference
    draws from torch's global generator, 0..1 input)."""
    fast, forward, optimizer, scaler = bninit_loop(model, spec["options"], device)
    generator = torch.Generator().manual_seed(0)
    stream = spec["options"].get("stream", RunConfig.stream)
    unit = unit_scale(stream)
    augment = spec["augment"]
    warm = spec["warmup_batches"] * spec["batch_size"]
    size = x.shape[-1]  # CIFAR-shaped: the network sees the whole image

    def batches(x, y):
        return epoch_batches(stream, x, y, spec["batch_size"], generator, augment, size)

    train_epoch(forward, optimizer, batches(x[:warm], y[:warm]), fast, scaler)
    warm_eval = EVAL_BATCH.get(device.type, 256)
    accuracy(forward, xe[:warm_eval], ye[:warm_eval], size, fast, unit)
    train_ips = timed(
        lambda: train_epoch(forward, optimizer, batches(x, y), fast, scaler), len(y), device, spec, wait=True
    )
    return train_ips, timed(lambda: accuracy(forward, xe, ye, size, fast, unit), len(ye), device, spec)


def timed(step, images: int, device: torch.device, spec: dict, wait: bool = False) -> float:
    """Images per second of `step`, the best of spec["repeats"] passes (a shared machine's
    other load only ever slows a pass down); with `wait`, start with the other concurrent runs."""
    if wait:
        barrier(spec)
    best = 0.0
    for _ in range(spec["repeats"]):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        step()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        best = max(best, images / (time.perf_counter() - start))
    return best


def barrier(spec: dict) -> None:
    """k concurrent runs: each marks itself ready, then all start their timed part together."""
    folder, k = spec.get("barrier"), spec.get("concurrent", 1)
    if not folder or k == 1:
        return
    Path(folder, f"ready-{spec['rank']}").touch()
    while len(list(Path(folder).glob("ready-*"))) < k:
        time.sleep(0.01)


def worker(spec: dict) -> dict:
    torch.set_num_threads(spec["threads"])
    if spec["loop"] == "bninit":  # "keep_freed_memory" is the bench's own switch, not a RunConfig key
        options = dict(spec["options"])
        if options.pop("keep_freed_memory", True):
            keep_freed_memory()  # as bninit.run.train.run does at the start of every run
        spec = {**spec, "options": options}
    device = torch.device(spec["device"])
    n_train = (spec["train_images"] // spec["batch_size"]) * spec["batch_size"]
    x, y = synthetic_data(n_train, seed=1)
    xe, ye = synthetic_data(spec["eval_images"], seed=2)
    model, source = make_network(spec["arch"], x)
    model = model.to(device)
    if spec["loop"] == "bninit":
        x, y, xe, ye = x.to(device), y.to(device), xe.to(device), ye.to(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    measure = measure_bninit if spec["loop"] == "bninit" else measure_reference
    train_ips, eval_ips = measure(model, x, y, xe, ye, spec, device)
    if device.type == "cuda":
        peak = torch.cuda.max_memory_allocated(device) / 2**20
    else:  # the process's peak resident memory (Linux reports KiB)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"train_ips": train_ips, "eval_ips": eval_ips, "peak_mem_mib": peak, "model": source}
