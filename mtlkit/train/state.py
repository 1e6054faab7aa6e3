"""``TrainState``: everything a run needs to continue, saved as ``last.pt`` and restored on resume.

One object holds the live training state (model, weighting, optimiser, schedule, fp16 loss scaler,
history, best weights so far) and is the only place that writes it to, and reads it from, a
checkpoint folder (file handling in :mod:`mtlkit.train.checkpoint`). Random streams are not saved:
every epoch reseeds from ``(seed, epoch)``, so a resumed run ends with the same metrics.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from mtlkit.errors import UserError
from mtlkit.models.base import tasks_of
from mtlkit.train import checkpoint as ckpt
from mtlkit.train.history import History

if TYPE_CHECKING:
    from mtlkit.weighting import Weighting


@dataclass
class TrainState:
    """The live objects of one ``fit`` call and its bookkeeping."""

    model: nn.Module
    weighting: Weighting
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    scaler: torch.amp.GradScaler
    history: History
    best_weights: dict[str, torch.Tensor] | None = None
    epochs_done: int = 0
    unsaved_best_epoch: int | None = None  # the best epoch whose weights best.pt does not hold yet

    def end_epoch(self, record: dict[str, Any], keep_last: bool) -> None:
        """Record an epoch; snapshot the weights if it is the best so far (or ``keep_last``: no val)."""
        self.epochs_done = record["epoch"]
        if self.history.append(record) or keep_last:
            self.best_weights = ckpt.cpu_state(self.model)
            self.unsaved_best_epoch = record["epoch"]

    def to_dict(self) -> dict[str, Any]:
        """The content of ``last.pt``."""
        return {
            "epoch": self.epochs_done,
            "model": ckpt.cpu_state(self.model),
            "weighting": self.weighting.state_dict(),
            "weighting_attributes": _plain_attributes(self.weighting),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict(),
            "history": self.history.to_dict(),
            "best_state": self.best_weights,
            "tasks": tasks_of(self.model),
        }

    def save(self, directory: str | os.PathLike) -> None:
        """Write ``best.pt`` (if the best epoch changed since the last save) and ``last.pt``."""
        if self.unsaved_best_epoch is not None and self.best_weights is not None:
            meta = {"epoch": self.unsaved_best_epoch, "tasks": self.model.tasks}
            ckpt.save_best(directory, self.best_weights, meta)
            self.unsaved_best_epoch = None
        ckpt.save_last(directory, self.to_dict())

    def restore(self, directory: str | os.PathLike) -> None:
        """Load ``last.pt`` from ``directory`` into the live objects (nothing there: a fresh start)."""
        state = ckpt.load_last(directory)
        if state is None:
            return
        if state["tasks"] != tasks_of(self.model):
            raise UserError(
                f"checkpoint in {directory} was trained on tasks {state['tasks']}, not "
                f"{tasks_of(self.model)}; use another output folder or delete it"
            )
        ckpt.unwrap(self.model).load_state_dict(state["model"])
        self.weighting.load_state_dict(state["weighting"])
        for name, value in state["weighting_attributes"].items():
            setattr(self.weighting, name, value)
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        if state.get("scaler"):  # absent in checkpoints written before fp16 support, empty when off
            self.scaler.load_state_dict(state["scaler"])
        restored = History.from_dict(state["history"])
        self.history.epochs, self.history.best_epoch, self.history.best_score = (
            restored.epochs,
            restored.best_epoch,
            restored.best_score,
        )
        self.epochs_done, self.best_weights = state["epoch"], state["best_state"]


def _plain_attributes(module: nn.Module) -> dict[str, Any]:
    """Public Python attributes (e.g. DWA's loss history) that ``state_dict`` does not capture."""
    return {k: v for k, v in vars(module).items() if not k.startswith("_") and k != "training"}
