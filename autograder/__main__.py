"""Command line: ``python -m autograder grade ASSIGNMENT SUBMISSIONS`` and ``python -m autograder check``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mtlkit.errors import UserError

from . import OUTPUT, assignments, settings


class _Parser(argparse.ArgumentParser):
    """Usage mistakes print one line and exit 2, like every other user error of this tool."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def positive_int(text: str) -> int:
    """argparse type: whole seconds from 1 (0 or less would switch the per-cell timeout off) to a day."""
    if not (text.isdigit() and 1 <= int(text) <= settings.MAX_TIMEOUT):
        expected = f"expected a positive whole number of seconds up to {settings.MAX_TIMEOUT}"
        raise argparse.ArgumentTypeError(f"{expected}, got {text!r}")
    return int(text)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m autograder", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    grade = commands.add_parser("grade", help="autograde a folder or LMS zip of notebooks; write grades.csv")
    grade.add_argument("assignment", help=f"one of: {', '.join(assignments())}")
    grade.add_argument(
        "submissions", type=Path, help="folder of downloaded notebooks, an LMS .zip, or one .ipynb"
    )
    grade.add_argument("--out", type=Path, default=OUTPUT, help="output folder (default: autograder/)")
    grade.add_argument(
        "--timeout",
        type=positive_int,
        default=settings.default_timeout(),  # None when unusable: grade says why, other commands work
        help="seconds per cell before it is interrupted (default: %(default)s, Execute.timeout in "
        "nbgrader_config.py, else nbgrader's 30)",
    )
    grade.add_argument(
        "--sandbox",
        choices=["auto", "bwrap", "none"],
        default="auto",
        help="auto/bwrap: each kernel in a bubblewrap jail (refuses to run without bubblewrap); none: no "
        "jail, student code runs as you (prints what that risks)",
    )
    grade.add_argument("--keep-work", action="store_true", help="keep the temporary grading trees")
    commands.add_parser("check", help="fail if exercises/ drifts from what nbgrader makes from solutions/")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "grade":
            from .grade import Options, grade

            rows = grade(
                args.assignment,
                args.submissions,
                Options(args.out, args.timeout, args.sandbox, args.keep_work),
            )
            errors = sum(r.status == "error" for r in rows)
            print(f"{len(rows)} row(s), {errors} error(s) -> {args.out / 'grades.csv'}")
            return 0
        from .drift import check

        return check()
    except UserError as err:
        print(f"autograder: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
