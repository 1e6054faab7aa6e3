"""The ``mtlkit`` command: ``train``, ``compare`` and ``data`` (``--help`` on each).

A mistake the user can fix (unknown name, bad value, missing data, unwritable folder) prints one line,
``mtlkit: error: ...``, and exits with status 2, without a traceback and before any output is written.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from mtlkit import __version__
from mtlkit.errors import UserError

COMMANDS = ("train", "compare", "data", "capstone", "bench")


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = argparse.ArgumentParser(
        prog="mtlkit",
        description="Multi-task learning for image classification: train, compare and inspect runs.",
    )
    parser.add_argument("--version", action="version", version=f"mtlkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"mtlkit.cli.{name}_cmd").add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except UserError as err:
        print(f"mtlkit: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("mtlkit: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
