"""What ``mtlkit train --out`` writes: metrics.csv, head specs, timing across resumes, file modes."""

from __future__ import annotations

import csv
import json
import statistics
import types

import pytest
from cli_helpers import TINY, mode

from mtlkit import _io, experiment, run_clock
from mtlkit.cli import main
from mtlkit.train import TrainConfig


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
    frozen = types.SimpleNamespace(perf_counter=lambda: 1000.0)
    monkeypatch.setattr(experiment, "time", frozen)
    monkeypatch.setattr(run_clock, "time", frozen)


def elapsed_record(out) -> dict[str, float]:
    return json.loads((out / "checkpoint" / run_clock.ELAPSED_FILE).read_text())["seconds_at_end_of_epoch"]


def write_elapsed(out, seconds: dict[str, float]) -> None:
    _io.write_json(out / "checkpoint" / run_clock.ELAPSED_FILE, {"seconds_at_end_of_epoch": seconds})


def test_wall_seconds_count_the_attempts_before_a_resume(tmp_path, frozen_clock):
    out = tmp_path / "run"
    argv = ["train", *TINY, "--epochs", "2", "--out", str(out)]
    assert main(argv) == 0
    assert elapsed_record(out) == {"1": 0.0, "2": 0.0}
    write_elapsed(out, {"1": 30.0, "2": 50.0})  # as if the first attempt had taken 50 s
    (out / "metrics.json").unlink()  # ... and had been killed before writing its result
    assert main([*argv, "--resume"]) == 0  # last.pt is after epoch 2: nothing left to train
    assert json.loads((out / "metrics.json").read_text())["wall_seconds"] == 50.0


def test_a_fresh_run_in_an_old_folder_does_not_count_the_old_time(tmp_path, frozen_clock):
    out = tmp_path / "run"
    argv = ["train", *TINY, "--out", str(out)]
    assert main(argv) == 0
    write_elapsed(out, {"1": 50.0})
    assert main(argv) == 0  # no --resume: starts again
    assert json.loads((out / "metrics.json").read_text())["wall_seconds"] == 0.0


def test_a_resume_without_a_checkpoint_does_not_count_a_stale_time(tmp_path, frozen_clock):
    out = tmp_path / "run"
    argv = ["train", *TINY, "--out", str(out)]
    assert main(argv) == 0
    write_elapsed(out, {"1": 50.0})
    (out / "checkpoint" / "last.pt").unlink()
    (out / "metrics.json").unlink()
    assert main([*argv, "--resume"]) == 0  # trains from scratch
    assert json.loads((out / "metrics.json").read_text())["wall_seconds"] == 0.0


class Interrupted(Exception):
    pass


@pytest.fixture
def epoch_clock(monkeypatch):
    """A wall clock that advances 10 s per epoch (at each of fit's callbacks), and a switch that
    interrupts the run right after a given epoch's callback."""
    state = {"now": 0.0, "stop_after": None, "epochs": []}
    ticking = types.SimpleNamespace(perf_counter=lambda: state["now"])
    monkeypatch.setattr(experiment, "time", ticking)
    monkeypatch.setattr(run_clock, "time", ticking)
    save = run_clock.RunClock.save

    def ticking_save(self, record):
        state["now"] += 10.0
        state["epochs"].append(record["epoch"])
        save(self, record)
        if record["epoch"] == state["stop_after"]:
            raise Interrupted

    monkeypatch.setattr(run_clock.RunClock, "save", ticking_save)
    return state


def test_a_resume_from_an_earlier_epoch_does_not_count_the_lost_epochs(tmp_path, epoch_clock):
    recipe = TrainConfig(epochs=4, batch_size=32, checkpoint_every=2)
    config = experiment.RunConfig(limit=120, backbone_kwargs={"width": 8}, train=recipe)
    out = tmp_path / "run"
    epoch_clock["stop_after"] = 3  # killed after epoch 3, whose training state was never saved
    with pytest.raises(Interrupted):
        experiment.run(config, out, progress=False)
    assert elapsed_record(out) == {"1": 10.0, "2": 20.0, "3": 30.0}
    epoch_clock["stop_after"], epoch_clock["epochs"] = None, []
    result = experiment.run(config, out, resume=True, progress=False)
    assert epoch_clock["epochs"] == [3, 4]  # last.pt was saved after epoch 2 (checkpoint_every=2)
    # epochs 1-2 of the first attempt (20 s) + epochs 3-4 of this one (20 s); the lost epoch 3 not
    assert result["wall_seconds"] == 40.0
    assert elapsed_record(out) == {"1": 10.0, "2": 20.0, "3": 30.0, "4": 40.0}


def test_checkpoint_options_reach_the_config_and_bad_values_are_refused(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", *TINY, "--checkpoint-every", "3", "--checkpoint-seconds", "0.5", "--out", str(out)]
    assert main(argv) == 0
    config = json.loads((out / "metrics.json").read_text())["config"]
    assert (config["train"]["checkpoint_every"], config["train"]["checkpoint_seconds"]) == (3, 0.5)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main(["train", *TINY, "--checkpoint-seconds", "soon"])
    assert exited.value.code == 2
    assert "--checkpoint-seconds: expected a number, got 'soon'" in capsys.readouterr().err
    with pytest.raises(experiment.UserError, match="checkpoint_every must be a positive integer"):
        TrainConfig(checkpoint_every=0)


def test_an_elapsed_record_in_an_older_format_counts_this_attempt_only(tmp_path, frozen_clock):
    out = tmp_path / "run"
    argv = ["train", *TINY, "--epochs", "2", "--out", str(out)]
    assert main(argv) == 0
    _io.write_json(out / "checkpoint" / run_clock.ELAPSED_FILE, {"epoch": 2, "seconds": 50.0})
    (out / "metrics.json").unlink()
    assert main([*argv, "--resume"]) == 0
    assert json.loads((out / "metrics.json").read_text())["wall_seconds"] == 0.0


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_run_outputs_get_the_mode_the_umask_says(tmp_path, umask, mask, expected):
    umask(mask)
    out = tmp_path / "run"
    assert main(["train", *TINY, "--out", str(out)]) == 0
    files = [p for p in out.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"metrics.json", "metrics.csv", "history.json", "best.pt", "last.pt"}
    assert {p.name: mode(p) for p in files} == {p.name: expected for p in files}


def test_a_fresh_run_killed_in_a_used_folder_leaves_no_earlier_result_to_resume(tmp_path, epoch_clock):
    out = tmp_path / "run"
    argv = ["train", *TINY, "--epochs", "2", "--out", str(out)]
    assert main(argv) == 0  # an earlier, finished run
    epoch_clock["stop_after"] = 1
    with pytest.raises(Interrupted):  # a fresh run in the same folder, killed after epoch 1
        main([*argv, "--seed", "1"])
    assert not (out / "metrics.json").exists() and not (out / "metrics.csv").exists()
    assert main([*argv, "--seed", "1", "--resume"]) == 0  # resumes the new run, not the old result
    assert json.loads((out / "metrics.json").read_text())["config"]["train"]["seed"] == 1
