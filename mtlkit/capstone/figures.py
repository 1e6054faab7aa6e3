"""The capstone's figures: STL-vs-MTL bars with error bars, learning curves, task weights over epochs.

Drawn on a bare ``matplotlib.figure.Figure`` (no pyplot, so no backend is chosen or changed) and written atomically as PNG.
Learning curves and weights show each cell's lowest seed; the bars show mean +/- sd over seeds (no error bar
where a cell has one seed).
"""

from __future__ import annotations

import io
import json
import math
import os
from pathlib import Path
from typing import Any

from mtlkit._io import atomic_write
from mtlkit.capstone.results import group, values
from mtlkit.capstone.stats import mean, sd

FIGURES = ("stl_vs_mtl.png", "learning_curves.png", "task_weights.png")
TASKS = ("fine", "coarse")


def _figure(panels: int, width: float, height: float):
    """A figure and a row of ``panels`` axes, without pyplot: no backend is chosen or changed."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * panels, height))
    return fig, fig.subplots(1, panels, squeeze=False)


def _save(fig, path: Path) -> None:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    atomic_write(path, lambda f: f.write(buffer.getvalue()))


def _history(run: dict[str, Any]) -> dict[str, Any]:
    path = Path(run["dir"]) / "history.json"
    return json.loads(path.read_text()) if path.exists() else {"epochs": []}


def bars(rows: list[dict[str, Any]], path: Path) -> None:
    datasets = group(rows, "dataset")
    fig, axes = _figure(len(datasets), 6, 4)
    for ax, ((dataset,), runs) in zip(axes[0], datasets.items(), strict=True):
        cells = group(runs, "backbone", "mode", "weighting")
        labels = [f"{b}\n{t}" for b in dict.fromkeys(r["backbone"] for r in runs) for t in TASKS]
        series: dict[str, dict[str, tuple[float, float]]] = {"STL": {}}
        for (backbone, mode, weighting), cell in cells.items():
            for task in TASKS:
                key = "STL" if mode != "mtl" else f"MTL ({weighting})"
                xs = values(cell, task)
                if xs and (mode == "mtl" or mode == f"stl_{task}"):
                    series.setdefault(key, {})[f"{backbone}\n{task}"] = (
                        100 * mean(xs),
                        100 * (sd(xs) or 0.0) if len(xs) > 1 else math.nan,  # no error bar from one seed
                    )
        width = 0.8 / len(series)
        for i, (name, points) in enumerate(series.items()):
            xs = [j + i * width for j, label in enumerate(labels) if label in points]
            ys = [points[label][0] for label in labels if label in points]
            errors = [points[label][1] for label in labels if label in points]
            ax.bar(xs, ys, width, yerr=errors, capsize=3, label=name)
        ax.set_xticks([j + 0.4 - width / 2 for j in range(len(labels))], labels)
        ax.set_ylabel("test accuracy (%)")
        ax.set_title(dataset)
        ax.legend(fontsize=8)
    _save(fig, path)


def learning_curves(rows: list[dict[str, Any]], path: Path) -> None:
    panels = group(rows, "dataset", "backbone")
    fig, axes = _figure(len(panels), 5, 3.6)
    for ax, ((dataset, backbone), runs) in zip(axes[0], panels.items(), strict=True):
        for (mode, weighting), cell in group(runs, "mode", "weighting").items():
            epochs = _history(min(cell, key=lambda r: r["seed"]))["epochs"]
            for task in TASKS:
                ys = [100 * e["val"][task]["acc"] for e in epochs if task in e.get("val", {})]
                if ys:
                    label = f"{'STL' if mode != 'mtl' else 'MTL ' + weighting} {task}"
                    ax.plot(range(1, len(ys) + 1), ys, "-" if mode == "mtl" else "--", label=label)
        ax.set_xlabel("epoch")
        ax.set_ylabel("validation accuracy (%)")
        ax.set_title(f"{dataset} / {backbone}")
        ax.legend(fontsize=7)
    _save(fig, path)


def task_weights(rows: list[dict[str, Any]], path: Path) -> None:
    mtl = [r for r in rows if r["mode"] == "mtl"]
    panels = group(mtl, "dataset", "backbone", "weighting")
    fig, axes = _figure(max(len(panels), 1), 5, 3.4)
    for ax, ((dataset, backbone, weighting), runs) in zip(axes[0], panels.items(), strict=False):
        epochs = _history(min(runs, key=lambda r: r["seed"]))["epochs"]
        for task in TASKS:
            ys = [e["weights"].get(task) for e in epochs if "weights" in e]
            ax.plot(range(1, len(ys) + 1), ys, marker="o", label=task)
        ax.set_xlabel("epoch")
        ax.set_ylabel("task weight")
        ax.set_title(f"{dataset} / {backbone} / {weighting}")
        ax.legend(fontsize=8)
    _save(fig, path)


def draw_all(rows: list[dict[str, Any]], directory: str | os.PathLike) -> list[Path]:
    """Write the three figures into ``directory``; nothing when there are no finished runs."""
    if not rows:
        return []
    directory = Path(directory)
    paths = [directory / name for name in FIGURES]
    for draw, path in zip((bars, learning_curves, task_weights), paths, strict=True):
        draw(rows, path)
    return paths
