"""TaskDataset: one split of a multi-task image dataset, held in memory as uint8 tensors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch

from mtlkit.errors import UserError


@dataclass(frozen=True, eq=False)
class TaskDataset:
    """Images with one integer label per task.

    Attributes:
        name: dataset name (``"cifar10"``, ``"cifar100"``, ``"shapes"``).
        split: ``"train"``, ``"val"`` or ``"test"`` (a ``subset``/``take`` keeps it).
        images: uint8 ``[N, 3, 32, 32]``.
        labels: ``{task: int64 [N]}``, e.g. ``{"fine": ..., "coarse": ...}``.
        tasks: ``{task: number of classes}``.
        class_names: ``{task: [name of class 0, ...]}``.
        coarse_of_fine: int64 ``[num_fine]``, the coarse class of each fine class.
        mean, std: per-channel statistics of the *train* split in [0, 1] units (the same for its val and
            test splits), used to normalise: ``(images / 255 - mean) / std``.
    """

    name: str
    split: str
    images: torch.Tensor
    labels: dict[str, torch.Tensor]
    tasks: dict[str, int]
    class_names: dict[str, list[str]]
    coarse_of_fine: torch.Tensor
    mean: tuple[float, float, float]
    std: tuple[float, float, float]

    def __post_init__(self) -> None:
        n = len(self.images)
        if self.images.dtype != torch.uint8 or self.images.ndim != 4:
            raise ValueError(
                f"images must be uint8 [N, C, H, W], got {self.images.dtype} {tuple(self.images.shape)}"
            )
        for task, y in self.labels.items():
            if y.shape != (n,):
                raise ValueError(f"labels[{task!r}] has shape {tuple(y.shape)}, expected ({n},)")

    def __len__(self) -> int:
        return len(self.images)

    def __repr__(self) -> str:
        tasks = ", ".join(f"{t}={k}" for t, k in self.tasks.items())
        return f"TaskDataset({self.name!r}, split={self.split!r}, n={len(self)}, tasks=({tasks}), device={self.device})"

    @property
    def device(self) -> torch.device:
        return self.images.device

    def subset(self, indices: Sequence[int] | np.ndarray | torch.Tensor) -> TaskDataset:
        """The samples at ``indices`` (ints, or a boolean mask of length N), in that order."""
        index = torch.as_tensor(np.asarray(indices) if not torch.is_tensor(indices) else indices)
        if index.dtype == torch.bool:
            if index.shape != (len(self),):
                raise UserError(
                    f"a boolean mask for subset() needs {len(self)} entries, got {tuple(index.shape)}"
                )
            index = index.nonzero().flatten()
        if index.numel() and (
            index.is_floating_point() or index.min() < -len(self) or index.max() >= len(self)
        ):
            raise UserError(
                f"subset() needs integer indices in [0, {len(self)}), got {index.dtype} out of range"
            )
        index = index.long().flatten().to(self.device)
        return replace(self, images=self.images[index], labels={t: y[index] for t, y in self.labels.items()})

    def take(self, n: int, seed: int = 0) -> TaskDataset:
        """The first ``n`` samples of a seeded permutation stratified by the fine labels (e.g. for a smoke
        run on a small but balanced sample). ``n`` larger than the dataset takes everything."""
        from mtlkit.data.split import stratified_permutation

        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise UserError(f"take(n) needs a positive integer n, got {n!r}")
        task = "fine" if "fine" in self.labels else next(iter(self.labels))
        order = stratified_permutation(self.labels[task], seed)[:n]
        return self.subset(order.sort().values)

    def to(self, device: str | torch.device) -> TaskDataset:
        """A copy with images, labels and ``coarse_of_fine`` on ``device``."""
        return replace(
            self,
            images=self.images.to(device),
            labels={t: y.to(device) for t, y in self.labels.items()},
            coarse_of_fine=self.coarse_of_fine.to(device),
        )


@dataclass(frozen=True, eq=False)
class Pool:
    """One official split (``train`` or ``test``) as read from its source, before the val hold-out."""

    images: torch.Tensor  # uint8 [N, 3, 32, 32]
    labels: dict[str, torch.Tensor]  # int64 [N] per task
    class_names: dict[str, list[str]]
    coarse_of_fine: torch.Tensor  # int64 [num_fine]
