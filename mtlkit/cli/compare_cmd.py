"""``mtlkit compare``: the capstone grid on one dataset, one backbone and one seed.

A single-task run on each task (grid mode ``stl_<task>``) and one hard-sharing multi-task run on all
of them (``mtl``), every one with the same data, backbone, recipe and seed: the CLI's options make one
:class:`~mtlkit.experiment.RunConfig` and :func:`mtlkit.capstone.presets.one_backbone` turns it into
the grid. Planning, checking, training, resuming and the result rows are the capstone's
(:mod:`mtlkit.capstone.grid`, :mod:`~mtlkit.capstone.runner`, :mod:`~mtlkit.capstone.results`); the
table reports test accuracy of the epoch chosen on validation, the coarse-from-fine baseline,
parameter counts and time.
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

COLUMNS = (
    "mode",
    "weighting",
    "fine",
    "coarse",
    "coarse_from_fine",
    "parameters",
    "best_epoch",
    "s_per_epoch",
)


def add_parser(sub) -> None:
    parser = sub.add_parser(
        "compare",
        help="single-task vs multi-task on one dataset and backbone",
        description="Train a single-task model on each task and one hard-sharing multi-task model on "
        "all (the capstone grid on one dataset, backbone and seed); print and write "
        "(compare.md/.csv/.json) a table of test accuracy (epoch selected on validation), "
        "coarse-from-fine accuracy, parameters and time. Default: shapes + tiny_cnn, a few minutes on "
        "2 CPU cores.",
    )
    add_data_options(parser)
    add_model_options(parser)
    parser.add_argument("--tasks", type=task_list, default=("fine", "coarse"), help="comma-separated tasks")
    add_weighting_options(parser, help_text="loss weighting of the multi-task run")
    add_training_options(parser, TrainConfig(epochs=4, batch_size=128, lr=3e-3))
    parser.add_argument("--out", default="runs/compare", help="output folder")
    parser.add_argument("--resume", action="store_true", help="skip finished runs, resume interrupted ones")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from mtlkit.capstone import grid, presets, results, runner
    from mtlkit.experiment import output_folder

    preset = presets.one_backbone(run_config(args))
    runs = grid.plan(preset)
    runner.check_runs(runs)  # every name and option of every run, before any output or training
    with output_folder(args.out) as folder:
        root = cast(Path, folder)  # --out has a default
        _, failed = runner.train_runs(root, preset.name, runs, resume=args.resume, progress=not args.quiet)
        rows = [results.row(root / results.RUNS_DIR / r.name) for r in runs]
        write_tables([r for r in rows if r is not None], root, runs[-1].config)
    if failed:
        print(f"{len(failed)} run(s) failed: {', '.join(failed)}; re-run with --resume to retry them")
        return 1
    return 0


def write_tables(rows: list[dict[str, Any]], out: Path, config: RunConfig) -> None:
    """Print the table; write compare.md (the table), compare.csv and compare.json (every column).
    ``config``: one run's (the header names its dataset, backbone, epochs and seed)."""
    from mtlkit._io import write_json, write_text
    from mtlkit._table import markdown_table
    from mtlkit.capstone.results import records, write_csv

    table = markdown_table(rows, COLUMNS)
    print(table)
    header = (
        f"# mtlkit compare: {config.dataset} + {config.backbone}, {config.train.epochs} epochs, "
        f"seed {config.seed}\n\nTest accuracy of the epoch chosen on validation.\n\n"
    )
    write_text(out / "compare.md", header + table + "\n")
    write_csv(rows, out / "compare.csv")
    write_json(out / "compare.json", records(rows))
    print(f"wrote {out}/compare.md, compare.csv, compare.json")
