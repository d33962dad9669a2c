"""What a GPU could do at most, and the arithmetic that sets bninit's speed figures against it:
the datasheet peaks (dense, no sparsity) of the GPUs bninit expects, per precision, and the
floating-point work of a 180-epoch CIFAR-10 ResNet-18 run."""

from bninit.bench.rows import CIFAR10

# TFLOP/s, dense, from NVIDIA's datasheets: fp32 = plain IEEE fp32 (CUDA cores), tf32 and bf16 =
# the tensor cores. Looked up by the first key that the device name contains (PCIe/NVL first).
PEAK_TFLOPS = {
    "H100 PCIe": {"fp32": 51.2, "tf32": 378.0, "bf16": 756.0},
    "H100 NVL": {"fp32": 60.0, "tf32": 417.5, "bf16": 835.5},
    "H100": {"fp32": 66.9, "tf32": 494.7, "bf16": 989.4},  # SXM5 (torch: "NVIDIA H100 80GB HBM3")
    "H200": {"fp32": 66.9, "tf32": 494.7, "bf16": 989.4},
    "A100": {"fp32": 19.5, "tf32": 156.0, "bf16": 312.0},
    "L40S": {"fp32": 91.6, "tf32": 183.0, "bf16": 362.1},
    "L4": {"fp32": 30.3, "tf32": 60.0, "bf16": 121.0},
    "A10": {"fp32": 31.2, "tf32": 62.5, "bf16": 125.0},
}
PEAK_SOURCE = "NVIDIA datasheet, dense (no sparsity)"

# A ResNet-18 (CIFAR stem, 32 x 32 input) forward pass is ~0.56 G multiply-adds = ~1.1 GFLOP; a
# training step (forward + the two backward products) is ~3x that.
NOMINAL_GFLOP_PER_IMAGE = 3.2


def peak_tflops(device_name: str | None) -> dict[str, float] | None:
    """The datasheet peaks of `device_name` (torch.cuda.get_device_name), None if not listed."""
    for key, peaks in PEAK_TFLOPS.items():
        if device_name and key in device_name:
            return peaks
    return None


def run_arithmetic(gflop_per_image: float) -> dict:
    """The floating-point work of one 180-epoch CIFAR-10 run's training (45k images an epoch)."""
    flop = gflop_per_image * 1e9 * CIFAR10["train"] * CIFAR10["epochs"]
    return {
        "gflop_per_image": gflop_per_image,
        "train_images_per_epoch": CIFAR10["train"],
        "epochs": CIFAR10["epochs"],
        "run_flop": flop,
        "formula": f"{gflop_per_image:.2f} GFLOP x {CIFAR10['train']} images x {CIFAR10['epochs']} epochs",
    }


def against_peak(train_ips: float, gflop_per_image: float, peak: float | None) -> dict:
    """Achieved TFLOP/s at `train_ips`, its share of `peak` (TFLOP/s), and the 180-epoch run's
    training time if the GPU ran at that peak (the floor no loop can beat)."""
    achieved = train_ips * gflop_per_image / 1e3
    work = run_arithmetic(gflop_per_image)["run_flop"]
    return {
        "achieved_tflops": achieved,
        "peak_tflops": peak,
        "fraction_of_peak": None if not peak else achieved / peak,
        "run_train_s_at_peak": None if not peak else work / (peak * 1e12),
    }
