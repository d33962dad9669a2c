"""stream=reference: a bninit run replays the reference protocol's random draws and input scale.

The proof is an independently written loop: the reference protocol as a plain script writes it
(torchvision's CIFAR10 over the official-format fixture, RandomHorizontalFlip + ToTensor, a
shuffling DataLoader over Subset(train, train_idx), non-shuffling loaders over validation and
test every epoch, torch's global generator seeded once with the MD5 seed), training bninit's
network with the method's init and parameter groups, SGD and the cosine schedule. Its per-epoch
numbers must equal `bninit train ... stream=reference` bit for bit on this CPU (both computed
here, in the same process: no number from another machine)."""

import json
from collections import OrderedDict
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Subset
from torchvision import transforms
from torchvision.datasets import CIFAR10

import bninit
from bninit.config import RunConfig
from bninit.data.split import stratified_split
from bninit.data.streams import epoch_batches, evaluation_draws
from bninit.models import build_model
from bninit.run.train import run
from bninit.seeds import md5_seed
from bninit.store.identity import cell_name
from data_fixtures import cifar_checksums, make_cifar, use_fixture_checksums

# 144 training images in batches of 8, at lr 0.02: enough steps, slow enough, for the BN running
# statistics to follow and the validation and test accuracies to move within 3 epochs
EPOCHS, SEED, BATCH, LR = 3, 3, 8, 0.02


