"""Spread runs over devices: a queue of runs, one worker process per device at a time.

``--devices 0,1`` runs two processes at once, one with ``CUDA_VISIBLE_DEVICES=0`` and one with ``=1``
(indices count the GPUs this process sees: under ``CUDA_VISIBLE_DEVICES=2,3``, ``0`` is GPU 2); each
takes the next run from the queue when its previous one ends. ``cpu`` entries (e.g.
``--devices cpu,cpu``) run on the CPU with no GPU visible. GPU indices are checked against
``torch.cuda.device_count()`` before anything runs. A run that fails is reported with its exit
status and log file; the others go on. Each run's output goes to ``RUN_DIR/log.txt``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from mtlkit.errors import UserError

LOG = "log.txt"


def parse_devices(text: str) -> list[str]:
    """``"0,1"`` -> ``["0", "1"]``; ``"cpu,cpu"`` -> two CPU slots; a clear error otherwise."""
    devices = [d.strip() for d in text.split(",") if d.strip()]
    bad = [d for d in devices if d != "cpu" and not d.isdigit()]
    if not devices or bad:
        raise UserError(
            f"--devices takes GPU indices or 'cpu', comma-separated (e.g. 0,1 or cpu,cpu); got {text!r}"
        )
    return devices


def check_devices(devices: Sequence[str], gpu_count: int | None = None) -> None:
    """Refuse GPU indices where there is no GPU, or more than there are (``gpu_count``: visible GPUs,
    default ``torch.cuda.device_count()``)."""
    gpus = [d for d in devices if d != "cpu"]
    if not gpus:
        return
    if gpu_count is None:
        import torch

        gpu_count = torch.cuda.device_count()
    if gpu_count == 0:
        raise UserError(
            f"--devices {','.join(gpus)} names GPUs, but no CUDA GPU is visible: use --devices cpu,cpu "
            "or leave --devices out"
        )
    bad = [d for d in gpus if int(d) >= gpu_count]
    if bad:
        raise UserError(
            f"--devices: no GPU {', '.join(bad)}; {gpu_count} GPU(s) are visible, indices 0 to {gpu_count - 1}"
        )


def worker_command(
    directory: Path, device: str, environ: Mapping[str, str] | None = None
) -> tuple[list[str], dict[str, str]]:
    """The worker's argv and environment for one run on ``device`` (``"cpu"`` or a GPU index)."""
    env = dict(os.environ if environ is None else environ)
    if device == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = ""
    else:
        visible = [d.strip() for d in env.get("CUDA_VISIBLE_DEVICES", "").split(",") if d.strip()]
        env["CUDA_VISIBLE_DEVICES"] = visible[int(device)] if visible else device
    argv = [
        sys.executable,
        "-m",
        "mtlkit.capstone.worker",
        str(directory),
        "cpu" if device == "cpu" else "cuda",
    ]
    return argv, env


def _start(directory: Path, device: str) -> subprocess.Popen:
    argv, env = worker_command(directory, device)
    log = open(directory / LOG, "ab")  # noqa: SIM115 - closed when the process is reaped
    process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)
    process.log = log  # type: ignore[attr-defined]
    return process


def run_queue(
    directories: Sequence[Path], devices: Sequence[str], log: Callable[[str], None] = print, poll: float = 0.2
) -> dict[str, int]:
    """Run every directory's config, at most one process per device; return ``{run name: exit status}``."""
    queue = list(directories)
    running: dict[str, tuple[subprocess.Popen, Path]] = {}
    status: dict[str, int] = {}
    try:
        while queue or running:
            for slot, device in enumerate(devices):
                key = f"{slot}:{device}"
                if key not in running and queue:
                    directory = queue.pop(0)
                    log(f"== {directory.name} on {'cpu' if device == 'cpu' else 'cuda ' + device}")
                    running[key] = (_start(directory, device), directory)
            for key, (process, directory) in list(running.items()):
                if process.poll() is not None:
                    process.log.close()  # type: ignore[attr-defined]
                    status[directory.name] = process.returncode
                    if process.returncode != 0:
                        log(f"!! {directory.name} failed (exit {process.returncode}); see {directory / LOG}")
                    del running[key]
            time.sleep(poll)
    finally:
        for process, _ in running.values():  # interrupted: stop our own children, keep their checkpoints
            process.terminate()
            process.wait()
            process.log.close()  # type: ignore[attr-defined]
    return status
