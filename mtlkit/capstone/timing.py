"""Epoch times in ``summary.md``: which one the ratios use, and how many times faster than the study.

Time ratios and the ``× study speed`` column use each run's median seconds per epoch after the first
(warm-up such as ``torch.compile`` excluded) when every run has it, else the mean over all epochs
(``s_per_epoch``) for all of them, so that every ratio compares like with like. The study's epoch
times are its tables' "Time per epoch" lines (:func:`mtlkit.capstone.study.seconds_per_epoch`).
"""

from __future__ import annotations

from typing import Any

from mtlkit.capstone import study
from mtlkit.capstone.results import values
from mtlkit.capstone.stats import mean

SPEED = "× study speed"
MEDIAN = "median_s_per_epoch_after_first"
MEDIAN_HEADER = "median s/epoch after 1st"


def epoch_time_column(rows: list[dict[str, Any]]) -> str:
    """``MEDIAN`` when every run has it, else ``s_per_epoch`` (see the module docstring)."""
    return MEDIAN if rows and all(r.get(MEDIAN) is not None for r in rows) else "s_per_epoch"


def epoch_time_note(column: str, speeds: bool) -> str:
    """The sentence of summary.md that says which epoch time the ratios (and ``speeds``) use."""
    subject = f"Speeds (`{SPEED}`) and the MTL/STL time ratios" if speeds else "The MTL/STL time ratios"
    if column == MEDIAN:
        return (
            f"{subject} use each run's median seconds per epoch after "
            f"the first (`{MEDIAN_HEADER}`: the first epoch's warm-up, e.g. torch.compile, excluded), "
            "averaged over seeds; `s/epoch` is the mean over all epochs, first included.\n"
        )
    return (
        f"{subject} use the mean seconds per epoch over all epochs, "
        "first included (`s/epoch`): not every run has a median after the first epoch (one-epoch runs, "
        "or results written before it was recorded).\n"
    )


def speedup(cell: tuple[str, str, str], runs: list[dict[str, Any]], column: str = "s_per_epoch") -> str:
    """The study's seconds per epoch of ``cell`` (dataset, backbone, mode) over our mean of ``column``
    (``21.3×``: we run an epoch 21.3 times faster); "n/a" for a cell the study did not time."""
    published, ours = study.seconds_per_epoch(*cell), values(runs, column)
    if published is None or not ours or mean(ours) <= 0:
        return "n/a"
    return f"{published / mean(ours):.1f}×"


def study_times() -> str:
    """``vit 63 s, resnet152 46-52 s``: the study's times per epoch by backbone, from its tables."""
    times: dict[str, list[float]] = {}
    for (_, backbone, _), cell in study.PUBLISHED.items():
        times.setdefault(backbone, []).append(cell.seconds_per_epoch)
    spans = {b: (min(t), max(t)) for b, t in times.items()}
    return ", ".join(f"{b} {lo:g} s" if lo == hi else f"{b} {lo:g}-{hi:g} s" for b, (lo, hi) in spans.items())
