"""``mtlkit compare``: single-task on each task versus multi-task on all, one dataset and backbone.

Every run uses the same data, backbone, budget and seed; the table reports test accuracy of the epoch
chosen on validation, the coarse-from-fine baseline, parameter counts and time.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from mtlkit.cli.options import (
    add_data_options,
    add_model_options,
    add_training_options,
    add_weighting_options,
    run_config,
    task_list,
)
from mtlkit.train_config import TrainConfig

if TYPE_CHECKING:
    from mtlkit.experiment import RunConfig

COLUMNS = ("run", "fine", "coarse", "coarse_from_fine", "parameters", "best_epoch", "s_per_epoch")


def add_parser(sub) -> None:
    parser = sub.add_parser(
        "compare",
        help="single-task vs multi-task on one dataset and backbone",
        description="Train single-task models on each task and one hard-sharing multi-task model on all; "
        "print and write (compare.md/.csv/.json) a table of test accuracy (epoch selected on "
        "validation), coarse-from-fine accuracy, parameters and time. Default: shapes + tiny_cnn, a few "
        "minutes on 2 CPU cores.",
    )
    add_data_options(parser)
    add_model_options(parser)
    parser.add_argument("--tasks", type=task_list, default=("fine", "coarse"), help="comma-separated tasks")
    add_weighting_options(parser, help_text="loss weighting of the multi-task run")
    add_training_options(parser, TrainConfig(epochs=4, batch_size=128, lr=3e-3))
    parser.add_argument("--out", default="runs/compare", help="output folder")
    parser.add_argument("--resume", action="store_true", help="skip finished runs, resume interrupted ones")
    parser.set_defaults(handler=handle)


def plan(args: argparse.Namespace) -> dict[str, Any]:
    """Run name -> RunConfig: one single-task run per task, then the multi-task run."""
    stl = {"arch": "single", "weighting": "equal", "weighting_kwargs": {}}  # one task: nothing to weight
    configs = {f"stl_{t}": run_config(args, tasks=(t,), **stl) for t in args.tasks}
    configs["mtl_" + "+".join(args.tasks)] = run_config(args, arch="hard", tasks=args.tasks)
    return configs


def summarise(name: str, result: dict[str, Any]) -> dict[str, Any]:
    test = result["test"]
    return {
        "run": name,
        "fine": test.get("fine", {}).get("acc"),
        "coarse": test.get("coarse", {}).get("acc"),
        "coarse_from_fine": test.get("coarse_from_fine", {}).get("acc"),
        "parameters": result["parameters"]["total"],
        "best_epoch": result["best_epoch"],
        "s_per_epoch": result["seconds_per_epoch"],
        # in compare.csv / compare.json only (the printed table keeps the columns above)
        "median_s_per_epoch_after_first": result.get("median_seconds_per_epoch_after_first"),
        "images_per_s": result.get("images_per_s"),
        "wall_s": result.get("wall_seconds"),
    }


def handle(args: argparse.Namespace) -> int:
    from mtlkit.experiment import load_splits, output_folder, validate

    configs = plan(args)
    tasks = load_splits(next(iter(configs.values())))["train"].tasks  # missing data, unknown tasks
    for config in configs.values():  # every name and option of every run, before any output or training
        validate(config, tasks)
    with output_folder(args.out) as folder:
        out = cast(Path, folder)  # --out has a default
        rows = [train_one(name, config, out / name, args) for name, config in configs.items()]
        write_tables(rows, out, args)
    return 0


def train_one(name: str, config: RunConfig, out: Path, args: argparse.Namespace) -> dict[str, Any]:
    from mtlkit.experiment import run

    print(f"== {name}: {config.arch} on {', '.join(config.tasks)}")
    return summarise(name, run(config, out, resume=args.resume, progress=not args.quiet))


def write_tables(rows: list[dict[str, Any]], out: Path, args: argparse.Namespace) -> None:
    from mtlkit._io import write_json, write_text
    from mtlkit._table import markdown_table
    from mtlkit.train.history import to_csv

    table = markdown_table(rows, COLUMNS)
    print(table)
    header = (
        f"# mtlkit compare: {args.dataset} + {args.backbone}, {args.epochs} epochs, seed {args.seed}\n\n"
        "Test accuracy of the epoch chosen on validation.\n\n"
    )
    write_text(out / "compare.md", header + table + "\n")
    write_text(out / "compare.csv", to_csv(rows))
    write_json(out / "compare.json", rows)
    print(f"wrote {out}/compare.md, compare.csv, compare.json")
