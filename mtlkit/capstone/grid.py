"""The capstone grid: datasets x backbones x modes x seeds (x MTL weightings), each a RunConfig.

Modes follow the study: ``stl_fine`` (a single-task model on the fine labels), ``stl_coarse`` (a
single-task model on the coarse labels) and ``mtl`` (one hard-sharing model on both). Single-task runs
do not depend on the weighting, so they are named with weighting ``none`` and shared by every MTL
weighting trained into the same folder. Run folders are ``runs/<dataset>-<backbone>-<mode>-<weighting>-s<seed>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mtlkit.capstone.presets import Preset
from mtlkit.errors import UserError, unknown_name
from mtlkit.experiment import RunConfig

MODES = ("stl_fine", "stl_coarse", "mtl")
_MODE_FIELDS = {
    "stl_fine": {"arch": "single", "tasks": ("fine",)},
    "stl_coarse": {"arch": "single", "tasks": ("coarse",)},
    "mtl": {"arch": "hard", "tasks": ("fine", "coarse")},
}
NO_WEIGHTING = "none"


@dataclass(frozen=True)
class PlannedRun:
    """One cell of the grid and the config that trains it."""

    dataset: str
    backbone: str  # the preset's backbone label, e.g. "vit"
    mode: str
    weighting: str
    seed: int
    config: RunConfig

    @property
    def name(self) -> str:
        return f"{self.dataset}-{self.backbone}-{self.mode}-{self.weighting}-s{self.seed}"

    def meta(self) -> dict[str, Any]:
        """What ``run.json`` records beside the config (the report's grouping keys)."""
        return {
            "name": self.name,
            "dataset": self.dataset,
            "backbone": self.backbone,
            "mode": self.mode,
            "weighting": self.weighting,
            "seed": self.seed,
        }


def plan(
    preset: Preset,
    *,
    datasets: Sequence[str] | None = None,
    backbones: Sequence[str] | None = None,
    weightings: Sequence[str] | None = None,
    seeds: Sequence[int] | None = None,
    overrides: dict[str, Any] | None = None,
) -> list[PlannedRun]:
    """Every run of the grid, in order: dataset, backbone, seed, then STL fine, STL coarse, MTL."""
    from mtlkit.data import names as dataset_names
    from mtlkit.weighting import names as weighting_names

    datasets = _choose("dataset", datasets, preset.datasets, dataset_names())
    backbones = _choose("backbone", backbones, tuple(preset.backbones), tuple(preset.backbones))
    weightings = _choose("weighting", weightings, (preset.weighting,), weighting_names())
    seeds = tuple(preset.seeds if seeds is None else seeds)
    if not seeds or len(set(seeds)) != len(seeds):
        raise UserError(f"seeds must be a non-empty list of distinct integers, got {list(seeds)}")
    runs = []
    for dataset in datasets:
        for backbone in backbones:
            for seed in seeds:
                for mode in MODES:
                    for weighting in weightings if mode == "mtl" else (NO_WEIGHTING,):
                        config = _config(preset, dataset, backbone, mode, weighting, seed, overrides or {})
                        runs.append(PlannedRun(dataset, backbone, mode, weighting, seed, config))
    return runs


def _choose(kind: str, given: Sequence[str] | None, default: tuple[str, ...], valid) -> tuple[str, ...]:
    chosen = tuple(default if given is None else given)
    if not chosen:
        raise UserError(f"no {kind} given: name at least one")
    for name in chosen:
        if name not in valid:
            raise unknown_name(kind, name, valid)
    if len(set(chosen)) != len(chosen):
        raise UserError(f"{kind}s listed twice: {list(chosen)}")
    return chosen


def _config(
    preset: Preset, dataset: str, backbone: str, mode: str, weighting: str, seed: int, overrides: dict
) -> RunConfig:
    fields = {**preset.run_fields(backbone, dataset, mode), **overrides, **_MODE_FIELDS[mode]}
    fields.update(dataset=dataset, seed=seed)
    if mode == "mtl":
        fields.update(
            weighting=weighting, weighting_kwargs=preset.weighting_options(weighting, dataset, backbone)
        )
    else:
        fields.update(weighting="equal", weighting_kwargs={})
    return RunConfig.from_dict(fields)  # the recipe's keys (epochs, lr...) go into its TrainConfig
