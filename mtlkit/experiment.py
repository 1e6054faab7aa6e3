"""One experiment from one config: load the splits, build the model, fit, test, write the results.

The CLI's ``train`` and ``compare`` and the capstone all go through :func:`run`, so a run means the
same thing everywhere: the model is selected on the validation split, and the test split is touched
once, at the end, for reporting.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from mtlkit._io import first_missing, remove_created, write_json, write_text
from mtlkit.errors import UserError
from mtlkit.run_clock import ELAPSED_FILE, RunClock, epoch_timing
from mtlkit.train_config import TrainConfig

if TYPE_CHECKING:
    pass

RESULT_FILE = "metrics.json"
RESULT_CSV = "metrics.csv"


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines a training run: data, model, weighting and the training recipe
    (:class:`~mtlkit.train.TrainConfig`, the ``train`` field), plus the device it runs on. Frozen and
    validated when made; change one with ``dataclasses.replace`` (``replace(c, train=replace(c.train,
    epochs=1))``). Serialised (``to_dict``) into ``metrics.json``."""

    dataset: str = "shapes"
    root: str | None = None
    val_fraction: float = 0.1
    limit: int | None = None
    backbone: str = "tiny_cnn"
    backbone_kwargs: dict[str, Any] = field(default_factory=dict)
    tasks: tuple[str, ...] = ("fine", "coarse")
    arch: str = "hard"
    arch_kwargs: dict[str, Any] = field(default_factory=dict)
    head: Any = "linear"
    weighting: str = "equal"
    weighting_kwargs: dict[str, Any] = field(default_factory=dict)
    train: TrainConfig = field(default_factory=TrainConfig)
    device: str = "auto"

    def __post_init__(self) -> None:
        object.__setattr__(self, "tasks", tuple(self.tasks))
        if not self.tasks:
            raise UserError("no task given: name at least one, e.g. --tasks fine,coarse")
        if self.arch == "single" and len(self.tasks) != 1:
            raise UserError(
                f"arch 'single' trains one task, got {list(self.tasks)}: use --arch hard for several"
            )
        if self.limit is not None and self.limit < 1:
            raise UserError(f"limit must be a positive number of images, got {self.limit}")
        if not isinstance(self.train, TrainConfig):
            raise UserError(f"train must be a TrainConfig, got {type(self.train).__name__}")

    @property
    def seed(self) -> int:
        """The run's seed (the recipe's): data split, initial weights and every random stream."""
        return self.train.seed

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["tasks"] = list(self.tasks)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunConfig:
        """A config from ``to_dict``'s output, or from flat keys where the recipe's fields (``epochs``,
        ``lr``...) sit beside the run's (presets, and ``metrics.json`` written before TrainConfig)."""
        from mtlkit.train_config import names as train_names

        run_keys = {f.name for f in fields(cls)}
        flat = {k: v for k, v in data.items() if k in train_names() and k not in run_keys}
        unknown = sorted(set(data) - run_keys - set(flat))
        if unknown:
            valid = sorted(run_keys | set(train_names()))
            raise UserError(f"unknown config key(s) {unknown}; valid keys: {', '.join(valid)}")
        values = {k: v for k, v in data.items() if k in run_keys}
        train = values.pop("train", {})
        if not isinstance(train, TrainConfig):
            train = TrainConfig.from_dict({**train, **flat})
        elif flat:
            train = replace(train, **flat)
        return cls(**values, train=train)


def load_splits(config: RunConfig) -> dict[str, Any]:
    """The train / val / test splits of the config's dataset, each capped at ``limit`` images."""
    from mtlkit.data import load

    splits = {
        split: load(
            config.dataset, split, root=config.root, val_fraction=config.val_fraction, seed=config.seed
        )
        for split in ("train", "val", "test")
    }
    check_tasks(config, splits["train"].tasks)
    if config.limit is not None:
        splits = {name: ds.take(min(config.limit, len(ds))) for name, ds in splits.items()}
    return splits


def check_tasks(config: RunConfig, available: Mapping[str, int]) -> None:
    """Refuse a task the dataset does not have, naming the ones it has."""
    missing = [t for t in config.tasks if t not in available]
    if missing:
        raise UserError(
            f"dataset {config.dataset!r} has no task(s) {missing}; its tasks are {list(available)}"
        )


def build_model(config: RunConfig, num_classes: Mapping[str, int]):
    """Seed, then build the config's model for its tasks (same seed -> same initial weights)."""
    import torch

    from mtlkit.models import build

    torch.manual_seed(config.seed)
    tasks = {t: num_classes[t] for t in config.tasks}
    return build(
        config.arch,
        config.backbone,
        tasks,
        head=config.head,
        backbone_kwargs=dict(config.backbone_kwargs),
        **config.arch_kwargs,
    )


def build_weighting(config: RunConfig, tasks: dict[str, int]):
    from mtlkit.weighting import create

    return create(config.weighting, tasks, **config.weighting_kwargs)


