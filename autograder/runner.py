"""Run ``job.py`` child processes: the template build, and the batch of students with a watchdog.

One child grades the students one after another and reports each on a line of stdout. If a student
takes longer than its limit (a kernel that ignores interrupts, say), the child is killed, that
student gets an error row, and a fresh child carries on with the rest: one submission never stops
the batch.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .sandbox import Sandbox, job_env

JOB = Path(__file__).with_name("job.py")


def run_generate(course: Path, *assignments: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """``job.py generate`` on ``course`` for each assignment (no student code runs here)."""
    for sub in ("home", "jupyter", "jupyter_config", "runtime"):
        (course / sub).mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [sys.executable, str(JOB), "generate", str(course), *assignments],
        cwd=course,
        env=job_env(course),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_batch(
    work: Path, assignment: str, cell_timeout: int, gradebook: bytes, items: list[dict[str, Any]]
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Yield ``(item, outcome)`` for every item, in order (see job.py for the outcome's fields)."""
    pending = list(items)
    attempt = 0
    encoded = base64.b64encode(gradebook).decode()
    while pending:
        attempt += 1
        manifest = {"assignment": assignment, "timeout": cell_timeout, "gradebook": encoded, "items": pending}
        for item, outcome in _one_child(work, json.dumps(manifest), pending, attempt):
            pending.remove(item)
            yield item, outcome


def _one_child(
    work: Path, manifest: str, items: list[dict[str, Any]], attempt: int
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    log = open(work / f"job-{attempt}.log", "w")  # noqa: SIM115 (closed below, after the child exits)
    course = work / "job"
    for sub in ("home", "jupyter", "jupyter_config", "runtime"):
        (course / sub).mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [sys.executable, str(JOB), "grade"],
        cwd=course,
        env=job_env(course),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        start_new_session=True,
    )
    proc.stdin.write(manifest)
    proc.stdin.close()
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_pump, args=(proc.stdout, lines), daemon=True).start()
    by_index = {item["index"]: item for item in items}
    try:
        for item in list(items):
            try:
                line = lines.get(timeout=item["limit"])
            except queue.Empty:
                _kill(proc)
                Sandbox(Path(item["sandbox"]), item["uid"], item["uid"], item["namespace"]).kill_processes()
                yield item, {"ok": False, "timeout": True, "log": []}
                return
            if line is None:  # the child died without reporting this student
                yield item, {"ok": False, "log": [_tail(work / f"job-{attempt}.log")]}
                return
            outcome = json.loads(line)
            yield by_index[outcome["index"]], outcome
    finally:
        _kill(proc)
        log.close()


def _pump(stream, lines: queue.Queue) -> None:
    for line in stream:
        if line.startswith("{"):
            lines.put(line)
    lines.put(None)


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _tail(path: Path, chars: int = 300) -> str:
    text = path.read_text(errors="replace").strip() if path.is_file() else ""
    return text[-chars:] or "the grading process stopped unexpectedly"
