"""DeviceLoader: batches straight from a split kept on the device, augmented and normalised there.

A CIFAR split is small (50,000 x 3 x 32 x 32 uint8 = 150 MB), so it is moved to the device once and every
batch is an index into it: no worker processes, no host-to-device copy per step (the approach of airbench,
github.com/KellerJordan/airbench). Epoch ``e`` shuffles with a ``torch.Generator`` seeded with
``seed + e``, so a resumed run reproduces epoch ``e`` after ``set_epoch(e)``; all random numbers are drawn
on the CPU, so a seed gives the same batches on CPU and CUDA.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch
from torch import Tensor

from mtlkit.data.augment import crop_flip, crop_flip_params, normalize
from mtlkit.data.dataset import TaskDataset
from mtlkit.errors import UserError


class DeviceLoader:
    """Iterate over ``(images, labels)`` batches of ``dataset`` on ``device``.

    ``images`` are normalised with the dataset's train statistics, of ``dtype`` (channels-last memory when
    ``channels_last``); ``labels`` is ``{task: int64 [B]}``. With ``augment``, each image gets a random
    crop (reflect padding of ``pad`` pixels) and a random horizontal flip. Each ``iter()`` is one epoch;
    the epoch counter advances by itself and ``set_epoch(e)`` jumps to epoch ``e``. ``len(loader)`` is
    the number of batches per epoch.
    """

    def __init__(
        self,
        dataset: TaskDataset,
        batch_size: int,
        device: str | torch.device = "cpu",
        shuffle: bool = True,
        augment: bool = False,
        drop_last: bool = False,
        seed: int = 0,
        dtype: torch.dtype = torch.float32,
        channels_last: bool = False,
        pad: int = 4,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise UserError(f"batch_size must be a positive integer, got {batch_size!r}")
        if not isinstance(pad, int) or not 0 <= pad < min(dataset.images.shape[-2:]):
            raise UserError(f"pad must be an integer in [0, image size), got {pad!r}")
        self.dataset = dataset
        self.batch_size = batch_size
        self.device = torch.device(device)
        self.shuffle, self.augment, self.drop_last = shuffle, augment, drop_last
        self.seed, self.dtype, self.channels_last, self.pad = seed, dtype, channels_last, pad
        self.images = dataset.images.to(self.device)  # uint8, moved once
        self.labels = {task: y.to(self.device) for task, y in dataset.labels.items()}
        self.mean = torch.tensor(dataset.mean, dtype=torch.float32, device=self.device)
        self.std = torch.tensor(dataset.std, dtype=torch.float32, device=self.device)
        self.epoch = 0

    def __len__(self) -> int:
        n = len(self.images)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def set_epoch(self, epoch: int) -> None:
        """Make the next ``iter()`` produce epoch ``epoch`` (shuffle and augmentation seeded ``seed + epoch``)."""
        self.epoch = epoch

    def __iter__(self) -> Iterator[tuple[Tensor, dict[str, Tensor]]]:
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        self.epoch += 1
        n = len(self.images)
        order = torch.randperm(n, generator=generator) if self.shuffle else torch.arange(n)
        order = order.to(self.device)
        # One epoch's crops and flips, drawn on the CPU and moved once (not one small copy per batch).
        params = (
            [p.to(self.device) for p in crop_flip_params(n, self.pad, generator)] if self.augment else None
        )
        for i in range(len(self)):
            batch = slice(i * self.batch_size, (i + 1) * self.batch_size)
            index = order[batch]
            images = self.images[index]
            if params is not None:
                dy, dx, flipped = (p[batch] for p in params)
                images = crop_flip(images, dy, dx, flipped, self.pad)
            yield self._finish(images), {task: y[index] for task, y in self.labels.items()}

    def _finish(self, images: Tensor) -> Tensor:
        """Normalise uint8 ``images`` to ``dtype`` in the requested memory format."""
        images = normalize(images, self.mean, self.std, self.dtype)
        memory_format = torch.channels_last if self.channels_last else torch.contiguous_format
        return images.contiguous(memory_format=memory_format)
