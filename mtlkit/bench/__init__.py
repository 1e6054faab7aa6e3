"""``mtlkit bench``: images/s, s/epoch, peak memory and MFU of a preset's models, ours vs a plain loop.

    from mtlkit.bench import bench
    rows = bench("strong", backbones=["resnet152"], steps=50)

Each row is one backbone of the preset, trained as its multi-task (hard-sharing) model: our loop's
throughput, the s/epoch it implies for the dataset's full train split, peak memory (CUDA allocator
peak; the process's peak RSS on the CPU), MFU (see :mod:`mtlkit.bench.mfu`) and, unless ``plain=False``,
the throughput of a plain torchvision ``DataLoader`` loop on the same model and the ratio of the two.
Benchmarks print measurements; nothing here is asserted on time.
"""

from __future__ import annotations

import resource
from collections.abc import Sequence
from dataclasses import replace
from typing import Any


def _peak_memory(device) -> tuple[float, str]:
    import torch

    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20, "MiB (CUDA peak)"
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10, "MiB (process peak RSS)"


def bench(
    preset: str = "strong",
    *,
    backbones: Sequence[str] | None = None,
    dataset: str | None = None,
    steps: int = 50,
    batch_size: int | None = None,
    device: str = "auto",
    compile: bool = False,
    plain: bool = True,
    root: str | None = None,
    train: Any = None,
) -> list[dict[str, Any]]:
    """Measure each backbone of ``preset`` over ``steps`` training steps (see the module docstring);
    ``train``: a train split to time on instead of the dataset's (e.g. synthetic CIFAR-shaped images)."""
    import torch

    from mtlkit.backbones import count_flops
    from mtlkit.bench import loops
    from mtlkit.bench.budget import split_sizes
    from mtlkit.bench.mfu import mfu, peak_flops
    from mtlkit.capstone import grid, presets
    from mtlkit.experiment import build_model, device_name, load_splits
    from mtlkit.train import setup

    chosen = presets.get(preset)
    datasets = [dataset] if dataset else [chosen.datasets[0]]
    runs = [
        r for r in grid.plan(chosen, datasets=datasets, backbones=backbones, seeds=[0]) if r.mode == "mtl"
    ]
    rows = []
    for planned in runs:
        # the preset's own recipe (optimiser, augmentation, precision), two passes over `steps` batches
        size = batch_size or planned.config.train.batch_size
        recipe = replace(
            planned.config.train, epochs=2, batch_size=size, compile=compile or planned.config.train.compile
        )
        config = replace(planned.config, root=root or planned.config.root, train=recipe)
        data = train if train is not None else load_splits(config)["train"]
        # s/epoch is for the dataset's real train split, whatever was timed
        epoch_images = len(data) if train is None else split_sizes(planned.config)[0]
        subset = data.take(min(len(data), steps * size))
        context = setup(recipe, device)
        precision = context.precision
        make = lambda c=config, n=data.tasks: build_model(c, n)  # noqa: E731
        flops = count_flops(make())
        if precision.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(precision.device)
        ours = loops.ours(make, subset, recipe, context)
        memory, unit = _peak_memory(precision.device)
        name = device_name(precision.device)
        row: dict[str, Any] = {
            "backbone": planned.backbone,
            "preset": preset,
            "batch": size,
            "images_per_s": ours,
            "s_per_epoch": epoch_images / ours,
            "peak_memory": f"{memory:,.0f} {unit}",
            "mfu": mfu(flops, ours, peak_flops(name, half=precision.amp)),
            "gflops_per_image": flops / 1e9,
            "device": name,
        }
        if plain:
            row["plain_images_per_s"] = loops.plain(make, subset, recipe, precision)
            row["ours_vs_plain"] = ours / row["plain_images_per_s"]
        rows.append(row)
    return rows
