"""The private, authenticated pipes between the grader and its grading child (job.py).

Results go child -> grader, one line per student: ``\\n<HMAC-SHA256 hex> <JSON>\\n``; the grader's
acknowledgements go back, one line per student: ``ack <index> <HMAC>``. The key is random per batch and
reaches the child only inside the manifest, read from a pipe before any student code runs.

Before any kernel starts, the child moves both pipes to private file descriptors (``os.dup`` gives
close-on-exec ones, so no kernel inherits them) and points its own fds 0-2 elsewhere. A line that does
not carry the right MAC, or reports another student than the one being graded, is ignored: a kernel
that gets a line onto the pipe anyway (with ``--sandbox none`` it can open the child's pipes through
``/proc``) cannot make it count. The leading newline of every line ends any partial line written before it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from typing import Any


def new_key() -> str:
    """A fresh random key for one batch (hex)."""
    return secrets.token_hex(32)


def _mac(key: str, data: bytes) -> str:
    return hmac.new(bytes.fromhex(key), data, hashlib.sha256).hexdigest()


def result_line(key: str, outcome: dict[str, Any]) -> bytes:
    """The authenticated line that carries one student's outcome (it must hold the item's ``index``)."""
    data = json.dumps(outcome).encode()
    return b"\n" + _mac(key, data).encode() + b" " + data + b"\n"


def read_result(key: str, line: str, index: int) -> dict[str, Any] | None:
    """The outcome in ``line`` if it is authentic and for student ``index``; None for anything else."""
    mac, _, data = line.strip().partition(" ")
    if not data or not hmac.compare_digest(mac.encode(), _mac(key, data.encode()).encode()):
        return None
    try:
        outcome = json.loads(data)
    except ValueError:
        return None
    if not isinstance(outcome, dict) or outcome.get("index") != index:
        return None
    return outcome


def ack_line(key: str, index: int) -> str:
    """The grader's go-ahead after it stored student ``index``'s results (on a line of its own)."""
    return f"\nack {index} {_mac(key, f'ack {index}'.encode())}\n"


def is_ack(key: str, line: str, index: int) -> bool:
    return hmac.compare_digest(line.strip().encode(), ack_line(key, index).strip().encode())


def make_private() -> tuple[int, int]:
    """In the child: dup stdin/stdout to private fds, then point 0 at /dev/null and 1 at the log (fd 2).

    Returns ``(control_fd, result_fd)``; nothing started afterwards inherits either.
    """
    control, result = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    return control, result
