"""``mtlkit bench``: images/s, s/epoch, peak memory and MFU per backbone of a preset, ours vs plain;
``--budget``: the preset's grid in FLOPs and the MFU it needs (a calculation, see mtlkit.bench.budget)."""

from __future__ import annotations

import argparse

from mtlkit.cli.options import positive_int, task_list

COLUMNS = (
    "backbone",
    "preset",
    "batch",
    "images_per_s",
    "s_per_epoch",
    "peak_memory",
    "gflops_per_image",
    "mfu",
    "plain_images_per_s",
    "ours_vs_plain",
    "device",
)


def add_parser(sub) -> None:
    parser = sub.add_parser(
        "bench",
        help="measure training speed, memory and MFU of a preset's models",
        description="Train each backbone of a preset (as its multi-task model) for --steps steps, twice, "
        "and print images/s of the second pass, the s/epoch it implies, peak memory, MFU (bf16 on a known "
        "GPU) and the same model's throughput in a plain torchvision DataLoader loop.",
    )
    parser.add_argument(
        "--preset", default="strong", help="quick, modern_small, seed or strong (default: %(default)s)"
    )
    parser.add_argument("--backbones", type=task_list, default=None, help="backbone labels (default: all)")
    parser.add_argument("--dataset", default=None, help="default: the preset's first dataset")
    parser.add_argument("--root", default=None, help="data folder (default: $MTLKIT_DATA or ~/.cache/mtlkit)")
    parser.add_argument("--steps", type=positive_int, default=50, help="training steps per pass")
    parser.add_argument("--batch-size", type=positive_int, default=None, help="default: the preset's")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--compile", action="store_true", help="torch.compile our loop's model")
    parser.add_argument("--no-plain", dest="plain", action="store_false", help="skip the plain loop")
    parser.add_argument("--json", default=None, help="also write the rows to this JSON file")
    budget = parser.add_argument_group("FLOP budget (a calculation from FLOP counts; trains nothing)")
    budget.add_argument(
        "--budget",
        action="store_true",
        help="print the preset's grid in FLOPs and the MFU needed to train it in --minutes on --gpu",
    )
    budget.add_argument("--gpu", default="H100", help="GPU whose bf16 peak is used (default: %(default)s)")
    budget.add_argument("--minutes", type=positive_float, default=30.0, help="time budget (default: 30)")
    parser.set_defaults(handler=handle)


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def print_budget(args: argparse.Namespace) -> int:
    from mtlkit.bench.budget import budget, report

    rows = budget(args.preset, datasets=[args.dataset] if args.dataset else None, backbones=args.backbones)
    print(report(rows, args.preset, args.gpu, args.minutes))
    return 0


def handle(args: argparse.Namespace) -> int:
    from mtlkit._io import write_json
    from mtlkit._table import markdown_table
    from mtlkit.bench import bench

    if args.budget:
        return print_budget(args)
    rows = bench(
        args.preset,
        backbones=args.backbones,
        dataset=args.dataset,
        steps=args.steps,
        batch_size=args.batch_size,
        device=args.device,
        compile=args.compile,
        plain=args.plain,
        root=args.root,
    )
    shown = [{**r, "mfu": "n/a" if r["mfu"] is None else f"{100 * r['mfu']:.1f}%"} for r in rows]
    print(markdown_table(shown, [c for c in COLUMNS if c in shown[0]], digits=2))
    if args.json:
        write_json(args.json, rows)
    return 0
