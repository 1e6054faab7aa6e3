"""Errors a user can cause, reported by the CLI as one clear line (exit code 2), never a traceback."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class UserError(Exception):
    """A mistake the user can fix (bad name, value, path, missing data). The message says how."""


class DataNotFoundError(UserError, FileNotFoundError):
    """A dataset is not on disk and ``download=True`` was not given."""


def unknown_name(kind: str, name: object, choices: Iterable[str]) -> UserError:
    """The standard message for an unknown name, listing the valid choices and the closest ones."""
    choices = sorted(choices)
    message = f"unknown {kind} {name!r}; choose one of: {', '.join(choices)}"
    if close := difflib.get_close_matches(str(name), choices, n=3, cutoff=0.6):
        message += f"; did you mean {' or '.join(map(repr, close))}?"
    return UserError(message)
