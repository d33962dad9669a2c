"""The training stream (config key `stream`): where an epoch's order and flips come from, and the
input scale the network sees.

"bninit" (the default): bninit.data.batches' device-resident stream, drawn from the run's own
generator (seeded with the run's MD5 seed), images as 0..255 floats.

"reference": the draws of the reference protocol, replayed without a DataLoader. That protocol
seeds torch's global generator once (before the network is built), then every epoch iterates
`DataLoader(Subset(train, train_idx), batch_size, shuffle=True, num_workers=0)` with
`Compose([RandomHorizontalFlip(0.5), ToTensor()])` per image, then `DataLoader(val)` and
`DataLoader(test)` without shuffling. From torch's global generator, in this order, that makes:

1. the training iterator's base seed: `torch.empty((), dtype=torch.int64).random_()`
   (`_BaseDataLoaderIter.__init__`, whatever num_workers is);
2. RandomSampler's seed, the same call, on the iterator's first batch; the epoch's order is
   `torch.randperm(n)` from a fresh generator seeded with it;
3. one `torch.rand(1)` per image in that order (RandomHorizontalFlip: flip if < p); on the CPU
   generator `torch.rand(n)` draws the same numbers and leaves the same state as n calls;
4. the validation and the test iterators' base seeds (one call each); their SequentialSampler
   draws nothing.

Images reach the network as ToTensor makes them: uint8 / 255 (0..1 floats).
"""

from collections.abc import Iterator

import torch

from bninit.data.batches import as_input, hflip, train_batches

STREAMS = ("bninit", "reference")
REFERENCE_AUGMENTS = ("none", "flip")  # the reference pipeline's transforms: ToTensor, plus the flip
EVAL_LOADERS = 2  # validation and test, iterated after every epoch


def unit_scale(stream: str) -> bool:
    """True where the stream feeds ToTensor's 0..1 images (else 0..255 floats)."""
    return stream == "reference"


def epoch_batches(
    stream: str,
    x: torch.Tensor,
    y: torch.Tensor,
    batch_size: int,
    generator: torch.Generator,
    augment: str,
    image_size: int,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """One epoch of training batches from `stream` (the reference's ignore `generator`)."""
    if stream == "reference":
        return reference_batches(x, y, batch_size, augment)
    return train_batches(x, y, batch_size, generator, augment, image_size)


def loader_seed() -> int:
    """The draw a DataLoader iterator or a RandomSampler makes from torch's global generator."""
    return int(torch.empty((), dtype=torch.int64).random_().item())


def reference_order(n: int) -> torch.Tensor:
    """The epoch's order: the training iterator's base seed, then RandomSampler's permutation."""
    loader_seed()
    sampler = torch.Generator()
    sampler.manual_seed(loader_seed())
    return torch.randperm(n, generator=sampler)


def reference_batches(
    x: torch.Tensor, y: torch.Tensor, batch_size: int, augment: str
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """One epoch of the reference's (0..1 float images, labels) batches; the last may be short.
    The epoch's draws are made when the first batch is asked for, as the DataLoader makes them."""
    if augment not in REFERENCE_AUGMENTS:
        raise ValueError(f"the reference stream has no {augment!r}; known: {', '.join(REFERENCE_AUGMENTS)}")
    order = reference_order(len(y))
    flips = torch.rand(len(y)) < 0.5 if augment == "flip" else None
    order = order.to(x.device)
    flips = None if flips is None else flips.to(x.device).split(batch_size)
    for i, idx in enumerate(order.split(batch_size)):
        images = x[idx] if flips is None else hflip(x[idx], flips[i])
        yield as_input(images, unit=True), y[idx]


def evaluation_draws(stream: str) -> None:
    """What the reference's validation and test iterators draw after each epoch (nothing for bninit)."""
    if stream == "reference":
        for _ in range(EVAL_LOADERS):
            loader_seed()
