"""The capstone's results, read back from the run folders: one row per finished run, and runs.csv.

Everything in the report is rebuilt from ``runs/*/run.json`` (the grid cell) and ``runs/*/metrics.json``
(the result :func:`mtlkit.experiment.run` wrote), so re-running the command, or running more seeds
into the same folder, never loses or double-counts a run.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mtlkit._io import write_text
from mtlkit.experiment import RESULT_FILE, RunConfig
from mtlkit.train.history import to_csv

RUNS_DIR = "runs"
MODE_ORDER = {"stl_fine": 0, "stl_coarse": 1, "mtl": 2}
RUN_META = "run.json"
CSV_COLUMNS = (
    "run",
    "dataset",
    "backbone",
    "mode",
    "weighting",
    "seed",
    "fine",
    "coarse",
    "coarse_from_fine",
    "parameters",
    "epochs",
    "best_epoch",
    "s_per_epoch",
    "median_s_per_epoch_after_first",
    "images_per_s",
    "device",
    "wall_s",
)


def run_dirs(out: str | os.PathLike) -> list[Path]:
    """The run folders of a capstone output folder (those with a ``run.json``), sorted by name."""
    root = Path(out) / RUNS_DIR
    return sorted(p.parent for p in root.glob(f"*/{RUN_META}")) if root.is_dir() else []


def row(directory: Path) -> dict[str, Any] | None:
    """The result row of one run folder, or None while the run has not finished."""
    if not (directory / RESULT_FILE).exists():
        return None
    meta = json.loads((directory / RUN_META).read_text())
    result = json.loads((directory / RESULT_FILE).read_text())
    test = result["test"]
    return {
        "run": meta["name"],
        **{k: meta[k] for k in ("dataset", "backbone", "mode", "weighting", "seed")},
        "fine": test.get("fine", {}).get("acc"),
        "coarse": test.get("coarse", {}).get("acc"),
        "coarse_from_fine": test.get("coarse_from_fine", {}).get("acc"),
        "parameters": result["parameters"]["total"],
        "epochs": RunConfig.from_dict(result["config"]).train.epochs,  # also a flat, older metrics.json
        "best_epoch": result["best_epoch"],
        "s_per_epoch": result["seconds_per_epoch"],
        # without the first epoch's warm-up (compile, autotuning); None for one epoch or older results
        "median_s_per_epoch_after_first": result.get("median_seconds_per_epoch_after_first"),
        "images_per_s": result["images_per_s"],
        "device": result["device"],
        "wall_s": result["wall_seconds"],
        "dir": str(directory),
    }


def collect(out: str | os.PathLike) -> tuple[list[dict[str, Any]], list[str]]:
    """(rows of the finished runs, names of the unfinished ones)."""
    rows, pending = [], []
    for directory in run_dirs(out):
        r = row(directory)
        if r is None:
            pending.append(directory.name)
        else:
            rows.append(r)
    rows.sort(
        key=lambda r: (r["dataset"], r["backbone"], MODE_ORDER.get(r["mode"], 9), r["weighting"], r["seed"])
    )
    return rows, pending


def records(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows restricted to :data:`CSV_COLUMNS`, in that order: what the CSV and JSON files hold."""
    return [{c: r.get(c) for c in CSV_COLUMNS} for r in rows]


def write_csv(rows: Iterable[dict[str, Any]], path: str | os.PathLike) -> Path:
    """``runs.csv``: one line per run with the columns of :data:`CSV_COLUMNS` (atomic write)."""
    return write_text(path, to_csv(records(rows)))


def group(rows: Iterable[dict[str, Any]], *keys: str) -> dict[tuple, list[dict[str, Any]]]:
    """Rows grouped by the values of ``keys`` (insertion order kept)."""
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[tuple(r[k] for k in keys)].append(r)
    return dict(groups)


def values(rows: Iterable[dict[str, Any]], column: str) -> list[float]:
    """The non-missing values of ``column``, in seed order."""
    return [r[column] for r in sorted(rows, key=lambda r: r["seed"]) if r.get(column) is not None]