def reference_script(root: Path, seed: int, epochs: int, skip_draw: bool = False, scale: float = 1.0):
    """The reference protocol written as a plain training script; per-epoch (loss, val, test).
    `skip_draw` and `scale` are the mutations the comparison must catch: one draw of torch's
    global generator left out after the first epoch, and the input multiplied by `scale`."""
    augmented = transforms.Compose([transforms.RandomHorizontalFlip(p=0.5), transforms.ToTensor()])
    train_set = CIFAR10(str(root), train=True, transform=augmented)
    val_set = CIFAR10(str(root), train=True, transform=transforms.ToTensor())
    test_set = CIFAR10(str(root), train=False, transform=transforms.ToTensor())
    train_idx, val_idx = stratified_split(train_set.targets)

    torch.manual_seed(md5_seed(seed))
    net = build_model("resnet20", 10, 3, 32, nn.BatchNorm2d)
    model = nn.Sequential(OrderedDict(input_norm=bninit.InputBatchNorm2d(3, gamma=0.1), net=net))
    bninit.init_method(model, gamma=0.1)
    groups = [g for g in bninit.param_groups(model, lr=LR, c=100, weight_decay=1e-4) if g["params"]]
    optimizer = torch.optim.SGD(groups, lr=LR, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs, eta_min=1e-8)
    train_loader = DataLoader(Subset(train_set, train_idx), batch_size=BATCH, shuffle=True, num_workers=0)
    val_loader = DataLoader(Subset(val_set, val_idx), batch_size=BATCH, shuffle=False, num_workers=0)
    test_loader = DataLoader(test_set, batch_size=BATCH, shuffle=False, num_workers=0)

    def evaluate(loader) -> float:
        model.eval()
        correct, seen = 0, 0
        with torch.no_grad():
            for images, labels in loader:
                correct += (model(images * scale).argmax(dim=1) == labels).sum().item()
                seen += len(labels)
        return 100.0 * correct / seen

    history = []
    for epoch in range(epochs):
        if skip_draw and epoch == 1:
            torch.rand(1)
        model.train()
        loss_sum, seen = torch.zeros(()), 0
        for images, labels in train_loader:
            loss = F.cross_entropy(model(images * scale), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach() * len(labels)  # the epoch's loss as bninit records it
            seen += len(labels)
        scheduler.step()
        history.append((loss_sum.item() / seen, evaluate(val_loader), evaluate(test_loader)))
    return history


@pytest.fixture
def cifar_root(tmp_path, monkeypatch):
    """A CIFAR-10 fixture in the official format: 16 train / 4 test images per class, learnable."""
    root = tmp_path / "data"
    make_cifar(root, "cifar10", per_class=16, test_per_class=4, seed=5, learnable=True)
    use_fixture_checksums(monkeypatch, "cifar10", cifar_checksums(root, "cifar10"))
    return root


def bninit_history(cli, root: Path, tmp_path: Path, *extra: str, epochs: int = EPOCHS) -> list[tuple]:
    args = [
        "train",
        "dataset=cifar10",
        f"data_dir={root}",
        f"runs_dir={tmp_path / 'runs'}",
        "arch=resnet20",
        f"epochs={epochs}",
        f"seed={SEED}",
        f"batch_size={BATCH}",
        f"lr={LR}",
        "eval_test=every_epoch",
        *extra,
    ]
    done = cli(*args)
    assert done.returncode == 0, done.stderr
    [path] = (tmp_path / "runs").glob(f"cifar10/resnet20/*/seed={SEED}/result.json")
    result = json.loads(path.read_text())
    return [(h["train_loss"], h["val_acc"], h["test_acc"]) for h in result["history"]]


@pytest.mark.slow
def test_reference_stream_equals_the_reference_script_bit_for_bit(cli, cifar_root, tmp_path):
    script = reference_script(cifar_root, SEED, EPOCHS)
    replayed = bninit_history(
        cli, cifar_root, tmp_path / "reference", "stream=reference", "channels_last=false"
    )
    assert replayed == script  # floats compared exactly: every epoch's loss, val and test accuracy
    assert len({loss for loss, _, _ in script}) == EPOCHS  # every epoch trained
    assert len({(val, test) for _, val, test in script}) > 1  # and the accuracies moved
    # what the comparison catches: one draw skipped, the 0..255 input, the default stream's draws
    assert reference_script(cifar_root, SEED, EPOCHS, skip_draw=True) != replayed
    # (an epoch's numbers do not depend on the schedule's length: the first epoch alone suffices)
    assert reference_script(cifar_root, SEED, 1, scale=255.0) != replayed[:1]
    default = bninit_history(cli, cifar_root, tmp_path / "default", "channels_last=false", epochs=1)
    assert default != script[:1]


def loader_draws(n: int, batch_size: int) -> tuple[list[int], list[bool], torch.Tensor]:
    """One epoch of the DataLoader pipeline over n images with flip marks, then the val and test
    iterators: (order, flipped, the global generator's state afterwards)."""

    class Marked(torch.utils.data.Dataset):  # item i: (i, whether RandomHorizontalFlip flipped it)
        flip = transforms.RandomHorizontalFlip(p=0.5)

        def __len__(self):
            return n

        def __getitem__(self, i):
            image = torch.tensor([[[0.0, 1.0]]])
            return i, bool(self.flip(image)[0, 0, 0] == 1.0)

    order, flipped = [], []
    for idx, flips in DataLoader(Marked(), batch_size=batch_size, shuffle=True, num_workers=0):
        order += idx.tolist()
        flipped += flips.tolist()
    for _ in range(2):
        list(DataLoader(range(n), batch_size=batch_size, shuffle=False))  # images without a flip
    return order, flipped, torch.get_rng_state()


def test_replayed_epoch_draws_what_the_dataloader_pipeline_draws():
    n, batch = 37, 8
    x = torch.arange(n, dtype=torch.uint8).reshape(n, 1, 1, 1).repeat(1, 1, 1, 2)
    x[:, :, :, 1] = 200  # each image: [its index, 200]; a flip puts 200 first
    y = torch.arange(n)
    torch.manual_seed(11)
    order, flipped, state = loader_draws(n, batch)
    torch.manual_seed(11)
    batches = list(epoch_batches("reference", x, y, batch, torch.Generator(), "flip", 2))
    evaluation_draws("reference")
    assert [len(labels) for _, labels in batches] == [8, 8, 8, 8, 5]
    assert torch.cat([labels for _, labels in batches]).tolist() == order
    images = torch.cat([images for images, _ in batches])
    assert (images[:, 0, 0, 0] > 0.5).tolist() == flipped and any(flipped) and not all(flipped)
    assert images.max().item() == pytest.approx(200 / 255)  # ToTensor's scale
    assert torch.equal(torch.get_rng_state(), state)  # and nothing more was drawn, nothing less


@pytest.mark.slow
def test_reference_stream_resumes_to_exactly_the_uninterrupted_run(make_cfg, tmp_path):
    cfg = make_cfg("seed=4", "epochs=3", "stream=reference", "augment=flip", "eval_test=every_epoch")
    stopped = run(cfg, stop_after_epoch=1)
    assert stopped["status"] == "interrupted"
    resumed = run(cfg)
    clean = run(
        make_cfg(
            "seed=4",
            "epochs=3",
            "stream=reference",
            "augment=flip",
            "eval_test=every_epoch",
            f"runs_dir={tmp_path / 'clean'}",
        )
    )
    drop = ("seconds",)
    assert [{k: v for k, v in h.items() if k not in drop} for h in resumed["history"]] == [
        {k: v for k, v in h.items() if k not in drop} for h in clean["history"]
    ]


def test_the_default_stream_keeps_every_run_directory_and_the_reference_gets_its_own():
    default = RunConfig()
    assert cell_name(RunConfig(stream="bninit")) == cell_name(default)
    assert "stream" not in default.identity()
    assert cell_name(RunConfig(stream="reference")) != cell_name(default)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["stream=fast"], "bninit train: error: stream='fast' is not allowed: allowed: bninit, reference"),
        (
            ["dataset=cifar10", "augment=crop_flip", "stream=reference"],
            "bninit train: error: augment=crop_flip is not allowed with stream=reference",
        ),
    ],
)
def test_a_bad_stream_is_one_line_and_exit_2(cli, tmp_path, args, message):
    done = cli("train", f"runs_dir={tmp_path / 'runs'}", *args)
    assert done.returncode == 2
    assert done.stderr.strip().startswith(message) and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "runs").exists()
