"""Run the grading child (``job.py``) on a batch of students, under a watchdog.

A student who takes longer than their limit (a kernel that ignores interrupts, say), or whose child
dies, gets an error row, and a fresh child grades the rest: one submission never stops the batch.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import jail

JOB = Path(__file__).with_name("job.py")


def _env() -> dict[str, str]:
    keep = ("LANG", "LC_ALL", "PYTHONPATH", "OMP_NUM_THREADS", "PATH", "TMPDIR")
    return {key: os.environ[key] for key in keep if key in os.environ}


def run_batch(work: Path, manifest: dict[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(index, outcome)`` for every item of the manifest (see job.py), in order."""
    pending = list(manifest["items"])
    attempt = 0
    while pending:
        attempt += 1
        for item, outcome in _one_child(work / f"job-{attempt}", {**manifest, "items": pending}):
            pending.remove(item)
            yield item["index"], outcome


def _one_child(folder: Path, manifest: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    folder.mkdir(mode=0o700)
    private = ["unshare", "--mount", "--propagation", "private"]  # job.py mounts the runtime tmpfs
    wrap = private if os.geteuid() == 0 and manifest["jailed"] else []
    log_path, control = folder.with_suffix(".log"), folder / "manifest.pickle"
    control.write_bytes(pickle.dumps({**manifest, "work": str(folder)}))  # folder is 0700
    with open(log_path, "w") as log, open(control, "rb") as stdin:
        proc = subprocess.Popen(
            [*wrap, sys.executable, str(JOB)],
            cwd=folder,
            env=_env(),
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=log,
            start_new_session=True,
        )
    control.unlink()  # the child reads its own descriptor
    lines: queue.Queue[bytes] = queue.Queue()
    threading.Thread(target=_pump, args=(proc.stdout, lines), daemon=True).start()
    items = list(manifest["items"])  # run_batch removes the reported ones from its list
    try:
        for item in items:
            outcome = _await(lines, proc, item, manifest["timeout"], log_path)
            yield item, outcome
            if "stopped" in outcome:  # stuck or gone: end it, a fresh one goes on
                return
    finally:
        _kill(proc)
        for item in items:  # the cgroups a killed child's kernel left (none when it finished)
            jail.remove_cgroups(jail.cgroup_name(proc.pid, item["index"]))


def _await(lines: queue.Queue, proc: subprocess.Popen, item: dict, timeout: int, log: Path) -> dict[str, Any]:
    """The child's outcome for ``item``, or an error when it takes too long or the child stops."""
    try:
        line = lines.get(timeout=item["limit"])
    except queue.Empty:
        why = (
            f"timeout: grading took longer than {item['limit']} s (cells of {timeout} s each) and was stopped"
        )
        return {"error": why, "stopped": True}
    if line:
        return json.loads(line)
    with contextlib.suppress(subprocess.TimeoutExpired):  # the child closed its results: why?
        proc.wait(timeout=10)
    printed = last_line(log.read_text(errors="replace")) or "it printed nothing"
    why = f"the grading process stopped while grading it ({_how(proc.returncode)}): {printed}"
    return {"error": why, "stopped": True}


def _pump(stream, lines: queue.Queue) -> None:
    """Queue the child's result lines, then ``b""`` for the end of its output."""
    with contextlib.suppress(ValueError, OSError):
        for line in stream:
            lines.put(line)
    lines.put(b"")


def _how(returncode: int | None) -> str:
    """How a child process ended, in words (a SIGKILL is most often the kernel's out-of-memory killer)."""
    if returncode is None or returncode >= 0:
        return f"exit status {returncode}"
    name = signal.Signals(-returncode).name if -returncode in signal.valid_signals() else str(-returncode)
    return f"killed by {name}" + (", e.g. out of memory" if -returncode == signal.SIGKILL else "")


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def last_line(text: str) -> str:
    """The last non-empty line of a log (at most 200 characters): what went wrong, most often."""
    return next((line.strip()[-200:] for line in reversed(text.splitlines()) if line.strip()), "")
