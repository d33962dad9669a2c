"""`bninit gpu-check`'s sizes per device, in one place: the network, each step's time budget
and each step's sizes. cuda: what fits each step's budget on one H100; cpu: tiny, to exercise the
command (the tests' path; budgets generous: a loaded 2-core machine takes ~30 s just to start a
row's workers)."""

PROFILES = {
    "cuda": {
        "arch": "resnet18",
        "batch_size": 128,
        # seconds per step (450 in all: with the GPU query and CUDA's start, under 8 minutes)
        "budget_s": {"precision": 140, "determinism": 50, "packing": 150, "sweep": 70, "loop": 40},
        "epoch": {"train": 45_000, "val": 5_000, "test": 10_000, "warmup_batches": 5, "matmul_size": 8192},
        "determinism": {"train": 10240, "test": 2048, "epochs": 2},
        "packing": {
            "arch": "resnet18",
            "batch_size": 128,
            "precision": "bf16",
            "ks": [1, 4, 15],
            "compare_k": 4,
            "pool": 5120,
            "steps": 30,
            "warmup": 10,
            "loss_steps": 20,
        },
        "sweep": {"seeds": 4, "epochs": 2, "n_jobs": 2, "runs_per_gpu": 2},
        "loop": {
            "train_images": 20480,
            "eval_images": 10240,
            "repeats": 1,
            "warmup_batches": 5,
            "row_s": 30,
            "compile_s": 120,
            "row_min_s": 10,
            "compile_min_s": 90,
        },
    },
    "cpu": {
        "arch": "resnet18-w8",
        "batch_size": 64,
        "budget_s": {"precision": 120, "determinism": 60, "packing": 180, "sweep": 150, "loop": 120},
        "epoch": {"train": 144, "val": 16, "test": 32, "warmup_batches": 1, "matmul_size": 256},
        "determinism": {"train": 256, "test": 128, "epochs": 2},
        "packing": {
            "arch": "resnet18-w4",
            "batch_size": 4,
            "precision": "fp32",
            "ks": [1, 4, 15],
            "compare_k": 4,
            "pool": 64,
            "steps": 6,
            "warmup": 2,
            "loss_steps": 5,
        },
        "sweep": {"seeds": 2, "epochs": 1, "n_jobs": 2, "runs_per_gpu": 2},  # 4 runs: the machinery
        "loop": {
            "train_images": 256,
            "eval_images": 256,
            "repeats": 1,
            "warmup_batches": 1,
            "row_s": 40,
            "compile_s": 0,
            "row_min_s": 4,
            "compile_min_s": 0,
        },
    },
}
