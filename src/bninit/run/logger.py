"""Live dashboards: `logger=tensorboard` writes each finished epoch's numbers as TensorBoard
scalars into the run's own directory (step = epoch), and the run's identity keys and seed as
hparams, so `tensorboard --logdir runs/` shows every run and its HParams view compares cells.

Logging only reads what the run computed: it never changes a number or the run's directory
(`logger` is a placement key). A resumed run appends a new event file whose first event purges
anything an interrupted attempt logged at or after the epoch it resumes from, so every epoch is
one step, once."""

import importlib.util
from pathlib import Path

from bninit.config import RunConfig
from bninit.errors import UserError

INSTALL = "logger=tensorboard needs the tensorboard package: pip install 'bninit[tensorboard]'"
SCALARS = ("val_acc", "train_loss", "train_acc", "lr", "test_acc", "bn_scale_mean", "bn_scale_std", "seconds")
METRICS = ("val_acc", "train_loss", "best_val_acc")  # the HParams view's metric columns


class NoLogger:
    """logger=none: nothing is written."""

    def epoch(self, entry: dict, best_val_acc: float) -> None:
        pass

    def close(self) -> None:
        pass


class TensorBoardLogger(NoLogger):
    """Event files in `out`; the writer opens at the first epoch this process logs."""

    def __init__(self, cfg: RunConfig, out: Path) -> None:
        self.out, self.writer = out, None
        self.hparams = {**cfg.identity(), "seed": cfg.seed}

    def _open(self, first_epoch: int):
        from torch.utils.tensorboard import SummaryWriter
        from torch.utils.tensorboard.summary import hparams

        writer = SummaryWriter(log_dir=str(self.out), purge_step=first_epoch)
        for summary in hparams(self.hparams, dict.fromkeys(METRICS, 0.0)):
            writer.file_writer.add_summary(summary)
        return writer

    def epoch(self, entry: dict, best_val_acc: float) -> None:
        if self.writer is None:
            self.writer = self._open(entry["epoch"])
        step = entry["epoch"]
        for name in SCALARS:
            if entry.get(name) is not None:
                self.writer.add_scalar(name, entry[name], step)
        self.writer.add_scalar("best_val_acc", best_val_acc, step)
        self.writer.flush()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def epoch_logger(cfg: RunConfig, out: Path) -> NoLogger:
    """The run's logger; UserError (one line: how to install) when its package is missing."""
    if cfg.logger == "none":
        return NoLogger()
    if importlib.util.find_spec("tensorboard") is None:
        raise UserError(INSTALL)
    return TensorBoardLogger(cfg, Path(out))
