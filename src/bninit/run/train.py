"""One run of the protocol: train, pick the best-validation epoch, report its test accuracy.
Resumable: a checkpoint after every epoch (bninit.run.resume), result.json when finished; every
line it prints also goes to the run's train.log. A damaged checkpoint or result is moved aside and
the seed starts again from the start. The epoch's steps are bninit.run.steps."""

import platform
import time
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch
from torch import nn

import bninit
from bninit.config import RunConfig, dataset_options
from bninit.data import load_dataset
from bninit.data.augment import crop_padding, with_augment, zero_pad
from bninit.data.image_data import ImageData
from bninit.data.split import stratified_split
from bninit.data.streams import epoch_batches, evaluation_draws, unit_scale
from bninit.errors import UserError
from bninit.method.init import init_bn_scales, init_weights
from bninit.method.norms import NORM_LAYERS, input_norm_layer
from bninit.method.optim import build_optimizer, build_scheduler
from bninit.models import build_model
from bninit.run.fastpath import FastPath
from bninit.run.fingerprint import fingerprint, remember
from bninit.run.host_memory import keep_freed_memory
from bninit.run.logger import epoch_logger
from bninit.run.resume import RunState, read_or_set_aside, rewrite_damaged_config
from bninit.run.steps import accuracy, bn_scale_stats, snapshot, train_epoch
from bninit.run.threads import limit_threads
from bninit.seeds import md5_seed, rng_state, seed_everything, set_rng_state
from bninit.store.rundir import (
    CHECKPOINT,
    RESULT,
    load_checkpoint,
    read_result,
    run_dir,
    save_checkpoint,
    write_json,
    write_run_config,
)
from bninit.store.runlog import RunLog


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise UserError(f"device={device}: no CUDA device is available here; use device=cpu")
    return torch.device(device)


def build_network(cfg: RunConfig, data: ImageData, train_x: torch.Tensor) -> nn.Module:
    """The method's model: input normalization + the network with the chosen BN, initialised."""
    net = build_model(
        cfg.arch, data.num_classes, data.channels, data.image_size, NORM_LAYERS[cfg.bn], name=cfg.timm_model
    )
    norm = input_norm_layer(cfg.input_norm, data.channels, train_x, unit_scale(cfg.stream))
    model = nn.Sequential(OrderedDict(input_norm=norm, net=net))
    init_weights(model, cfg.linear_init)
    init_bn_scales(model, cfg.gamma)
    return model


