"""What ``mtlkit train --out`` writes: metrics.csv, head specs, timing across resumes, file modes."""

from __future__ import annotations

import csv
import json
import os
import stat
import statistics
import types

import pytest
from cli_helpers import TINY

from mtlkit import _io, experiment
from mtlkit.cli import main


@pytest.fixture
def umask():
    """Set the process umask for a test (restored afterwards)."""
    old = os.umask(0o022)
    yield os.umask
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_metrics_csv_has_one_row_per_split_and_task_matching_metrics_json(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *TINY, "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    with open(out / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["split", "task", "acc", "loss"]
    expected = [(s, t) for s in ("val", "test") for t in metrics[s]]
    assert [(r["split"], r["task"]) for r in rows] == expected
    for r in rows:
        m = metrics[r["split"]][r["task"]]
        assert float(r["acc"]) == pytest.approx(m["acc"])
        assert (r["loss"] == "") == ("loss" not in m)  # coarse_from_fine has an accuracy only
    assert "metrics.csv" in capsys.readouterr().out


def test_train_help_lists_every_output_file(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for name in ("metrics.json", "metrics.csv", "history.json/.csv", "checkpoint/"):
        assert name in text


@pytest.mark.parametrize(
    ("head", "spec"),
    [("64,32", {"type": "mlp", "hidden": [64, 32]}), ("16", {"type": "mlp", "hidden": [16]}), ("mlp", "mlp")],
)
def test_head_hidden_sizes_build_an_mlp_head(tmp_path, head, spec):
    linear, mlp = tmp_path / "linear", tmp_path / "mlp"
    assert main(["train", *TINY, "--out", str(linear)]) == 0
    assert main(["train", *TINY, "--head", head, "--out", str(mlp)]) == 0
    result = json.loads((mlp / "metrics.json").read_text())
    assert result["config"]["head"] == spec
    linear_params = json.loads((linear / "metrics.json").read_text())["parameters"]
    assert result["parameters"]["fine"] > linear_params["fine"]  # hidden layers per task


def test_timing_is_total_images_over_total_seconds(tmp_path):
    out = tmp_path / "run"
    assert main(["train", *TINY, "--epochs", "3", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    epochs = json.loads((out / "history.json").read_text())["epochs"]
    seconds = [e["seconds"] for e in epochs]
    images = sum(e["images_per_s"] * e["seconds"] for e in epochs)
    assert metrics["images_per_s"] == pytest.approx(images / sum(seconds))
    assert metrics["seconds_per_epoch"] == pytest.approx(sum(seconds) / 3)
    assert metrics["median_seconds_per_epoch_after_first"] == pytest.approx(statistics.median(seconds[1:]))


@pytest.fixture
def frozen_clock(monkeypatch):
    """experiment's wall clock stands still: a run's own time is 0 s, only the persisted time counts."""
    monkeypatch.setattr(experiment, "time", types.SimpleNamespace(perf_counter=lambda: 1000.0))


def test_wall_seconds_count_the_attempts_before_a_resume(tmp_path, frozen_clock):
    out = tmp_path / "run"
    argv = ["train", *TINY, "--epochs", "2", "--out", str(out)]
    assert main(argv) == 0
    elapsed = out / "checkpoint" / experiment.ELAPSED_FILE
    assert json.loads(elapsed.read_text()) == {"epoch": 2, "seconds": 0.0}
    _io.write_json(elapsed, {"epoch": 2, "seconds": 50.0})  # as if the first attempt had taken 50 s
    (out / "metrics.json").unlink()  # ... and had been killed before writing its result
    assert main([*argv, "--resume"]) == 0
    assert json.loads((out / "metrics.json").read_text())["wall_seconds"] == 50.0


def test_a_fresh_run_in_an_old_folder_does_not_count_the_old_time(tmp_path, frozen_clock):
    out = tmp_path / "run"
    argv = ["train", *TINY, "--out", str(out)]
    assert main(argv) == 0
    _io.write_json(out / "checkpoint" / experiment.ELAPSED_FILE, {"epoch": 1, "seconds": 50.0})
    assert main(argv) == 0  # no --resume: starts again
    assert json.loads((out / "metrics.json").read_text())["wall_seconds"] == 0.0


def test_a_resume_without_a_checkpoint_does_not_count_a_stale_time(tmp_path, frozen_clock):
    out = tmp_path / "run"
    argv = ["train", *TINY, "--out", str(out)]
    assert main(argv) == 0
    _io.write_json(out / "checkpoint" / experiment.ELAPSED_FILE, {"epoch": 1, "seconds": 50.0})
    (out / "checkpoint" / "last.pt").unlink()
    (out / "metrics.json").unlink()
    assert main([*argv, "--resume"]) == 0  # trains from scratch
    assert json.loads((out / "metrics.json").read_text())["wall_seconds"] == 0.0


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_run_outputs_get_the_mode_the_umask_says(tmp_path, umask, mask, expected):
    umask(mask)
    out = tmp_path / "run"
    assert main(["train", *TINY, "--out", str(out)]) == 0
    files = [p for p in out.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"metrics.json", "metrics.csv", "history.json", "best.pt", "last.pt"}
    assert {p.name: mode(p) for p in files} == {p.name: expected for p in files}
