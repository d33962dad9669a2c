"""The library API for one's own training loop (bninit.init_method, param_groups,
InputBatchNorm2d, convert_bn): each function, and the README's loop over it (run as the README
shows it), which gives exactly the numbers of `bninit train` for the same seed, data and order."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import bninit
from bninit.data import load_dataset
from bninit.data.batches import train_batches
from bninit.data.split import stratified_split
from bninit.run.train import accuracy, bn_scale_stats, run
from bninit.seeds import md5_seed, seed_everything
from doc_blocks import block
from folder_fixture import make_image_folder


def test_the_api_is_exported_from_the_package():
    assert set(bninit.__all__) >= {"init_method", "param_groups", "InputBatchNorm2d", "convert_bn"}
    for name in ("init_method", "param_groups", "InputBatchNorm2d", "convert_bn"):
        assert getattr(bninit, name).__doc__
    with pytest.raises(AttributeError):
        bninit.nothing_here  # noqa: B018


def test_init_method_sets_every_bn_scale_and_the_paper_init():
    torch.manual_seed(0)
    model = nn.Sequential(bninit.InputBatchNorm2d(3), nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.Flatten())
    model.append(nn.Linear(8 * 30 * 30, 10))
    assert bninit.init_method(model, gamma=0.2) is model
    assert torch.allclose(model[0].weight, torch.full((3,), 0.2 * 0.58)) and torch.all(model[0].bias == 0)
    assert torch.all(model[2].weight == 0.2) and torch.all(model[2].bias == 0)
    assert torch.all(model[1].bias == 0) and torch.all(model[4].bias == 0)
    bound = (6 / (8 * 30 * 30)) ** 0.5  # Kaiming uniform, ReLU gain
    assert model[4].weight.abs().max() <= bound and model[4].weight.abs().max() > 0.99 * bound


def test_input_batchnorm_starts_at_gamma_times_058_with_a_frozen_shift():
    layer = bninit.InputBatchNorm2d(3, gamma=0.5)
    assert torch.allclose(layer.weight, torch.full((3,), 0.29)) and not layer.bias.requires_grad
    groups = bninit.param_groups(nn.Sequential(layer), lr=0.1)
    assert [len(g["params"]) for g in groups] == [1, 0, 0] and groups[0]["lr"] == pytest.approx(0.001)


def test_param_groups_feed_any_optimizer():
    model = nn.Sequential(nn.Conv2d(3, 4, 3, bias=True), nn.BatchNorm2d(4))
    groups = bninit.param_groups(model, lr=0.1, c=100, weight_decay=1e-4)
    by_name = {g["name"]: g for g in groups}
    assert by_name["bn_scale"]["params"] == [model[1].weight]
    assert (by_name["bn_scale"]["lr"], by_name["bn_scale"]["weight_decay"]) == (pytest.approx(0.001), 0.0)
    assert by_name["no_decay"]["params"] == [model[0].bias, model[1].bias]
    assert by_name["decay"]["params"] == [model[0].weight] and by_name["decay"]["weight_decay"] == 1e-4
    torch.optim.AdamW(bninit.param_groups(model, lr=1e-3))  # any torch optimizer takes them


class Loader:
    """`train_loader` for the README's loop: bninit's batches of the run's data in the run's order
    (`bninit.data.batches.train_batches`, the run's generator). After each epoch it records what
    `bninit train` records: the epoch's mean train loss (from the logits the loop computed, caught
    by a forward hook), the validation accuracy and the BN scales' mean and std."""

    def __init__(self, namespace: dict, data, cfg, train_idx, val_idx, generator):
        self.namespace, self.data, self.cfg, self.generator = namespace, data, cfg, generator
        self.x, self.y = data.train_x[train_idx], data.train_y[train_idx]
        self.val = data.train_x[val_idx], data.train_y[val_idx]
        self.history: list[dict] = []

    def __iter__(self):
        model = self.namespace["model"]  # the README's model, built by then
        logits = []
        hook = model.register_forward_hook(lambda module, args, out: logits.append(out.detach()))
        loss_sum, seen = torch.zeros(()), 0
        size = self.data.image_size
        batches = train_batches(self.x, self.y, self.cfg.batch_size, self.generator, self.cfg.augment, size)
        for images, labels in batches:
            yield images, labels
            loss_sum += F.cross_entropy(logits.pop(), labels) * len(labels)
            seen += len(labels)
        hook.remove()
        scale_mean, scale_std = bn_scale_stats(model)
        val_acc = accuracy(model, *self.val, size)
        self.history.append(
            {
                "train_loss": loss_sum.item() / seen,
                "val_acc": val_acc,
                "bn_scale_mean": scale_mean,
                "bn_scale_std": scale_std,
            }
        )


@pytest.mark.slow
def test_the_readmes_loop_gives_the_numbers_of_bninit_train(make_cfg, tmp_path):
    """docs/models-and-data.md: the README's loop, given bninit's data, batches and seed, gives
    exactly the per-epoch numbers of `bninit train` (timm's resnet18 on an RGB image folder)."""
    images = make_image_folder(tmp_path / "images", train=12, test=1, side=8, classes=10)
    cfg = make_cfg(
        "seed=3", "channels_last=false", "arch=timm", "timm_model=resnet18", "dataset=folder",
        f"folder_path={images}", "folder_image_size=8", f"data_dir={tmp_path / 'data'}",
    )  # fmt: skip
    keys = ("train_loss", "val_acc", "bn_scale_mean", "bn_scale_std")
    expected = [{k: h[k] for k in keys} for h in run(cfg)["history"]]

    data = load_dataset("folder", cfg.data_dir, path=str(images), image_size=8, stored_size=8)
    train_idx, val_idx = stratified_split(data.train_y.numpy())
    generator = seed_everything(md5_seed(3))  # bninit train's seed, before the model is built
    namespace = {"epochs": cfg.epochs}
    loader = namespace["train_loader"] = Loader(namespace, data, cfg, train_idx, val_idx, generator)
    readme = block("README.md", "import timm, torch")
    exec(compile(readme.text, f"README.md:{readme.line}", "exec"), namespace)
    assert len(expected) == 2 and loader.history == expected
