"""Side-by-side speed benchmark: a reference-style loop against bninit's own loop.

    python scripts/bench.py                  # CPU: resnet20 + a narrow resnet18, a few minutes
    python scripts/bench.py --device cuda    # GPU: resnet18 full width, every option, k = 1, 2, 4

(a) "reference": written like the paper's code: CIFAR-shaped PIL images through torchvision
    transforms (random horizontal flip, as the paper for CIFAR, ToTensor, Normalize), a
    DataLoader with num_workers=0, fp32 NCHW, loss.item() every step, the test set evaluated
    every epoch (batch = training batch).
(b) "bninit": bninit.run.train.train_epoch / bninit.run.train.accuracy themselves (the code a run uses),
    uint8 tensors on the device, with each fast-path option (bninit.run.fastpath) on and off, in a
    process that keeps freed memory (bninit.host_memory) as every bninit run does; one row
    leaves that out.

Both train the same network (bninit's input BN + the architecture, initialised by bninit) on the
same synthetic uint8 data with the same batch size. Each configuration runs in its own process
(fair timing, its own peak memory); k concurrent runs start their timed part together. The table
is printed and written, with the machine, as JSON under results/bench/.
"""

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections import OrderedDict
from pathlib import Path

import torch
from torch import nn

from bninit.config import RunConfig
from bninit.data.batches import train_batches
from bninit.method.init import init_bn_scales, init_weights
from bninit.method.norms import input_norm_layer
from bninit.method.optim import build_optimizer
from bninit.models import ARCHS
from bninit.run.fastpath import FastPath
from bninit.run.host_memory import keep_freed_memory
from bninit.run.train import EVAL_BATCH, accuracy, train_epoch

# The run a projection is for: CIFAR-10 with the paper's protocol (SPEC §3).
CIFAR10 = {"train": 45_000, "val": 5_000, "test": 10_000, "epochs": 180, "seeds": 15}
MEAN, STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)

# bninit's option sets per device: (row name, RunConfig overrides). The first is the loop alone.
CPU_OPTIONS = [
    ("plain", {"channels_last": False, "eval_test": "every_epoch"}),
    ("channels_last", {"channels_last": True}),
    ("bf16", {"channels_last": False, "precision": "bf16"}),
    ("channels_last+bf16", {"channels_last": True, "precision": "bf16"}),
    # the default loop without bninit.host_memory's setting: what reusing freed memory gives
    ("channels_last+malloc_as_is", {"channels_last": True, "keep_freed_memory": False}),
]
GPU_OPTIONS = [
    ("plain", {"channels_last": False, "eval_test": "every_epoch"}),
    ("channels_last", {"channels_last": True}),
    ("bf16", {"precision": "bf16"}),
    ("fp16", {"precision": "fp16"}),
    ("bf16+nondeterministic", {"precision": "bf16", "deterministic": False}),
    ("bf16+nondeterministic+compile", {"precision": "bf16", "deterministic": False, "compile": True}),
]
GPU_CONCURRENT = {"precision": "bf16", "deterministic": False}


# ---------------------------------------------------------------- models and data


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
        source = "torchvision BasicBlock, CIFAR stem (scripts/bench.py)"
    else:
        raise SystemExit(
            f"bench: unknown arch '{arch}'; known: {', '.join(sorted(ARCHS))}, resnet18, resnet18-wN"
        )
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


def measure_bninit(model, x, y, xe, ye, spec, device) -> tuple[float, float]:
    cfg = RunConfig(**spec["options"])
    fast = FastPath.for_run(cfg, device)
    fast.set_backend_flags()
    forward = fast.prepare(model)
    optimizer = build_optimizer(model, 0.1, 100.0, 1e-4, 0.9)
    scaler = fast.grad_scaler()
    generator = torch.Generator().manual_seed(0)
    augment = spec["augment"]
    warm = spec["warmup_batches"] * spec["batch_size"]
    size = x.shape[-1]  # CIFAR-shaped: the network sees the whole image

    def batches(x, y):
        return train_batches(x, y, spec["batch_size"], generator, augment, size)

    train_epoch(forward, optimizer, batches(x[:warm], y[:warm]), fast, scaler)
    warm_eval = EVAL_BATCH.get(device.type, 256)
    accuracy(forward, xe[:warm_eval], ye[:warm_eval], size, fast)
    train_ips = timed(
        lambda: train_epoch(forward, optimizer, batches(x, y), fast, scaler), len(y), device, spec, wait=True
    )
    return train_ips, timed(lambda: accuracy(forward, xe, ye, size, fast), len(ye), device, spec)


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


