"""The FLOP budget of a capstone preset: a calculation from FLOP counts, not a measurement.

For each run of the preset's grid, with ``F`` the forward FLOPs of one image of its model
(:func:`mtlkit.backbones.count_flops`, the model built on the meta device, so nothing is allocated):

- training: ``3 F`` per image (the backward pass costs about twice the forward; Kaplan et al. 2020),
  over the images trained per epoch (:func:`mtlkit.train.checks.trained_per_epoch`: fit's own rule
  for dropping the last partial batch) times the epochs;
- evaluation: ``F`` per image over the validation split after every epoch, and the test split once.

Summed over the runs, and divided by ``minutes * 60 * peak``, it gives the model FLOP utilisation
(:mod:`mtlkit.bench.mfu`) that a GPU of that bf16 peak would have to sustain to train the whole grid
in ``minutes``. Split sizes follow the datasets' official sizes, the data's own hold-out rule
(:func:`mtlkit.data.split.held_out`) and ``limit`` as :func:`mtlkit.experiment.load_splits` applies
it, without loading any data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mtlkit.errors import UserError

if TYPE_CHECKING:
    from mtlkit.experiment import RunConfig

# (official train pool, official test split, {task: classes}) of each dataset.
_CIFAR10 = (50_000, 10_000, {"fine": 10, "coarse": 2})
_CIFAR100 = (50_000, 10_000, {"fine": 100, "coarse": 20})


def dataset_facts(name: str) -> tuple[int, int, dict[str, int]]:
    """``(train pool, test, tasks)`` of dataset ``name`` without loading it."""
    if name == "shapes":
        from mtlkit.data import shapes

        return (
            shapes.TRAIN_SIZE,
            shapes.TEST_SIZE,
            {"fine": len(shapes.FINE_NAMES), "coarse": len(shapes.COARSE_NAMES)},
        )
    facts = {"cifar10": _CIFAR10, "cifar100": _CIFAR100}
    if name not in facts:
        from mtlkit.errors import unknown_name

        raise unknown_name("dataset", name, ["cifar10", "cifar100", "shapes"])
    return facts[name]


@dataclass(frozen=True)
class RunBudget:
    """The FLOPs of one group of identical runs (same dataset, backbone and mode)."""

    dataset: str
    backbone: str
    mode: str
    runs: int  # seeds x weightings
    forward_flops: int  # per image
    train_images: int  # trained per epoch
    val_images: int
    test_images: int
    epochs: int

    @property
    def flops_per_run(self) -> int:
        training = 3 * self.forward_flops * self.train_images * self.epochs
        evaluation = self.forward_flops * (self.val_images * self.epochs + self.test_images)
        return training + evaluation

    @property
    def flops(self) -> int:
        return self.runs * self.flops_per_run


def split_sizes(config: RunConfig) -> tuple[int, int, int]:
    """Images trained per epoch, validation and test images of a run, as fit and load_splits use them."""
    from mtlkit.data.split import held_out
    from mtlkit.train.checks import trained_per_epoch

    pool, test, _ = dataset_facts(config.dataset)
    val = held_out(pool, config.val_fraction)
    train = pool - val
    if config.limit is not None:
        train, val, test = (min(config.limit, n) for n in (train, val, test))
    return trained_per_epoch(train, config.train.batch_size), val, test


def forward_flops(config: RunConfig, tasks: dict[str, int]) -> int:
    import torch

    from mtlkit.backbones import count_flops
    from mtlkit.experiment import build_model

    with torch.device("meta"):
        model = build_model(config, {t: tasks[t] for t in config.tasks})
    return count_flops(model)


def budget(
    preset: str,
    *,
    datasets: Sequence[str] | None = None,
    backbones: Sequence[str] | None = None,
    seeds: Sequence[int] | None = None,
) -> list[RunBudget]:
    """One :class:`RunBudget` per (dataset, backbone, mode) of the preset's grid."""
    from mtlkit.capstone import grid, presets

    runs = grid.plan(presets.get(preset), datasets=datasets, backbones=backbones, seeds=seeds)
    groups: dict[tuple[str, str, str], list] = {}
    for planned in runs:
        groups.setdefault((planned.dataset, planned.backbone, planned.mode), []).append(planned)
    out = []
    for (dataset, backbone, mode), members in groups.items():
        config = members[0].config
        train, val, test = split_sizes(config)
        flops = forward_flops(config, dataset_facts(dataset)[2])
        out.append(
            RunBudget(dataset, backbone, mode, len(members), flops, train, val, test, config.train.epochs)
        )
    return out


def required_mfu(total_flops: float, minutes: float, peak: float) -> float:
    """The MFU a GPU of ``peak`` FLOP/s must sustain to do ``total_flops`` in ``minutes``."""
    return total_flops / (minutes * 60.0 * peak)


def gpu_peak(gpu: str) -> tuple[float, str]:
    """The dense tensor-core peak of a GPU named like ``H100``, ``A100`` or ``T4``, and its precision:
    bf16 where the GPU has it, else fp16 (:mod:`mtlkit.bench.mfu`)."""
    from mtlkit.bench.mfu import PEAK_BF16, PEAK_FP16, peak_flops

    peak = peak_flops(gpu, half=True)
    if peak is None:
        raise UserError(f"unknown GPU {gpu!r}: choose one of {', '.join([*PEAK_BF16, *PEAK_FP16])}")
    return peak, "bf16" if any(name in gpu for name in PEAK_BF16) else "fp16"


def report(rows: list[RunBudget], preset: str, gpu: str, minutes: float) -> str:
    """The printed calculation: one line per group, the total and the MFU it needs."""
    from mtlkit._table import markdown_table

    peak, precision = gpu_peak(gpu)
    table: list[dict[str, Any]] = [
        {
            "dataset": r.dataset,
            "backbone": r.backbone,
            "mode": r.mode,
            "runs": r.runs,
            "GFLOP/image (fwd)": f"{r.forward_flops / 1e9:.3f}",
            "train images/epoch": f"{r.train_images:,}",
            "epochs": r.epochs,
            "val + test images": f"{r.val_images:,} x {r.epochs} + {r.test_images:,}",
            "PFLOP": f"{r.flops / 1e15:.2f}",
        }
        for r in rows
    ]
    total = sum(r.flops for r in rows)
    need = required_mfu(total, minutes, peak)
    return (
        f"FLOP-count calculation for preset {preset!r} (not a measurement): training 3 x forward FLOPs per "
        "image, evaluation 1 x.\n\n"
        f"{markdown_table(table, list(table[0]))}\n\n"
        f"Total: {total / 1e15:.2f} PFLOP over {sum(r.runs for r in rows)} runs.\n"
        f"To finish in {minutes:g} min on one {gpu} ({peak / 1e12:.0f} TFLOP/s dense {precision}) the runs must "
        f"sustain {100 * need:.1f}% MFU on average ({total / (minutes * 60) / 1e12:.0f} TFLOP/s)."
    )
