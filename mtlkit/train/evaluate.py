"""Evaluation: accuracy and loss per task, plus the coarse-from-fine baseline.

When a dataset's coarse label is a function of its fine label (CIFAR's superclasses), a fine head
already predicts the coarse task: ``coarse_hat = coarse_of_fine[argmax fine logits]``. A dedicated coarse
head (single- or multi-task) only adds something if it beats that baseline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from mtlkit.train.device import Precision
from mtlkit.train.losses import coarse_from_fine_correct, correct_counts, task_losses

if TYPE_CHECKING:
    from mtlkit.data import DeviceLoader, TaskDataset


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter (CPU for a parameterless model)."""
    first = next(model.parameters(), None)
    return first.device if first is not None else torch.device("cpu")


@torch.no_grad()
def evaluate(
    model: nn.Module,
    dataset: TaskDataset,
    *,
    batch_size: int = 500,
    precision: Precision | None = None,
    loader: DeviceLoader | None = None,
) -> dict[str, dict[str, float]]:
    """Return ``{task: {"acc", "loss"}}`` for the model's tasks, and ``"coarse_from_fine": {"acc"}``.

    The model is put in eval mode and restored to its previous mode. Metrics accumulate on the device;
    the host reads them once at the end. Pass ``loader`` to reuse a :class:`~mtlkit.data.DeviceLoader`.
    """
    from mtlkit.data import DeviceLoader

    precision = precision or Precision(model_device(model))
    if loader is None:
        loader = DeviceLoader(
            dataset,
            batch_size,
            device=precision.device,
            shuffle=False,
            augment=False,
            channels_last=precision.channels_last,
        )
    tasks = list(getattr(model, "tasks", dataset.tasks))
    with_cff = "fine" in tasks and "coarse" in dataset.labels and dataset.coarse_of_fine is not None
    # moved once, not per batch: a host-to-device copy in the loop would wait for the GPU every batch
    coarse_of_fine = dataset.coarse_of_fine.to(precision.device) if with_cff else None
    sums = torch.zeros(2 * len(tasks) + 1, device=precision.device)
    was_training = model.training
    model.eval()
    try:
        for images, labels in loader:
            with precision.autocast():
                logits = model(images)
            losses = task_losses(logits, labels)
            correct = correct_counts(logits, labels)
            batch = images.shape[0]
            parts = [losses[t] * batch for t in tasks] + [correct[t] for t in tasks]
            cff = (
                coarse_from_fine_correct(logits["fine"], labels["coarse"], coarse_of_fine)
                if coarse_of_fine is not None  # with_cff
                else torch.zeros((), device=precision.device)
            )
            sums += torch.stack([p.float() for p in [*parts, cff]])
    finally:
        model.train(was_training)
    totals = sums.tolist()
    n = max(len(dataset), 1)
    result = {t: {"acc": totals[len(tasks) + i] / n, "loss": totals[i] / n} for i, t in enumerate(tasks)}
    if with_cff:
        result["coarse_from_fine"] = {"acc": totals[-1] / n}
    return result