def validate(config: RunConfig, num_classes: Mapping[str, int]) -> None:
    """Check every name and option of ``config`` without training or writing anything.

    The model is built on the meta device (no memory, no compute, even for ResNet-152), then the
    weighting, their compatibility with each other and with the device and precision are checked
    (:func:`mtlkit.train.setup`): a command that plans several runs calls this for each of them before
    it creates its output folder. ``num_classes``: the dataset's tasks.
    """
    import torch

    from mtlkit.train import setup

    check_tasks(config, num_classes)
    with torch.device("meta"):
        model = build_model(config, num_classes)
    setup(config.train, config.device, model=model, weighting=build_weighting(config, model.tasks))


@overload
def prepare_output(out: None) -> None: ...
@overload
def prepare_output(out: str | os.PathLike) -> Path: ...
def prepare_output(out: str | os.PathLike | None) -> Path | None:
    """Create the output folder, or fail with a clear message before any work is done."""
    if out is None:
        return None
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise UserError(f"output path {path} exists and is not a folder: choose another --out")
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".write-test-{os.getpid()}"  # per process: torchrun ranks probe at once
        probe.write_text("")
        probe.unlink()
    except OSError as err:
        raise UserError(
            f"cannot write to output folder {path} ({err.strerror}): choose another --out"
        ) from err
    return path


@contextlib.contextmanager
def output_folder(out: str | os.PathLike | None) -> Iterator[Path | None]:
    """:func:`prepare_output`, and if a :class:`UserError` escapes, remove the folders it created.

    A user mistake found late (e.g. while training) then leaves no half-made output behind; a folder
    that existed before (a resumed run) is never touched.
    """
    created = None if out is None else first_missing(out)
    path = prepare_output(out)
    try:
        yield path
    except UserError:
        remove_created([created])
        raise


def run(
    config: RunConfig, out: str | os.PathLike | None = None, *, resume: bool = False, progress: bool = True
) -> dict[str, Any]:
    """Train and test one config; with ``out``, write ``metrics.json``/``.csv``, history and checkpoints.

    With ``resume`` and a finished ``metrics.json`` in ``out``, the stored result is returned without
    training; an interrupted run continues from its last checkpoint. Every check that can fail on a user
    mistake runs before ``out`` is created, and a folder this call created is removed again if one fails
    later.
    """
    if resume and out is not None and (Path(out) / RESULT_FILE).exists():
        return json.loads((Path(out) / RESULT_FILE).read_text())
    from mtlkit.train import setup

    started = time.perf_counter()
    splits = load_splits(config)
    model = build_model(config, splits["train"].tasks)
    weighting = build_weighting(config, model.tasks)
    # once per run: join a torchrun group, resolve device and precision, check model + weighting
    context = setup(config.train, config.device, model=model, weighting=weighting)
    is_main = context.dist.is_main
    with output_folder(out) as out_path:
        if out_path is not None and is_main and not resume:
            _forget_earlier_result(out_path)
        clock = RunClock(out_path / "checkpoint" if out_path else None, resume, started, is_main)
        trained = (model, weighting, context)
        result, history = _train_and_test(config, splits, trained, out_path, resume, progress, clock)
        if out_path is not None and is_main:
            history.save(out_path)
            write_text(out_path / RESULT_CSV, _metrics_csv(result))
            write_json(out_path / RESULT_FILE, result)
    result["history"] = history
    return result


def _forget_earlier_result(out_path: Path) -> None:
    """A fresh run in a used folder: remove the earlier run's result and wall time first, so that if
    this one is killed, a later ``--resume`` cannot return the old result as if it were this run's."""
    for stale in (out_path / RESULT_FILE, out_path / RESULT_CSV, out_path / "checkpoint" / ELAPSED_FILE):
        stale.unlink(missing_ok=True)


def _train_and_test(config, splits, trained, out_path, resume, progress, clock):
    """``fit`` on train/val, ``evaluate`` on test: (the result dict, the History)."""
    from mtlkit.models import count_parameters
    from mtlkit.train import evaluate, fit

    model, weighting, context = trained
    history = fit(
        model,
        splits["train"],
        splits["val"],
        config.train,
        weighting=weighting,
        callbacks=[clock.save],
        progress=progress,
        checkpoint_dir=out_path / "checkpoint" if out_path else None,
        resume=resume and out_path is not None,
        context=context,
    )
    precision = context.precision
    result = {
        "config": config.to_dict(),
        "test": evaluate(model, splits["test"], precision=precision),
        "val": history.best["val"] if history.best else {},
        "best_epoch": history.best_epoch,
        "parameters": count_parameters(model),
        **epoch_timing(history.epochs),
        "wall_seconds": clock.elapsed(len(history.epochs)),
        "device": device_name(precision.device),
    }
    return result, history


def _metrics_csv(result: dict[str, Any]) -> str:
    """``metrics.csv``: one row per split (val of the selected epoch, test) and task: acc, loss."""
    from mtlkit.train.history import to_csv

    rows = [
        {"split": split, "task": task, "acc": m.get("acc"), "loss": m.get("loss")}
        for split in ("val", "test")
        for task, m in result[split].items()
    ]
    return to_csv(rows)


def device_name(device) -> str:
    """A human-readable name of the compute device, for result tables."""
    import torch

    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"
