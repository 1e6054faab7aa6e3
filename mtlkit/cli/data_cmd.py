"""``mtlkit data``: download, verify or describe a dataset."""

from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    parser = sub.add_parser(
        "data",
        help="download, verify or describe a dataset",
        description="Download (CIFAR archives, md5-checked), verify or describe a dataset.",
    )
    parser.add_argument("action", choices=("download", "verify", "describe"))
    parser.add_argument("name", help="shapes, cifar10 or cifar100")
    parser.add_argument("--root", default=None, help="data folder (default: $MTLKIT_DATA or ~/.cache/mtlkit)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from mtlkit.data import describe, load

    download = args.action == "download"
    splits = {
        s: load(args.name, s, root=args.root, download=download and s == "train") for s in ("train", "test")
    }
    if args.action == "describe":
        for split, ds in splits.items():
            print(f"## {args.name} {split}\n{describe(ds)}\n")
        return 0
    for split, ds in splits.items():
        ranges = ", ".join(f"{t} in [0, {int(ds.labels[t].max())}]" for t in ds.tasks)
        print(f"{args.name} {split}: {len(ds)} images, labels {ranges}")
    print(f"{args.name}: ok")
    return 0
