"""The capstone grid: datasets x backbones x modes x seeds (x MTL weightings), each a RunConfig.

Modes follow the study: ``stl_<task>`` (a single-task model on one task) for each task of the preset,
then ``mtl`` (one hard-sharing model on all of them); for the study's tasks these are ``stl_fine``,
``stl_coarse`` and ``mtl``. Single-task runs do not depend on the weighting, so they are named with
weighting ``none`` and shared by every MTL weighting trained into the same folder. Run folders are
``runs/<dataset>-<backbone>-<mode>-<weighting>-s<seed>``. ``mtlkit compare`` is this grid on one
dataset, one backbone and one seed, with the tasks it is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mtlkit.capstone.presets import Preset
from mtlkit.errors import UserError, unknown_name
from mtlkit.experiment import RunConfig

NO_WEIGHTING = "none"


def modes(tasks: Sequence[str]) -> tuple[str, ...]:
    """``stl_<task>`` for each task, then ``mtl``."""
    return (*(f"stl_{task}" for task in tasks), "mtl")


MODES = modes(("fine", "coarse"))  # the study's


def mode_fields(mode: str, tasks: Sequence[str]) -> dict[str, Any]:
    """The RunConfig fields a mode sets: one task on a single-task model, or all on hard sharing."""
    if mode == "mtl":
        return {"arch": "hard", "tasks": tuple(tasks)}
    return {"arch": "single", "tasks": (mode.removeprefix("stl_"),)}


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
    """Every run of the grid, in order: dataset, backbone, seed, then STL per task (the preset's task
    order), then MTL."""
    from mtlkit.data import names as dataset_names
    from mtlkit.weighting import names as weighting_names

    datasets = _choose("dataset", datasets, preset.datasets, dataset_names())
    backbones = _choose("backbone", backbones, tuple(preset.backbones), tuple(preset.backbones))
    weightings = _choose("weighting", weightings, (preset.weighting,), weighting_names())
    seeds = tuple(preset.seeds if seeds is None else seeds)
    if not seeds or len(set(seeds)) != len(seeds):
        raise UserError(f"seeds must be a non-empty list of distinct integers, got {list(seeds)}")
    if len(set(preset.tasks)) != len(preset.tasks):
        raise UserError(f"tasks listed twice: {list(preset.tasks)}")
    runs = []
    for dataset in datasets:
        for backbone in backbones:
            for seed in seeds:
                for mode in modes(preset.tasks):
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
    fields = {**preset.run_fields(backbone, dataset, mode), **overrides, **mode_fields(mode, preset.tasks)}
    fields.update(dataset=dataset, seed=seed)
    if mode == "mtl":
        fields.update(
            weighting=weighting, weighting_kwargs=preset.weighting_options(weighting, dataset, backbone)
        )
    else:
        fields.update(weighting="equal", weighting_kwargs={})
    return RunConfig.from_dict(fields)  # the recipe's keys (epochs, lr...) go into its TrainConfig
