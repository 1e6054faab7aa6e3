"""A run's time: its speed over epochs and its wall-clock seconds across resumes.

``epoch_timing`` summarises fit's per-epoch records; :class:`RunClock` keeps a run's wall time in
``checkpoint/elapsed.json`` so that a run killed and resumed (Colab disconnects) reports the time its
result cost, not only the last attempt's.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

from mtlkit._io import write_json

ELAPSED_FILE = "elapsed.json"  # in checkpoint/: cumulative wall time at the end of each epoch, for resumes


def epoch_timing(epochs: list[dict[str, Any]]) -> dict[str, float | None]:
    """Speed over a run's epochs (resumed ones included):

    - ``seconds_per_epoch``: the mean training time of an epoch, first one included (the cost of a run);
    - ``median_seconds_per_epoch_after_first``: the median over epochs 2..n, without the first
      epoch's warm-up (``torch.compile``, cuDNN autotuning, allocator growth); None with one epoch;
    - ``images_per_s``: images trained on / training seconds, over all epochs (the per-epoch
      throughputs weighted by their time, not their plain mean).
    """
    seconds = [r["seconds"] for r in epochs]
    total = sum(seconds)
    images = sum(r["images_per_s"] * r["seconds"] for r in epochs if r["seconds"] > 0)
    return {
        "seconds_per_epoch": total / len(seconds),
        "median_seconds_per_epoch_after_first": statistics.median(seconds[1:]) if len(seconds) > 1 else None,
        "images_per_s": images / total if total > 0 else None,
    }


class RunClock:
    """Wall-clock seconds of a run across resumes, counting only the epochs the result is built on.

    ``checkpoint/elapsed.json`` holds the run's cumulative seconds at the end of each epoch (rewritten
    after every epoch). ``last.pt`` may be older than the last epoch that ran (fit's checkpoint cadence),
    and a resume repeats the epochs after it; so the time carried over is the cumulative value at the
    epoch fit resumed from, known at the first callback (epoch ``k + 1`` -> the value of epoch ``k``, or
    of the latest epoch before it that has one), not the time of the lost epochs.
    """

    def __init__(self, directory: Path | None, resume: bool, started: float, writes: bool) -> None:
        self.directory, self.started, self.writes = directory, started, writes and directory is not None
        self.cumulative = _elapsed_record(directory) if resume and directory is not None else {}
        self.before: float | None = None  # seconds carried over, fixed once the resumed epoch is known

    def _carried(self, resumed_from: int) -> float:
        if self.before is None:
            # the record of the epoch resumed from; if the process died between saving last.pt and
            # recording that epoch, the latest earlier record (epochs are 1-based: none -> 0.0)
            earlier = [e for e in self.cumulative if e <= resumed_from]
            self.before = self.cumulative[max(earlier)] if earlier else 0.0
        return self.before

    def elapsed(self, epochs_done: int) -> float:
        """Seconds so far; ``epochs_done`` places a resume that ran no epoch (all were saved)."""
        return self._carried(epochs_done) + time.perf_counter() - self.started

    def save(self, record: dict[str, Any]) -> None:
        epoch = record["epoch"]
        kept = {e: s for e, s in self.cumulative.items() if e < epoch}  # drop the lost epochs' times
        self.cumulative = {**kept, epoch: self.elapsed(epoch - 1)}
        if self.writes and self.directory is not None:
            stored = {str(e): s for e, s in sorted(self.cumulative.items())}
            write_json(self.directory / ELAPSED_FILE, {"seconds_at_end_of_epoch": stored})


def _elapsed_record(directory: Path) -> dict[int, float]:
    """Epoch -> cumulative seconds of earlier attempts, if their checkpoint is still there to resume."""
    from mtlkit.train.checkpoint import LAST

    path = directory / ELAPSED_FILE
    if not (directory / LAST).exists() or not path.exists():
        return {}
    try:
        stored = json.loads(path.read_text())["seconds_at_end_of_epoch"]
        return {int(e): float(s) for e, s in stored.items()}
    except (ValueError, KeyError, TypeError, AttributeError):  # damaged or older format: this attempt only
        return {}