# ---------------------------------------------------------------- the comparison (the parent)


class WorkerFailed(SystemExit):
    """A worker process failed or ran out of time (a SystemExit: the benchmark stops on it)."""


def run_workers(spec: dict, k: int, timeout: float | None = None) -> list[dict]:
    """Run `spec` in k processes at once; their timed parts start together. With `timeout`
    (seconds), workers still running then are killed and WorkerFailed is raised. The workers'
    stderr is passed on once they end; a failure's last line goes into WorkerFailed's message."""
    what = f"{spec['arch']} {spec['loop']} {spec.get('options')}"
    with tempfile.TemporaryDirectory() as folder:
        procs, logs = [], [Path(folder, f"stderr-{rank}") for rank in range(k)]
        for rank, log in enumerate(logs):
            child = {**spec, "concurrent": k, "rank": rank, "barrier": folder}
            with open(log, "w") as err:
                procs.append(
                    subprocess.Popen(
                        [sys.executable, __file__, "--worker", json.dumps(child)],
                        stdout=subprocess.PIPE,
                        stderr=err,
                        text=True,
                    )
                )
        deadline = None if timeout is None else time.monotonic() + timeout
        outputs, timed_out = [], False
        try:
            for p in procs:
                left = None if deadline is None else max(0.1, deadline - time.monotonic())
                outputs.append(p.communicate(timeout=left)[0])
        except subprocess.TimeoutExpired:
            timed_out = True
            for p in procs:
                p.kill()
                p.wait()
        errors = [log.read_text() for log in logs]
    sys.stderr.write("".join(text if text.endswith("\n") or not text else text + "\n" for text in errors))
    if timed_out:
        raise WorkerFailed(f"bench: {what} timed out after {timeout:.0f} s")
    failed = [
        (p.returncode, text.strip().splitlines())
        for p, text in zip(procs, errors, strict=True)
        if p.returncode
    ]
    if failed:
        code, lines = failed[0]
        raise WorkerFailed(f"bench: a worker failed (exit {code}) for {what}: {lines[-1] if lines else ''}")
    return [json.loads(out.strip().splitlines()[-1]) for out in outputs]


def projected_seconds(train_ips: float, eval_ips: float, eval_test: str) -> float:
    """Wall time of one 180-epoch CIFAR-10 run (45k train, 5k val, 10k test) at these speeds."""
    per_epoch_eval = CIFAR10["val"] + (CIFAR10["test"] if eval_test == "every_epoch" else 0)
    per_epoch = CIFAR10["train"] / train_ips + per_epoch_eval / eval_ips
    at_end = 2 * CIFAR10["test"] / eval_ips if eval_test == "at_best" else 0.0
    return CIFAR10["epochs"] * per_epoch + at_end


def cell_seconds(run_seconds: float, concurrent: int = 1) -> float:
    """A 15-seed cell run in waves of `concurrent` runs, each wave taking `run_seconds`."""
    return math.ceil(CIFAR10["seeds"] / concurrent) * run_seconds


def row(arch, loop, name, options, eval_test, results, concurrent=1) -> dict:
    train_ips = sum(r["train_ips"] for r in results)
    eval_ips = sum(r["eval_ips"] for r in results)
    run_s = projected_seconds(train_ips / concurrent, eval_ips / concurrent, eval_test)
    return {
        "arch": arch,
        "loop": loop,
        "options": name,
        "settings": options,
        "eval_test": eval_test,
        "concurrent": concurrent,
        "train_ips": train_ips,
        "eval_ips": eval_ips,
        "peak_mem_mib": max(r["peak_mem_mib"] for r in results),
        "model": results[0]["model"],
        "run_180_epochs_s": run_s,
        "cell_15_seeds_s": cell_seconds(run_s, concurrent),
    }


