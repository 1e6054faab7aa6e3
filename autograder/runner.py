"""Run ``job.py`` child processes: the template build, and the batch of students with a watchdog.

One child grades the students one after another and reports each on its private result pipe
(autograder.channel): a line counts only with the batch's MAC and for the student being graded, so
nothing a kernel writes can change a grade or stop the batch. After the grader has stored a student's
results it acknowledges them, and only then does the child start the next student's code. If a student
takes longer than its limit (a kernel that ignores interrupts, say) or the child dies, that student
gets an error row and a fresh child carries on with the rest: one submission never stops the batch.
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
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import channel, reaper, settings
from .sandbox import Sandbox, job_env, make_job_folders

JOB = Path(__file__).with_name("job.py")
MAX_RESULT_BYTES = 50 * 2**20  # one student's result line (notebook + feedback): more is an error row


def run_generate(
    course: Path, *assignments: str, config: str | None = None, timeout: float = 600
) -> subprocess.CompletedProcess:
    """``job.py generate`` on ``course`` for each assignment with the settings text ``config`` (default:
    nbgrader_config.py now); no student code runs here."""
    make_job_folders(course)
    return subprocess.run(
        [sys.executable, str(JOB), "generate", str(course), *assignments],
        cwd=course,
        env=job_env(course),
        input=json.dumps(_settings(config)),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _settings(config: str | None) -> dict[str, str]:
    """The settings a child executes (autograder.settings.from_text): text and the file it came from."""
    return {
        "config": settings.snapshot() if config is None else config,
        "config_path": str(settings.CONFIG_FILE),
    }


def run_batch(
    work: Path,
    assignment: str,
    cell_timeout: int,
    gradebook: bytes,
    items: list[dict[str, Any]],
    config: str | None = None,
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Yield ``(item, outcome)`` for every item, in order (see job.py for the outcome's fields).

    The child waits until the caller asks for the next outcome: store each student's results first.
    Every child grades with the same settings text ``config`` (default: nbgrader_config.py now).
    """
    pending = list(items)
    attempt = 0
    key = channel.new_key()
    encoded = base64.b64encode(gradebook).decode()
    shared = _settings(config)
    while pending:
        attempt += 1
        manifest = {
            "assignment": assignment,
            "timeout": cell_timeout,
            "key": key,
            "gradebook": encoded,
            "max_result": MAX_RESULT_BYTES,
            **shared,
            "items": pending,
        }
        for item, outcome in _one_child(work, json.dumps(manifest), pending, attempt, key):
            pending.remove(item)
            yield item, outcome


def _one_child(
    work: Path, manifest: str, items: list[dict[str, Any]], attempt: int, key: str
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    log_path = work / f"job-{attempt}.log"
    log = open(log_path, "w")  # noqa: SIM115 (closed below, after the child exits)
    course = work / "job"
    make_job_folders(course)
    proc = subprocess.Popen(
        [sys.executable, str(JOB), "grade"],
        cwd=course,
        env=job_env(course),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
        encoding="utf-8",
        errors="replace",  # a stray byte garbles one line, not the stream
        start_new_session=True,
    )
    with contextlib.suppress(BrokenPipeError, OSError):  # a child that died at once: its EOF tells below
        proc.stdin.write(manifest + "\n")
        proc.stdin.flush()
    lines: queue.Queue[str | None] = queue.Queue()
    limit = json.loads(manifest)["max_result"] + 4096  # the MAC and the framing
    threading.Thread(target=_pump, args=(proc.stdout, lines, limit), daemon=True).start()
    current: dict[str, Any] | None = None
    try:
        for current in list(items):
            outcome = _await(lines, key, current)
            stopped = bool(outcome.get("timeout") or outcome.get("dead"))
            if stopped:  # the child is stuck or gone: end it (and this student's kernel) before going on
                _stop(proc, current, grace=10 if outcome.get("dead") else 0)
                if outcome.get("dead"):  # the log is complete now that the child has exited
                    outcome.update(log=[_tail(log_path)], returncode=proc.returncode)
            yield current, outcome
            if stopped:
                return  # a fresh child grades the rest
            index, current = current["index"], None
            with contextlib.suppress(BrokenPipeError, OSError):
                proc.stdin.write(channel.ack_line(key, index))
                proc.stdin.flush()
    finally:
        _kill(proc)
        if current is not None:  # stopped in the middle of a student (e.g. Ctrl-C): end its kernel too
            _sandbox(current).kill_processes()
        log.close()


def _await(lines: queue.Queue, key: str, item: dict[str, Any]) -> dict[str, Any]:
    """The authentic outcome of ``item``; a timeout or a dead child give a failed outcome instead."""
    deadline = time.monotonic() + item["limit"]
    ignored = 0
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            return {"ok": False, "timeout": True, "log": [], "ignored": ignored}
        if line is None:  # the child closed its result pipe without reporting this student
            return {"ok": False, "dead": True, "log": [], "ignored": ignored}
        outcome = channel.read_result(key, line, item["index"])
        if outcome is not None:
            return {**outcome, "ignored": ignored}
        ignored += bool(line.strip())  # a forged or garbled line: it counts for nobody


def _stop(proc: subprocess.Popen, item: dict[str, Any], grace: float) -> None:
    """End the child (after ``grace`` seconds to exit by itself) and what the student's kernel left."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)
    _kill(proc)
    _sandbox(item).kill_processes()


def _sandbox(item: dict[str, Any]) -> Sandbox:
    return Sandbox(Path(item["sandbox"]), item["uid"], item["uid"], item["namespace"])


TOO_LONG = "(a line longer than the grader reads)\n"


def _pump(stream, lines: queue.Queue, limit: int) -> None:
    """Queue the child's lines, each at most ``limit`` characters: a longer one (no authentic result is)
    is skipped to its end and queued as ``TOO_LONG``, so no line can fill the grader's memory."""
    with contextlib.suppress(ValueError, OSError):
        while line := stream.readline(limit):
            if len(line) == limit and not line.endswith("\n"):
                while (rest := stream.readline(limit)) and not rest.endswith("\n"):
                    pass
                line = TOO_LONG
            lines.put(line)
    lines.put(None)


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        reaper.kill_tree(proc.pid)  # and whatever it adopted: they would outlive it otherwise
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    with contextlib.suppress(OSError):
        proc.stdin.close()


def _tail(path: Path, chars: int = 300) -> str:
    text = path.read_text(errors="replace").strip() if path.is_file() else ""
    return text[-chars:] or "the grading process stopped unexpectedly"
