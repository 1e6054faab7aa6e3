"""The record of a training run: one entry per epoch, and which epoch validation picked.

Model selection uses the validation split only. The 2023 study reported its last epoch's test
accuracy after 20 epochs, by which time its models had overfitted; here the best epoch by the
validation criterion is kept and its weights restored.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import asdict, dataclass, field
from typing import Any

from mtlkit._io import write_json, write_text


def selection_score(val: dict[str, dict[str, float]], tasks: list[str], criterion: str) -> float:
    """Higher is better: the mean validation accuracy over tasks, or minus the summed validation loss."""
    if criterion == "mean_acc":
        return sum(val[t]["acc"] for t in tasks) / len(tasks)
    if criterion == "loss":
        return -sum(val[t]["loss"] for t in tasks)
    raise ValueError(f"unknown selection criterion {criterion!r}")


@dataclass
class History:
    """Per-epoch metrics of a :func:`~mtlkit.train.fit` run.

    Each entry of ``epochs`` holds ``epoch`` (1-based), ``lr``, ``train`` and ``val``
    (``{task: {"loss", "acc"}}``, val also ``coarse_from_fine``), ``weights`` (task weights in use at
    the end of the epoch), ``seconds`` and ``images_per_s``.
    """

    tasks: list[str]
    criterion: str = "mean_acc"
    epochs: list[dict[str, Any]] = field(default_factory=list)
    best_epoch: int | None = None
    best_score: float | None = None

    def append(self, record: dict[str, Any]) -> bool:
        """Add an epoch's record; return True if it is the new best by the validation criterion."""
        self.epochs.append(record)
        if not record.get("val"):
            return False
        score = selection_score(record["val"], self.tasks, self.criterion)
        if self.best_score is None or score > self.best_score:
            self.best_epoch, self.best_score = record["epoch"], score
            return True
        return False

    @property
    def best(self) -> dict[str, Any] | None:
        """The record of the selected epoch."""
        return next((r for r in self.epochs if r["epoch"] == self.best_epoch), None)

    def series(self, split: str, task: str, metric: str) -> list[float]:
        """One metric over epochs, e.g. ``series("val", "fine", "acc")``, for plots."""
        return [r[split][task][metric] for r in self.epochs if task in r.get(split, {})]

    def weight_series(self, task: str) -> list[float]:
        """The weight of ``task`` at the end of each epoch."""
        return [r["weights"].get(task, float("nan")) for r in self.epochs]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        return cls(**data)

    def rows(self) -> list[dict[str, Any]]:
        """Flat rows (one per epoch) for CSV: ``train_fine_acc``, ``val_coarse_loss``, ``weight_fine``..."""
        out = []
        for r in self.epochs:
            row: dict[str, Any] = {k: r[k] for k in ("epoch", "lr", "seconds", "images_per_s")}
            for split in ("train", "val"):
                for task, metrics in r.get(split, {}).items():
                    for name, value in metrics.items():
                        row[f"{split}_{task}_{name}"] = value
            for task, w in r.get("weights", {}).items():
                row[f"weight_{task}"] = w
            out.append(row)
        return out

    def save(self, directory: str | os.PathLike) -> None:
        """Write ``history.json`` and ``history.csv`` into ``directory`` (atomically)."""
        write_json(os.path.join(directory, "history.json"), self.to_dict())
        write_text(os.path.join(directory, "history.csv"), to_csv(self.rows()))


def to_csv(rows: list[dict[str, Any]]) -> str:
    """Rows of dicts as CSV text, with the union of their keys as the header (in first-seen order)."""
    header: list[str] = []
    for row in rows:
        header += [k for k in row if k not in header]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
