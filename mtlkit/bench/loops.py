"""Two training loops on the same model, timed on the same data: ours (:func:`mtlkit.train.fit`) and
a plain PyTorch one (torchvision transforms per image, a ``DataLoader``, ``loss.item()`` every step).

Both train for two passes over ``steps`` batches and report the second (the first pays for cuDNN
autotuning, compilation and allocator warm-up). Both follow the same recipe (the preset's optimiser,
learning rate, augmentation and precision), so the ratio measures the data path, memory format,
optimiser kernels and host synchronisation.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import cast

import torch
import torch.nn.functional as F
from torch import nn

from mtlkit.train import Precision, RunContext, TrainConfig


def ours(make_model: Callable[[], nn.Module], train, recipe: TrainConfig, context: RunContext) -> float:
    """Images per second of our loop's second epoch over ``train`` (``recipe.epochs`` should be 2)."""
    from mtlkit.train import fit

    history = fit(make_model(), train, None, recipe, progress=False, context=context)
    return history.epochs[-1]["images_per_s"]


class _Images(torch.utils.data.Dataset):
    """CIFAR-style dataset: one uint8 image at a time through torchvision transforms, on the host."""

    def __init__(self, train, augment: bool) -> None:
        from torchvision import transforms

        self.images, self.labels, self.tasks = train.images, train.labels, list(train.tasks)
        crop_flip = [
            transforms.RandomCrop(32, padding=4, padding_mode="reflect"),
            transforms.RandomHorizontalFlip(),
        ]
        self.transform = transforms.Compose(
            [
                *(crop_flip if augment else []),
                transforms.ConvertImageDtype(torch.float32),
                transforms.Normalize(train.mean, train.std),
            ]
        )

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int):
        return self.transform(self.images[i]), {t: self.labels[t][i] for t in self.tasks}


def plain(make_model: Callable[[], nn.Module], train, recipe: TrainConfig, precision: Precision) -> float:
    """Images per second of a textbook loop's second pass over ``train``: the recipe's optimiser
    (unfused, as a textbook builds it), augmentation and autocast (with a loss scaler under fp16)."""
    from mtlkit.train.optim import make_optimizer

    on_cuda = precision.device.type == "cuda"
    loader = torch.utils.data.DataLoader(
        _Images(train, recipe.augment),
        batch_size=recipe.batch_size,
        shuffle=True,
        drop_last=True,
        num_workers=4 if on_cuda else 0,
        pin_memory=on_cuda,
        persistent_workers=on_cuda,
    )
    model = make_model().to(precision.device)
    params = [{"params": list(model.parameters())}]
    cpu = torch.device("cpu")  # not fused: a textbook loop's optimiser
    optimizer = make_optimizer(recipe, params, cpu)
    scaler = precision.scaler()
    rate = 0.0
    for _ in range(2):
        seen, started = 0, time.perf_counter()
        for images, labels in loader:
            images = images.to(precision.device, non_blocking=True)
            labels = {t: y.to(precision.device, non_blocking=True) for t, y in labels.items()}
            with precision.autocast():
                logits = model(images)
            loss = cast(torch.Tensor, sum(F.cross_entropy(logits[t].float(), labels[t]) for t in logits))
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            loss.item()  # the usual per-step logging: waits for the GPU
            seen += images.shape[0]
        rate = seen / (time.perf_counter() - started)
    return rate
