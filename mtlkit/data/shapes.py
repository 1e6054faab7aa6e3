"""``shapes``: a synthetic, offline stand-in for CIFAR with a fine/coarse class hierarchy.

Twelve fine classes in four coarse families (the coarse label is a function of the fine label)::

    round:   disk, ring, ellipse
    polygon: triangle, square, hexagon
    star:    star4, star5, star6
    bar:     plus, tee, ell

Each 32x32 RGB image shows one shape, randomly rotated, scaled, stretched and placed, in a random colour
on a smooth random background, with clutter (a line and small rectangles that may occlude the shape) and
pixel noise. Within a family some classes are close (star5/star6, hexagon is almost a disk), so a small
CNN is well above chance yet far from perfect after a minute on a CPU: a quick but honest benchmark.

Rendering is vectorised: every shape is an implicit function ``f(u, v)`` (positive inside, roughly the
distance to the boundary) of the pixel's coordinates in the shape's own frame, evaluated for all images
of a class at once; the edge is anti-aliased by clamping ``f`` in pixel units to [0, 1].
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable

import torch
from torch import Tensor

FINE_NAMES = [
    "disk", "ring", "ellipse",
    "triangle", "square", "hexagon",
    "star4", "star5", "star6",
    "plus", "tee", "ell",
]  # fmt: skip
COARSE_NAMES = ["round", "polygon", "star", "bar"]
COARSE_OF_FINE = [i // 3 for i in range(len(FINE_NAMES))]

TRAIN_SIZE = 11_000  # the official train pool: 9,900 train + 1,100 val with val_fraction=0.1
TEST_SIZE = 2_000
SEEDS = {"train": 20_240_601, "test": 20_240_602}  # different seeds give disjoint-looking splits
SIZE = 32
_CHUNK = 2048  # images rendered at once: bounds the memory of the float temporaries


def _box(u: Tensor, v: Tensor, half_w: float, half_h: float) -> Tensor:
    """Inside-distance of an axis-aligned rectangle centred at the origin."""
    return torch.minimum(half_w - u.abs(), half_h - v.abs())


def _polygon(r: Tensor, phi: Tensor, sides: int, radius: float) -> Tensor:
    """Regular polygon of circumradius ``radius``: apothem minus the distance along the sector's normal."""
    sector = 2 * math.pi / sides
    return radius * math.cos(math.pi / sides) - r * torch.cos(torch.remainder(phi, sector) - sector / 2)


def _star(r: Tensor, phi: Tensor, points: int, inner: float = 0.42) -> Tensor:
    """Star with ``points`` tips at radius 1: the radius falls linearly to ``inner`` between tips."""
    sector = 2 * math.pi / points
    tip = (torch.remainder(phi, sector) / sector - 0.5).abs() * 2  # 1 at a tip, 0 between tips
    return 0.5 * (inner + (1 - inner) * tip - r)


_W = 0.24  # half-thickness of the bars
_SHAPES: list[Callable[[Tensor, Tensor, Tensor, Tensor], Tensor]] = [
    lambda u, v, r, phi: 0.85 - r,
    lambda u, v, r, phi: torch.minimum(r - 0.45, 0.9 - r),
    lambda u, v, r, phi: 0.55 * (1 - torch.sqrt((u / 0.95) ** 2 + (v / 0.55) ** 2)),
    lambda u, v, r, phi: _polygon(r, phi, 3, 1.0),
    lambda u, v, r, phi: _polygon(r, phi, 4, 0.95),
    lambda u, v, r, phi: _polygon(r, phi, 6, 0.9),
    lambda u, v, r, phi: _star(r, phi, 4),
    lambda u, v, r, phi: _star(r, phi, 5),
    lambda u, v, r, phi: _star(r, phi, 6),
    lambda u, v, r, phi: torch.maximum(_box(u, v, 0.9, _W), _box(u, v, _W, 0.9)),
    lambda u, v, r, phi: torch.maximum(_box(u, v - 0.6, 0.85, _W), _box(u, v + 0.15, _W, 0.75)),
    lambda u, v, r, phi: torch.maximum(_box(u + 0.45, v, _W, 0.9), _box(u - 0.05, v + 0.65, 0.75, _W)),
]


def _uniform(g: torch.Generator, n: int, low: float, high: float, *shape: int) -> Tensor:
    return torch.rand(n, *shape, generator=g) * (high - low) + low


def _grid() -> tuple[Tensor, Tensor]:
    """Pixel-centre coordinates in [-1, 1] as ``x [1, 1, W]`` and ``y [1, H, 1]`` (y points up)."""
    c = (torch.arange(SIZE, dtype=torch.float32) + 0.5) / (SIZE / 2) - 1
    return c.view(1, 1, SIZE), -c.view(1, SIZE, 1)


