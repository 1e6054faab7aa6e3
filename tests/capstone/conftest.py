from __future__ import annotations

import json
from pathlib import Path

import pytest

from mtlkit.capstone.results import RUN_META, RUNS_DIR


@pytest.fixture
def fake_run(tmp_path):
    """Write a finished run folder by hand: run.json + metrics.json (+ a short history)."""

    def write(
        dataset="shapes",
        backbone="cnn",
        mode="mtl",
        weighting="equal",
        seed=0,
        out=tmp_path,
        median=None,
        **acc,
    ):
        name = f"{dataset}-{backbone}-{mode}-{weighting}-s{seed}"
        directory = Path(out) / RUNS_DIR / name
        directory.mkdir(parents=True)
        meta = {"name": name, "dataset": dataset, "backbone": backbone, "mode": mode}
        meta.update(weighting=weighting, seed=seed, config={"epochs": 2})
        (directory / RUN_META).write_text(json.dumps(meta))
        tasks = {t: {"acc": a, "loss": 1.0} for t, a in acc.items() if t != "coarse_from_fine"}
        test = {
            **tasks,
            **({"coarse_from_fine": {"acc": acc["coarse_from_fine"]}} if "coarse_from_fine" in acc else {}),
        }
        result = {
            "config": {"epochs": 2},
            "test": test,
            "best_epoch": 2,
            "parameters": {"total": 1000 if mode == "mtl" else 900},
            "seconds_per_epoch": 3.0 if mode == "mtl" else 2.0,
            "images_per_s": 100.0,
            "wall_seconds": 7.0,
            "device": "cpu",
        }
        if median is not None:  # median s/epoch after the first (absent from older results)
            result["median_seconds_per_epoch_after_first"] = median
        (directory / "metrics.json").write_text(json.dumps(result))
        epochs = [
            {"epoch": e, "val": {t: {"acc": 0.1 * e} for t in tasks}, "weights": {t: 1.0 for t in tasks}}
            for e in (1, 2)
        ]
        (directory / "history.json").write_text(json.dumps({"epochs": epochs}))
        return directory

    return write
