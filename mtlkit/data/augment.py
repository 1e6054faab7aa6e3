"""Batched, on-device augmentation: random crop with reflect padding + horizontal flip, and normalisation.

Random crop (He et al., 2016, "Deep Residual Learning", CIFAR setup): pad the 32x32 image by ``pad``
pixels and cut a 32x32 window at a uniform offset ``(dy, dx) in [0, 2 * pad]^2``. We pad by *reflection*
(as airbench does, github.com/KellerJordan/airbench): the padded border then looks like image content
instead of a black frame that never appears at test time.

No padded copy is materialised: the output pixel ``(i, j)`` of image ``b`` reads the source pixel
``(reflect(i + dy_b - pad), reflect(j' + dx_b - pad))`` with ``j' = W - 1 - j`` when the image is flipped,
so one gather does crop and flip for the whole batch. The random numbers are drawn on the CPU from a
seeded generator and then moved, so a seed gives the same crops on every device.
"""

from __future__ import annotations

import torch
from torch import Tensor


def reflect_index(index: Tensor, size: int) -> Tensor:
    """Map indices in ``[-(size - 1), 2 * size - 2]`` into ``[0, size)`` by mirror reflection about the
    edge pixels (``torch.nn.functional.pad(mode="reflect")``): -1 -> 1, size -> size - 2."""
    index = index.abs()
    return torch.where(index >= size, 2 * (size - 1) - index, index)


def crop_flip_params(
    n: int, pad: int, generator: torch.Generator, flip: bool = True
) -> tuple[Tensor, Tensor, Tensor]:
    """CPU tensors ``(dy, dx, flipped)`` of shape ``[n]``: offsets in ``[0, 2 * pad]`` and flip flags."""
    dy = torch.randint(0, 2 * pad + 1, (n,), generator=generator)
    dx = torch.randint(0, 2 * pad + 1, (n,), generator=generator)
    flipped = torch.rand(n, generator=generator) < 0.5 if flip else torch.zeros(n, dtype=torch.bool)
    return dy, dx, flipped


def crop_flip(images: Tensor, dy: Tensor, dx: Tensor, flipped: Tensor, pad: int) -> Tensor:
    """Crop each image of ``images [B, C, H, W]`` (any dtype) at offset ``(dy, dx)`` of its reflect-padded
    version, mirrored left-right where ``flipped``. Returns ``[B, C, H, W]`` in channels-last memory."""
    b, _, h, w = images.shape
    device = images.device
    dy, dx, flipped = dy.to(device), dx.to(device), flipped.to(device)
    rows = reflect_index(torch.arange(h, device=device) + (dy - pad)[:, None], h)  # [B, H]
    cols = torch.arange(w, device=device).expand(b, w)
    cols = torch.where(flipped[:, None], w - 1 - cols, cols)
    cols = reflect_index(cols + (dx - pad)[:, None], w)  # [B, W]
    batch = torch.arange(b, device=device)[:, None, None]
    # Advanced indices around a slice put their broadcast dims first: the result is [B, H, W, C].
    out = images[batch, :, rows[:, :, None], cols[:, None, :]]
    return out.permute(0, 3, 1, 2)


def normalize(images: Tensor, mean: Tensor, std: Tensor, dtype: torch.dtype = torch.float32) -> Tensor:
    """``(images / 255 - mean) / std`` for uint8 ``images`` and per-channel ``mean``, ``std`` in [0, 1]
    units (shape ``[C]``); computed in float32, then cast to ``dtype``. Keeps the memory format."""
    scale = (1.0 / (255.0 * std)).view(1, -1, 1, 1)
    shift = (-mean / std).view(1, -1, 1, 1)
    return torch.addcmul(shift, images.float(), scale).to(dtype)
