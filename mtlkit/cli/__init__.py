"""The ``mtlkit`` command: ``train``, ``compare``, ``data``, ``capstone``, ``bench`` (``--help`` on each).

A mistake the user can fix prints one line and exits with status 2, without a traceback and without
leaving output behind: a bad option value as ``mtlkit train: error: ... (see mtlkit train --help)``, an
unknown name, missing data or an unwritable folder as ``mtlkit: error: ...``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from mtlkit import __version__
from mtlkit.cli.options import OneLineParser
from mtlkit.errors import UserError

COMMANDS = ("train", "compare", "data", "capstone", "bench")


def build_parser() -> OneLineParser:
    import importlib

    parser = OneLineParser(
        prog="mtlkit",
        description="Multi-task learning for image classification: train, compare and inspect runs.",
    )
    parser.add_argument("--version", action="version", version=f"mtlkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=OneLineParser)
    for name in COMMANDS:
        importlib.import_module(f"mtlkit.cli.{name}_cmd").add_parser(sub)
    parser.commands = sub.choices  # command name -> its parser
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:
        print(
            f"mtlkit: error: no command given; choose one of: {', '.join(COMMANDS)} (see mtlkit --help)",
            file=sys.stderr,
        )
        return 2
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # reported by the command's parser, so the message names the command and its --help
        parser.commands[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
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
