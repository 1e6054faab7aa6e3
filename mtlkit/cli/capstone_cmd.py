"""``mtlkit capstone``: the study's grid (datasets x backbones x STL fine / STL coarse / MTL x seeds).

Writes ``runs.csv``, ``summary.md`` (tables beside the study's, delta_m, RQ1-RQ3) and ``figures/`` into
``--out``; re-running the same command skips finished runs and resumes an interrupted one.
"""

from __future__ import annotations

import argparse

from mtlkit.cli.options import positive_int, task_list


def int_list(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(s) for s in text.split(",") if s.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, e.g. 0,1,2; got {text!r}"
        ) from None


def add_parser(sub) -> None:
    parser = sub.add_parser(
        "capstone",
        help="run the study's STL-vs-MTL grid and summarise it",
        description="Run the capstone grid of a preset (quick: shapes on a CPU in minutes; modern_small: CIFAR in "
        "about an hour on a T4; seed: the 2023 "
        "study's setup, flaws fixed; strong: a modern recipe) and write runs.csv, summary.md and figures/ "
        "into --out. Re-run the same command to resume after an interruption.",
    )
    parser.add_argument(
        "--preset", default="quick", help="quick, modern_small, seed or strong (default: %(default)s)"
    )
    parser.add_argument(
        "--datasets", type=task_list, default=None, help="comma-separated (default: the preset's)"
    )
    parser.add_argument("--backbones", type=task_list, default=None, help="backbone labels of the preset")
    parser.add_argument(
        "--weighting",
        type=task_list,
        default=None,
        help="MTL weighting(s), comma-separated (default: the preset's)",
    )
    parser.add_argument("--seeds", type=int_list, default=None, help="e.g. 0,1,2 (default: the preset's)")
    parser.add_argument(
        "--devices", default=None, help="one worker process per entry: GPU indices (0,1) or cpu (cpu,cpu)"
    )
    group = parser.add_argument_group("overrides (smoke tests, budgets)")
    group.add_argument("--epochs", type=positive_int, default=None, help="epochs of every run")
    group.add_argument("--limit", type=positive_int, default=None, help="at most this many images per split")
    group.add_argument("--compile", action="store_true", help="torch.compile every model")
    group.add_argument("--device", default=None, help="device of in-process runs: auto, cpu, cuda, cuda:N")
    group.add_argument("--root", default=None, help="data folder (default: $MTLKIT_DATA or ~/.cache/mtlkit)")
    parser.add_argument("--out", required=True, help="output folder (runs/, runs.csv, summary.md, figures/)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(handler=handle)


def overrides(args: argparse.Namespace) -> dict:
    chosen = {"epochs": args.epochs, "limit": args.limit, "device": args.device, "root": args.root}
    values = {k: v for k, v in chosen.items() if v is not None}
    if args.compile:
        values["compile"] = True
    return values


def handle(args: argparse.Namespace) -> int:
    from mtlkit.capstone import run_capstone
    from mtlkit.capstone.scheduler import parse_devices

    devices = parse_devices(args.devices) if args.devices else None
    report = run_capstone(
        args.preset,
        out=args.out,
        datasets=args.datasets,
        backbones=args.backbones,
        weightings=args.weighting,
        seeds=args.seeds,
        devices=devices,
        overrides=overrides(args),
        progress=not args.quiet,
    )
    print(f"wrote {report['runs_csv']}, {report['summary_md']} and {len(report['figures'])} figures")
    if report["failed"]:
        print(f"{len(report['failed'])} run(s) failed: {', '.join(report['failed'])}; re-run to retry them")
        return 1
    return 0
