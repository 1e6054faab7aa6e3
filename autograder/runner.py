"""Run ``job.py`` child processes: the template build, and the batch of students with a watchdog.

One child grades the students one after another and prints one JSON line per student. If a student
takes longer than its limit (a kernel that ignores interrupts, say) or the child dies, that student
gets an error row and a fresh child carries on with the rest: one submission never stops the batch.
The child's kernels die with it (bubblewrap's ``--die-with-parent``).
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

from . import jail, settings

JOB = Path(__file__).with_name("job.py")
MAX_RESULT_BYTES = 50 * 2**20  # one student's result line (notebook + feedback): more is an error row


def _env() -> dict[str, str]:
    keep = ("LANG", "LC_ALL", "PYTHONPATH", "OMP_NUM_THREADS", "PATH", "TMPDIR")
    return {key: os.environ[key] for key in keep if key in os.environ}


def run_generate(
    course: Path, *assignments: str, config: str | None = None, timeout: float = 600
) -> subprocess.CompletedProcess:
    """``job.py generate`` on ``course`` for each assignment with the settings text ``config`` (default:
    nbgrader_config.py now); no student code runs here."""
    course.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [sys.executable, str(JOB), "generate", str(course), *assignments],
        cwd=course,
        env={**_env(), "HOME": str(course), "JUPYTER_CONFIG_DIR": str(course / "jupyter_config")},
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
    work: Path, gradebook: bytes, items: list[dict[str, Any]], manifest: dict[str, Any]
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Yield ``(item, outcome)`` for every item, in order (see job.py for the manifest and outcomes)."""
    pending = list(items)
    attempt = 0
    base = {**manifest, "gradebook": base64.b64encode(gradebook).decode(), "max_result": MAX_RESULT_BYTES}
    while pending:
        attempt += 1
        full = {**base, **_settings(manifest.get("config")), "work": str(work / f"job-{attempt}")}
        for item, outcome in _one_child(work, {**full, "items": pending}, attempt):
            pending.remove(item)
            yield item, outcome


def _one_child(
    work: Path, manifest: dict[str, Any], attempt: int
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    log_path = work / f"job-{attempt}.log"
    Path(manifest["work"]).mkdir(mode=0o700)
    private = ["unshare", "--mount", "--propagation", "private"]  # job.py mounts the runtime tmpfs
    wrap = private if os.geteuid() == 0 and manifest["jailed"] else []
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [*wrap, sys.executable, str(JOB), "grade"],
            cwd=manifest["work"],
            env=_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            start_new_session=True,
        )
    with contextlib.suppress(BrokenPipeError, OSError):  # a child that died at once: its EOF tells below
        proc.stdin.write(json.dumps(manifest).encode() + b"\n")
        proc.stdin.close()
    lines: queue.Queue[bytes | None] = queue.Queue()
    threading.Thread(target=_pump, args=(proc.stdout, lines, MAX_RESULT_BYTES + 4096), daemon=True).start()
    try:
        for item in list(manifest["items"]):
            outcome = _await(lines, item)
            if outcome.get("timeout") or outcome.get("dead"):  # stuck or gone: end it, a fresh one goes on
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=10 if outcome.get("dead") else 0)
                _kill(proc)
                jail.remove_cgroups(f"mtlkit-{proc.pid}-{item['index']}")  # job.py's name for them
                if outcome.get("dead"):
                    outcome.update(log=[_tail(log_path)], returncode=proc.returncode)
                yield item, outcome
                return
            yield item, outcome
    finally:
        _kill(proc)


def _await(lines: queue.Queue, item: dict[str, Any]) -> dict[str, Any]:
    """The outcome of ``item``; a timeout or a dead child give a failed outcome instead."""
    deadline = time.monotonic() + item["limit"]
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            return {"timeout": True, "log": []}
        if line is None:  # the child closed its result pipe without reporting this student
            return {"dead": True, "log": []}
        with contextlib.suppress(ValueError):
            outcome = json.loads(line)
            if isinstance(outcome, dict) and outcome.get("index") == item["index"]:
                return outcome


def _pump(stream, lines: queue.Queue, limit: int) -> None:
    """Queue the child's lines, each at most ``limit`` bytes (a longer one is skipped)."""
    with contextlib.suppress(ValueError, OSError):
        while line := stream.readline(limit):
            if len(line) == limit and not line.endswith(b"\n"):
                while (rest := stream.readline(limit)) and not rest.endswith(b"\n"):
                    pass
                continue
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