def best_round(arch: str, job: tuple, rounds: list[list[dict]]) -> dict:
    """The row for `job` from its fastest round (by training images/s), with every round's figure."""
    loop, label, settings, eval_test, _, k = job
    totals = [sum(r["train_ips"] for r in results) for results in rounds]
    best = max(range(len(rounds)), key=totals.__getitem__)
    return {
        **row(arch, loop, label, settings, eval_test, rounds[best], concurrent=k),
        "train_ips_per_round": totals,
    }


def hms(seconds: float) -> str:
    minutes = seconds / 60
    return f"{minutes:.1f} min" if minutes < 120 else f"{minutes / 60:.1f} h"


def print_table(rows: list[dict]) -> None:
    head = (
        f"{'arch':<14} {'loop':<9} {'options':<40} {'k':>2} {'train img/s':>11} {'x ref':>6} "
        f"{'eval img/s':>10} {'peak MiB':>9} {'180-ep run':>11} {'15-seed cell':>12} {'x ref':>6}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['arch']:<14} {r['loop']:<9} {r['options']:<40} {r['concurrent']:>2} "
            f"{r['train_ips']:>11.0f} {r['train_x_ref']:>6.2f} {r['eval_ips']:>10.0f} "
            f"{r['peak_mem_mib']:>9.0f} {hms(r['run_180_epochs_s']):>11} {hms(r['cell_15_seeds_s']):>12} "
            f"{r['cell_x_ref']:>6.2f}"
        )