def run(cfg: RunConfig, stop_after_epoch: int | None = None, echo: bool = True) -> dict:
    """Train (or resume, or skip) the run `cfg` names; return its result record.

    Every line goes to the run's train.log, and with `echo` to stdout too (a sweep's runs keep
    their epochs to their logs). `stop_after_epoch` stops once that many epochs are checkpointed
    (an interruption, for tests): the returned record then has status "interrupted".
    """
    out = run_dir(cfg)
    log = RunLog(out, echo)
    say = log.say
    done = read_or_set_aside(read_result, out, log, cfg.seed)
    if done is not None:
        if echo:
            print(f"already done: {out} (test acc at best val {done['test_acc_at_best_val']:.2f}%)")
        return done
    logger = epoch_logger(cfg, out)  # logger=tensorboard: event files beside the checkpoint

    threads = limit_threads()  # the CPUs this run was given (SLURM job, affinity mask), never more
    # Data, model, optimizer: every random draw comes from the run's seed, in this order.
    device = resolve_device(cfg.device)
    fast = FastPath.for_run(cfg, device)
    fast.set_backend_flags()
    machine = fingerprint(device)  # after the flags: it records the settings in force
    keep_freed_memory()  # CPU steps reuse freed activation memory instead of faulting it in
    data = load_dataset(cfg.dataset, cfg.data_dir, **dataset_options(cfg))
    data = with_augment(data, cfg.augment, cfg.dataset)
    train_idx, val_idx = stratified_split(data.train_y.numpy())
    seed32 = md5_seed(cfg.seed)
    generator = seed_everything(seed32)  # stream=bninit: the data order and augmentation draws
    x_train, y_train = data.train_x[train_idx], data.train_y[train_idx]  # one copy, then moved
    model = build_network(cfg, data, x_train).to(device)
    x_train = zero_pad(x_train, crop_padding(data))  # after the offline statistics saw the images
    forward = fast.prepare(model)  # the module to call; `model` holds the state
    optimizer = build_optimizer(model, cfg.lr, cfg.c, cfg.weight_decay, cfg.momentum)
    scheduler = build_scheduler(optimizer, cfg.epochs)
    scaler = fast.grad_scaler()
    x_train, y_train = x_train.to(device), y_train.to(device)
    x_val, y_val = data.train_x[val_idx].to(device), data.train_y[val_idx].to(device)
    x_test, y_test = data.test_x.to(device), data.test_y.to(device)

    def evaluate(x: torch.Tensor, y: torch.Tensor) -> float:
        return accuracy(forward, x, y, data.image_size, fast, unit_scale(cfg.stream))

    checkpoint = read_or_set_aside(load_checkpoint, out, log, cfg.seed)
    if checkpoint is not None:
        rewrite_damaged_config(out, cfg, say)
    if checkpoint is None:
        state = RunState()
        write_run_config(out, cfg)
        say(
            f"run {out} ({len(y_train)} train / {len(y_val)} val / {len(y_test)} test, {device}), "
            f"{threads} CPU threads"
        )
    else:
        model.load_state_dict(checkpoint.pop("model"))
        optimizer.load_state_dict(checkpoint.pop("optimizer"))
        scheduler.load_state_dict(checkpoint.pop("scheduler"))
        scaler.load_state_dict(checkpoint.pop("scaler"))
        set_rng_state(checkpoint.pop("rng"), generator)
        state = RunState(**checkpoint)
        say(f"resuming {out} after epoch {state.epoch}/{cfg.epochs}")
    state.hardware = remember(state.hardware, machine)

    while state.epoch < cfg.epochs:
        epoch, start = state.epoch + 1, time.perf_counter()
        lr = optimizer.param_groups[-1]["lr"]
        batches = epoch_batches(
            cfg.stream, x_train, y_train, cfg.batch_size, generator, data.augment, data.image_size
        )
        loss, train_acc = train_epoch(forward, optimizer, batches, fast, scaler)
        scheduler.step()
        evaluation_draws(cfg.stream)  # stream=reference: the val and test loaders' (whatever eval_test)
        val_acc = evaluate(x_val, y_val)
        test_acc = evaluate(x_test, y_test) if cfg.eval_test == "every_epoch" else None
        scale_mean, scale_std = bn_scale_stats(model)
        if val_acc > state.best_val_acc:  # strictly better: the first epoch wins ties
            state.best_epoch, state.best_val_acc, state.test_acc_at_best_val = epoch, val_acc, test_acc
            if cfg.eval_test == "at_best":
                state.best_model = snapshot(model)
        seconds = time.perf_counter() - start
        state.elapsed += seconds
        state.epoch = epoch
        state.history.append(
            {
                "epoch": epoch,
                "lr": lr,
                "train_loss": loss,
                "train_acc": train_acc,
                "val_acc": val_acc,
                "test_acc": test_acc,
                "bn_scale_mean": scale_mean,
                "bn_scale_std": scale_std,
                "seconds": seconds,
            }
        )
        save_checkpoint(
            out,
            {
                **state.as_dict(),
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "scaler": scaler.state_dict(),
                "rng": rng_state(generator),
            },
        )
        logger.epoch(state.history[-1], state.best_val_acc)
        eta = state.elapsed / epoch * (cfg.epochs - epoch)
        say(
            f"epoch {epoch:>3}/{cfg.epochs}  loss {loss:.4f}  val {val_acc:6.2f}%  "
            f"best {state.best_val_acc:6.2f}% (ep {state.best_epoch})  "
            f"{seconds:5.1f}s  ETA {eta:4.0f}s"
        )
        if stop_after_epoch is not None and epoch >= stop_after_epoch and epoch < cfg.epochs:
            logger.close()
            return {"status": "interrupted", "epoch": epoch, "run_dir": str(out)}

    if cfg.eval_test == "at_best":  # the test set's two looks: the final and the best-val weights
        start = time.perf_counter()
        final_test_acc = evaluate(x_test, y_test)
        model.load_state_dict(state.best_model)
        state.test_acc_at_best_val = evaluate(x_test, y_test)
        state.elapsed += time.perf_counter() - start
    else:
        final_test_acc = state.history[-1]["test_acc"]
    logger.close()
    result = {**_result_record(cfg, state, final_test_acc, seed32, device, out), "cpu_threads": threads}
    write_json(out / RESULT, result)
    (out / CHECKPOINT).unlink(missing_ok=True)
    say(
        f"done: test acc {result['test_acc_at_best_val']:.2f}% at best val epoch "
        f"{result['best_epoch']} (val {result['best_val_acc']:.2f}%), final test "
        f"{result['final_test_acc']:.2f}%, {result['wall_time_s']:.1f}s -> {out / RESULT}"
    )
    return result


def _result_record(
    cfg: RunConfig, state: RunState, final_test_acc: float, seed32: int, device: torch.device, out: Path
) -> dict:
    return {
        "status": "done",
        "config": cfg.to_dict(),
        "seed": cfg.seed,
        "md5_seed": seed32,
        "best_epoch": state.best_epoch,
        "best_val_acc": state.best_val_acc,
        "test_acc_at_best_val": state.test_acc_at_best_val,
        "final_test_acc": final_test_acc,
        "history": state.history,
        "wall_time_s": state.elapsed,
        "versions": {
            "bninit": bninit.__version__,
            "torch": torch.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        "device": str(device) if device.type == "cpu" else torch.cuda.get_device_name(device),
        "hardware": state.hardware,  # one fingerprint per machine it ran on, oldest first
        "host": platform.node(),
        "run_dir": str(out),
    }
