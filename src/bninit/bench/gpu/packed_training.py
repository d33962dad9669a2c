"""K seeds of one network trained side by side, the three ways the packing probe compares:

    alone    one plain network (a seed trained alone; K processes of it = runs_per_gpu = K)
    vmap     K networks stacked with torch.func (stack_module_state + functional_call + vmap),
             their BN running statistics stacked too and updated in place per seed
    fused    one fused network (bninit.bench.gpu.fused: grouped convolutions, K x C channel BN,
             a batched classifier)

Each seed s is built the same way in all three (torch.manual_seed(s), then bninit's network and
init: bninit.bench.loops.make_network) and reads the same batches (its own generator for the data
order and the flips: `seed_batches`). The optimizer is SGD over each way's own tensors with
bninit's parameter groups (BN scales at lr / c, no decay on biases and BN shifts), the groups
taken by parameter name from the plain network, so stacked and fused tensors (one more dimension,
or K times as long) land in the group of the parameter they hold. The loss is each seed's mean
cross-entropy in fp32; vmap and fused back-propagate the sum over seeds, so each seed's gradient
is that of its own loss. Every `step` returns the K losses (a tensor, not synced to the host)."""

import copy

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from bninit.bench.gpu.fused import fuse, fused_input
from bninit.bench.loops import make_network
from bninit.method.optim import param_groups
from bninit.run.fastpath import FastPath

LR, C, WEIGHT_DECAY, MOMENTUM = 0.1, 100.0, 1e-4, 0.9


def seed_batches(seed: int, pool: int, batch_size: int, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Seed `seed`'s first `steps` batches from a pool of `pool` images: indices (steps x batch, a
    new permutation of the pool whenever one runs out) and horizontal flips (steps x batch, bool),
    both drawn from the seed's own generator."""
    generator = torch.Generator().manual_seed(seed)
    order = torch.cat(
        [torch.randperm(pool, generator=generator) for _ in range(-(-steps * batch_size // pool))]
    )
    flips = torch.rand(steps, batch_size, generator=generator) < 0.5
    return order[: steps * batch_size].view(steps, batch_size), flips


def seed_network(arch: str, seed: int, pool_images: torch.Tensor) -> nn.Module:
    """Seed `seed`'s network for `arch` (bninit's input BN + net, bninit's init), on the CPU."""
    torch.manual_seed(seed)
    model, _ = make_network(arch, pool_images)
    return model


def named_groups(base: nn.Module, named: dict[str, torch.Tensor], lr: float = LR) -> list[dict]:
    """bninit's parameter groups (bninit.method.optim.param_groups on `base`) over the tensors of
    `named`, each put where `base`'s parameter of the same name is; frozen ones are left out."""
    names = {id(p): n for n, p in base.named_parameters()}
    groups = []
    for group in param_groups(base, lr, C, WEIGHT_DECAY):
        tensors = [named[names[id(p)]] for p in group["params"]]
        if tensors:
            groups.append({**group, "params": tensors})
    return groups


class AloneTrainer:
    """One seed's plain network, trained as a bninit run trains it."""

    def __init__(self, models: list[nn.Module], fast: FastPath, device: torch.device):
        (self.model,) = [m.to(device) for m in models]
        self.fast = fast
        params = dict(self.model.named_parameters())
        self.optimizer = torch.optim.SGD(named_groups(self.model, params), lr=LR, momentum=MOMENTUM)

    def step(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        self.model.train()
        with self.fast.autocast():
            logits = self.model(images[0])
        loss = F.cross_entropy(logits.float(), labels[0])
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return loss.detach()[None]


class VmapTrainer:
    """K networks as stacked tensors (torch.func), one vmapped forward over the K batches."""

    def __init__(self, models: list[nn.Module], fast: FastPath, device: torch.device):
        models = [m.to(device).train() for m in models]
        self.params, self.buffers = stack_module_state(models)  # BN running statistics stacked
        frozen = {n for n, p in models[0].named_parameters() if not p.requires_grad}
        for name, tensor in self.params.items():
            tensor.requires_grad_(name not in frozen)
        self.base = copy.deepcopy(models[0]).to("meta")
        self.fast = fast
        self.optimizer = torch.optim.SGD(named_groups(models[0], self.params), lr=LR, momentum=MOMENTUM)

    def one_seed(self, params, buffers, images, labels):
        with self.fast.autocast():
            logits = functional_call(self.base, (params, buffers), (images,))
        return F.cross_entropy(logits.float(), labels)

    def step(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        losses = vmap(self.one_seed)(self.params, self.buffers, images, labels)
        self.optimizer.zero_grad(set_to_none=True)
        losses.sum().backward()
        self.optimizer.step()
        return losses.detach()


class FusedTrainer:
    """K networks fused into one (bninit.bench.gpu.fused), one forward over all K batches."""

    def __init__(self, models: list[nn.Module], fast: FastPath, device: torch.device):
        self.k = len(models)
        self.model = fuse(models).to(device)
        self.fast = fast
        params = dict(self.model.named_parameters())
        self.optimizer = torch.optim.SGD(named_groups(models[0], params), lr=LR, momentum=MOMENTUM)

    def step(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        self.model.train()
        with self.fast.autocast():
            logits = self.model(fused_input(images))  # K x B x classes
        per_image = F.cross_entropy(logits.float().flatten(0, 1), labels.flatten(), reduction="none")
        losses = per_image.view(self.k, -1).mean(dim=1)
        self.optimizer.zero_grad(set_to_none=True)
        losses.sum().backward()
        self.optimizer.step()
        return losses.detach()


TRAINERS = {"alone": AloneTrainer, "vmap": VmapTrainer, "fused": FusedTrainer}


class SeedData:
    """The K seeds' batches over one pool of images on the device (0..255 floats, as bninit's
    input BN takes them): `batch(t)` is step t's K x B x C x H x W images and K x B labels."""

    def __init__(self, images, labels, seeds: list[int], batch_size: int, steps: int, device):
        self.images = images.to(device).float()
        self.labels = labels.to(device)
        drawn = [seed_batches(s, len(labels), batch_size, steps) for s in seeds]
        self.index = torch.stack([i for i, _ in drawn]).to(device)  # K x steps x B
        self.flips = torch.stack([f for _, f in drawn]).to(device)

    def batch(self, t: int) -> tuple[torch.Tensor, torch.Tensor]:
        index = self.index[:, t]
        images = self.images[index]
        images = torch.where(self.flips[:, t, :, None, None, None], images.flip(-1), images)
        return images, self.labels[index]


def train_steps(trainer, data: SeedData, steps: int, on_step=None) -> torch.Tensor:
    """`steps` steps of `trainer` over `data`; the losses, steps x K (one host sync, at the end).
    `on_step(t)` is called before step t (the caller's clock)."""
    losses = []
    for t in range(steps):
        if on_step is not None:
            on_step(t)
        losses.append(trainer.step(*data.batch(t)))
    return torch.stack(losses).float().cpu()