def machine(device: torch.device, threads: int) -> dict:
    cpu = platform.processor()
    if Path("/proc/cpuinfo").exists():
        names = [
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    info = {
        "host": platform.node(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "threads": threads,
        "load_average": os.getloadavg(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "device": str(device),
        "date_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
    }
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--device", default="auto", help="auto | cpu | cuda (default auto)")
    p.add_argument("--archs", help="comma list (cpu default: resnet20,resnet18-w16; cuda: resnet18)")
    p.add_argument("--train-images", type=int, help="timed training images (cpu 1024, cuda 20480)")
    p.add_argument("--eval-images", type=int, help="timed evaluation images (cpu 2048, cuda 10240)")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--warmup-batches", type=int, default=3)
    p.add_argument("--repeats", type=int, default=3, help="timed passes per configuration; the best counts")
    p.add_argument(
        "--rounds",
        type=int,
        help="times the whole list of configurations is run, one after "
        "the other; each row shows its best round (cpu default 2: a shared machine's slow "
        "spells then cannot favour one loop; cuda 1)",
    )
    p.add_argument(
        "--threads",
        type=int,
        help="CPU threads per run (cpu default 1: steadiest on a shared machine; cuda default all cores)",
    )
    p.add_argument(
        "--concurrent",
        type=k_values,
        help="k values for concurrent runs, a comma list (cpu "
        "default 2 where there are 2+ cores, cuda 1,2,4; 0: none)",
    )
    p.add_argument("--options", help="comma list of option rows to run (default all)")
    p.add_argument("--out", default="results/bench", help="folder for the JSON (default results/bench)")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))), flush=True)
        return 0

    load_at_start = os.getloadavg()  # a shared machine: other load slows every row down
    device = torch.device(
        "cuda"
        if args.device == "auto" and torch.cuda.is_available()
        else "cpu"
        if args.device == "auto"
        else args.device
    )
    gpu = device.type == "cuda"
    archs = (args.archs or ("resnet18" if gpu else "resnet20,resnet18-w16")).split(",")
    options = GPU_OPTIONS if gpu else CPU_OPTIONS
    if args.options:
        wanted = args.options.split(",")
        options = [o for o in options if o[0] in wanted]
    cpu_ks = [2] if (os.cpu_count() or 1) >= 2 else []
    ks = [k for k in (args.concurrent if args.concurrent is not None else [1, 2, 4] if gpu else cpu_ks) if k]
    args.threads = args.threads or (torch.get_num_threads() if gpu else 1)
    args.rounds = args.rounds or (1 if gpu else 2)
    base = {
        "device": str(device),
        "batch_size": args.batch_size,
        "warmup_batches": args.warmup_batches,
        "threads": args.threads,
        "augment": "flip",
        "repeats": args.repeats,
        "rounds": args.rounds,
        "train_images": args.train_images or (20480 if gpu else 1024),
        "eval_images": args.eval_images or (10240 if gpu else 2048),
    }
    default_row = default_settings()
    rows = []
    for arch in archs:
        spec = {**base, "arch": arch}
        jobs = loop_jobs(options, default_row)
        for k in ks:
            settings = {**default_row, **GPU_CONCURRENT} if gpu else default_row
            jobs.append(
                (
                    "bninit",
                    f"{describe(settings)} (k runs)",
                    settings,
                    settings["eval_test"],
                    {"loop": "bninit", "options": settings, "threads": max(1, args.threads // k)},
                    k,
                )
            )
        measured = [[] for _ in jobs]  # per job, one list of worker results per round
        for round_ in range(args.rounds):  # round by round, so slow spells hit every job alike
            for job, results in zip(jobs, measured, strict=True):
                loop, label, _, _, overrides, k = job
                results.append(run_workers({**spec, **overrides}, k))
                ips = sum(r["train_ips"] for r in results[-1])
                print(
                    f"  round {round_ + 1}/{args.rounds}  {arch}  {loop}  {label}  k={k}: "
                    f"{ips:.0f} train img/s",
                    file=sys.stderr,
                    flush=True,
                )
        arch_rows = [best_round(arch, job, results) for job, results in zip(jobs, measured, strict=True)]
        ref = arch_rows[0]
        for r in arch_rows:
            r["train_x_ref"] = r["train_ips"] / ref["train_ips"]
            r["run_x_ref"] = ref["run_180_epochs_s"] / r["run_180_epochs_s"]
            r["cell_x_ref"] = ref["cell_15_seeds_s"] / r["cell_15_seeds_s"]
        rows += arch_rows
    print_table(rows)
    report = {
        "machine": {**machine(device, args.threads), "load_average_at_start": load_at_start},
        "settings": base,
        "projection": CIFAR10,
        "bninit_defaults": default_row,
        "rows": rows,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"bench-{device.type}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {path}")
    return 0


def default_settings() -> dict:
    """bninit's default fast-path settings (RunConfig's), the keys an option row overrides."""
    defaults = RunConfig()
    return {
        k: getattr(defaults, k)
        for k in ("precision", "channels_last", "compile", "deterministic", "eval_test")
    }


def loop_jobs(options: list[tuple[str, dict]], default_row: dict) -> list[tuple]:
    """The reference loop's job, then one bninit job per option row (plus the default row first
    when no row is it): (loop, label, settings, eval_test, spec overrides, k)."""
    jobs = [("reference", "fp32 NCHW, PIL + DataLoader", {}, "every_epoch", {"loop": "reference"}, 1)]
    runs = [(name, {**default_row, **overrides}) for name, overrides in options]
    if all(settings != default_row for _, settings in runs):
        runs.insert(0, ("default", default_row))
    for name, settings in runs:
        label = f"{name} (= default)" if settings == default_row else name
        if name == "default":
            label = f"default ({describe(settings)})"
        jobs.append(
            ("bninit", label, settings, settings["eval_test"], {"loop": "bninit", "options": settings}, 1)
        )
    return jobs


def k_values(text: str) -> list[int]:
    """--concurrent's comma list of non-negative integers."""
    parts = text.split(",")
    if not all(part.strip().isdigit() for part in parts):
        raise argparse.ArgumentTypeError(f"'{text}': expected a comma list of whole numbers >= 0, e.g. 1,2,4")
    return [int(part) for part in parts]


def describe(settings: dict) -> str:
    parts = [
        settings["precision"],
        "channels_last" if settings["channels_last"] else "NCHW",
        settings["eval_test"],
    ]
    if settings["compile"]:
        parts.append("compile")
    if not settings["deterministic"]:
        parts.append("nondeterministic")
    return ", ".join(parts)


if __name__ == "__main__":
    sys.exit(main())
