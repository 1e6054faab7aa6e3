"""Errors a user can cause, reported by the CLI as one clear line (exit code 2), never a traceback."""

from __future__ import annotations

from collections.abc import Iterable


class UserError(Exception):
    """A mistake the user can fix (bad name, value, path, missing data). The message says how."""


class DataNotFoundError(UserError, FileNotFoundError):
    """A dataset is not on disk and ``download=True`` was not given."""


def unknown_name(kind: str, name: object, choices: Iterable[str]) -> UserError:
    """The standard message for an unknown registry name, listing the valid choices."""
    valid = ", ".join(sorted(choices))
    return UserError(f"unknown {kind} {name!r}; choose one of: {valid}")
