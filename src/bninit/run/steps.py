"""One epoch's work, the code every run and the benchmark call: the training step over a pass of
batches, the accuracy on a split, the BN-scale statistics an epoch records, and a copy of the
weights (the best-validation ones)."""

from collections.abc import Iterable

import torch
import torch.nn.functional as F
from torch import nn

from bninit.data.batches import eval_batches
from bninit.method.norms import InputBatchNorm2d, bn_layers
from bninit.run.fastpath import PLAIN, FastPath

# Evaluation batch per device type: large batches pay on a GPU; on CPU 1024 measured 2x slower
# than 128-256 (cache).
EVAL_BATCH = {"cpu": 256, "cuda": 1024}


def bn_scale_stats(model: nn.Module) -> tuple[float, float]:
    """Mean and std of every BN scale of the network (the input BN left out)."""
    scales = [m.weight.detach().flatten() for m in bn_layers(model) if not isinstance(m, InputBatchNorm2d)]
    values = torch.cat(scales).float()
    return values.mean().item(), values.std().item()


@torch.no_grad()
def accuracy(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    image_size: int,
    fast: FastPath = PLAIN,
    unit: bool = False,
) -> float:
    """Accuracy (%) on uint8 images fed as 0..255 floats (with `unit`: 0..1)."""
    model.eval()
    correct = torch.zeros((), dtype=torch.long, device=y.device)
    batch = EVAL_BATCH.get(y.device.type, 256)
    for images, labels in eval_batches(x, y, batch, image_size, unit):
        with fast.autocast():
            logits = model(fast.to_input(images))
        correct += (logits.argmax(dim=1) == labels).sum()
    return 100.0 * correct.item() / len(y)


def train_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    fast: FastPath = PLAIN,
    scaler: torch.amp.GradScaler | None = None,
) -> tuple[float, float]:
    """One pass over `batches`; (mean loss, accuracy %), synced with the host once at the end."""
    scaler = fast.grad_scaler() if scaler is None else scaler
    model.train()
    loss_sum, correct, seen = None, None, 0
    for images, labels in batches:
        with fast.autocast():
            logits = model(fast.to_input(images))
        loss = F.cross_entropy(logits.float(), labels)  # the loss in fp32 whatever the precision
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)  # fp16 only: checks for inf gradients (one host sync per step)
        scaler.update()
        if loss_sum is None:
            loss_sum = torch.zeros((), device=labels.device)
            correct = torch.zeros((), dtype=torch.long, device=labels.device)
        loss_sum += loss.detach() * len(labels)
        correct += (logits.argmax(dim=1) == labels).sum()
        seen += len(labels)
    return loss_sum.item() / seen, 100.0 * correct.item() / seen


def snapshot(model: nn.Module) -> dict[str, torch.Tensor]:
    """A detached copy of the model's weights and buffers (the best-val weights for at_best)."""
    return {name: value.detach().clone() for name, value in model.state_dict().items()}