def _shape_alpha(fine: Tensor, g: torch.Generator) -> Tensor:
    """Anti-aliased coverage ``[n, H, W]`` of each image's shape under a random similarity + stretch."""
    n = len(fine)
    x, y = _grid()
    scale = _uniform(g, n, 0.55, 0.9, 1, 1)
    cx, cy = (_uniform(g, n, -1, 1, 1, 1) * (0.95 - scale) for _ in range(2))
    angle = _uniform(g, n, 0, 2 * math.pi, 1, 1)
    stretch = _uniform(g, n, 0.8, 1.2, 1, 1)
    cos, sin = torch.cos(angle), torch.sin(angle)
    u = (cos * (x - cx) + sin * (y - cy)) / (scale * stretch)
    v = (-sin * (x - cx) + cos * (y - cy)) / (scale / stretch)
    r, phi = torch.sqrt(u**2 + v**2), torch.atan2(v, u)
    inside = torch.empty(n, SIZE, SIZE)
    for c, shape in enumerate(_SHAPES):  # a loop over classes, each evaluated for all its images at once
        m = fine == c
        inside[m] = shape(u[m], v[m], r[m], phi[m])
    return (inside * scale * (SIZE / 2) + 0.5).clamp(0, 1)  # local units -> pixels, 1-pixel soft edge


def _background(n: int, g: torch.Generator) -> Tensor:
    """A random colour plus a smooth random texture (4x4 noise, bilinearly upsampled): ``[n, 3, H, W]``."""
    base = torch.rand(n, 3, 1, 1, generator=g)
    coarse = (torch.rand(n, 3, 4, 4, generator=g) - 0.5) * _uniform(g, n, 0.05, 0.25, 1, 1, 1)
    texture = torch.nn.functional.interpolate(coarse, size=(SIZE, SIZE), mode="bilinear", align_corners=False)
    return base + texture


def _contrasting_colour(background: Tensor, g: torch.Generator) -> Tensor:
    """A random colour ``[n, 3, 1, 1]``; too close to the background's mean, it is pushed away."""
    n = len(background)
    colour = torch.rand(n, 3, 1, 1, generator=g)
    bg_mean = background.mean(dim=(2, 3), keepdim=True)
    too_close = (colour - bg_mean).norm(dim=1, keepdim=True) < 0.45
    return torch.where(too_close, torch.remainder(bg_mean + 0.5, 1.0), colour)


def _clutter(n: int, g: torch.Generator) -> tuple[Tensor, Tensor]:
    """Coverage ``[n, H, W]`` and colour ``[n, 3, 1, 1]`` of occluders: a thin line across the image and
    two small rectangles, each present with probability 1/2."""
    x, y = _grid()
    angle = _uniform(g, n, 0, math.pi, 1, 1)
    offset = _uniform(g, n, -0.8, 0.8, 1, 1)
    line = (torch.cos(angle) * x + torch.sin(angle) * y - offset).abs() < _uniform(g, n, 0.03, 0.08, 1, 1)
    cover = line & (torch.rand(n, 1, 1, generator=g) < 0.35)
    for _ in range(2):
        rx, ry = _uniform(g, n, -1, 1, 1, 1), _uniform(g, n, -1, 1, 1, 1)
        half = _uniform(g, n, 0.06, 0.18, 2, 1, 1)
        rect = ((x - rx).abs() < half[:, 0]) & ((y - ry).abs() < half[:, 1])
        cover |= rect & (torch.rand(n, 1, 1, generator=g) < 0.25)
    return cover.float(), torch.rand(n, 3, 1, 1, generator=g)


def _render(fine: Tensor, g: torch.Generator) -> Tensor:
    """uint8 images ``[n, 3, H, W]`` for the fine labels ``fine``."""
    n = len(fine)
    background = _background(n, g)
    colour = _contrasting_colour(background, g)
    alpha = _shape_alpha(fine, g).unsqueeze(1)
    image = background * (1 - alpha) + colour * alpha
    cover, cover_colour = _clutter(n, g)
    image = torch.lerp(image, cover_colour.expand_as(image), cover.unsqueeze(1))
    image += torch.randn(image.shape, generator=g) * _uniform(g, n, 0.02, 0.06, 1, 1, 1)
    return (image.clamp(0, 1) * 255).round().to(torch.uint8)


def generate(n: int, seed: int) -> tuple[Tensor, Tensor]:
    """``n`` images (uint8 ``[n, 3, 32, 32]``) and their fine labels (int64 ``[n]``, balanced to within
    one), fully determined by ``(n, seed)``."""
    g = torch.Generator().manual_seed(seed)
    fine = (torch.arange(n) % len(FINE_NAMES))[torch.randperm(n, generator=g)]
    chunks = [_render(fine[i : i + _CHUNK], g) for i in range(0, n, _CHUNK)]
    images = torch.cat(chunks) if chunks else torch.empty(0, 3, SIZE, SIZE, dtype=torch.uint8)
    return images, fine


def benchmark(n: int = 10_000, seed: int = 0) -> float:
    """Seconds to generate ``n`` images (``python -m mtlkit.data.shapes [N]``; the spec says about 1 s
    for 10k on a CPU core). A measurement to read, never a test: wall time depends on the machine."""
    started = time.perf_counter()
    generate(n, seed)
    return time.perf_counter() - started


if __name__ == "__main__":
    import torch

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    seconds = benchmark(count)
    print(f"shapes: {count:,} images in {seconds:.2f} s on {torch.get_num_threads()} CPU thread(s)")
