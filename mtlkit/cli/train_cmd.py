"""``mtlkit train``: one run (single-task or multi-task), its metrics, history and best checkpoint."""

from __future__ import annotations

import argparse

from mtlkit.cli.options import (
    add_data_options,
    add_model_options,
    add_training_options,
    add_weighting_options,
    key_value,
    run_config,
    task_list,
)


def add_parser(sub) -> None:
    parser = sub.add_parser(
        "train",
        help="train one model and test it",
        description="Train one model (select the epoch on validation, report on test). With --out, write "
        "there metrics.json (config, test and validation metrics, parameters, timing), metrics.csv (one row "
        "per split and task: acc, loss), history.json/.csv (per epoch) and checkpoint/{best,last}.pt.",
    )
    add_data_options(parser)
    add_model_options(parser)
    group = parser.add_argument_group("multi-task")
    group.add_argument("--tasks", type=task_list, default=("fine", "coarse"), help="comma-separated tasks")
    group.add_argument("--arch", default="hard", help="single, hard, soft or cross_stitch")
    group.add_argument(
        "--arch-arg",
        type=key_value,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="keyword for the architecture, e.g. coupling=1e-3 (repeatable)",
    )
    add_weighting_options(group)
    add_training_options(parser)
    parser.add_argument("--out", default=None, help="folder for metrics, history and checkpoints")
    parser.add_argument("--resume", action="store_true", help="continue from --out's last checkpoint")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from mtlkit._table import markdown_table
    from mtlkit.errors import UserError
    from mtlkit.experiment import run

    if args.resume and args.out is None:
        raise UserError("--resume needs --out, the folder of the run to continue")
    config = run_config(args)
    result = run(config, args.out, resume=args.resume, progress=not args.quiet)
    rows = [{"split": "test", **{t: m["acc"] for t, m in result["test"].items()}}]
    print(markdown_table(rows, ["split", *result["test"]]))
    print(
        f"best epoch {result['best_epoch']} of {config.train.epochs} (validation {config.train.select}); "
        f"{result['parameters']['total']:,} parameters; {result['seconds_per_epoch']:.2f} s/epoch"
    )
    if args.out:
        print(f"wrote {args.out}/metrics.json, metrics.csv, history.json, history.csv, checkpoint/")
    return 0
