"""The ``mtlkit`` command: help, end-to-end runs on tiny data, and one-line errors with exit code 2."""

from __future__ import annotations

import json

import pytest
from cli_helpers import TINY

from mtlkit.cli import main


@pytest.mark.parametrize("command", ["train", "compare", "data", "capstone", "bench"])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: mtlkit " + command in capsys.readouterr().out


def test_train_writes_metrics_history_and_checkpoints(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *TINY, "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["test"]) == {"fine", "coarse", "coarse_from_fine"}
    assert all(0.0 <= m["acc"] <= 1.0 for m in metrics["test"].values())
    assert metrics["best_epoch"] == 1 and metrics["parameters"]["total"] > 0
    assert (out / "history.csv").read_text().startswith("epoch,")
    assert (out / "checkpoint" / "best.pt").exists() and (out / "checkpoint" / "last.pt").exists()
    assert "test" in capsys.readouterr().out


def test_resume_of_a_finished_run_returns_its_metrics_without_training(tmp_path):
    out = tmp_path / "run"
    assert main(["train", *TINY, "--out", str(out)]) == 0
    before = (out / "metrics.json").read_text()
    (out / "checkpoint" / "last.pt").unlink()  # training again would need it
    assert main(["train", *TINY, "--out", str(out), "--resume"]) == 0
    assert (out / "metrics.json").read_text() == before


@pytest.mark.parametrize(
    ("arch", "weighting", "extra"),
    [
        ("single", "equal", ["--tasks", "coarse"]),
        ("hard", "static", ["--weighting-arg", "gamma=0.3"]),
        ("hard", "uncertainty", []),
        ("hard", "dwa", []),
        ("hard", "gradnorm", []),
        ("hard", "pcgrad", []),
        ("soft", "equal", ["--arch-arg", "coupling=0.01"]),
        ("cross_stitch", "pcgrad", []),
        ("cross_stitch", "uncertainty", []),
    ],
)
def test_train_reaches_every_architecture_and_weighting(tmp_path, arch, weighting, extra):
    out = tmp_path / "run"
    assert main(["train", *TINY, "--arch", arch, "--weighting", weighting, *extra, "--out", str(out)]) == 0
    config = json.loads((out / "metrics.json").read_text())["config"]
    assert (config["arch"], config["weighting"]) == (arch, weighting)
    history = json.loads((out / "history.json").read_text())
    assert set(history["epochs"][0]["weights"]) == set(config["tasks"])


def test_static_gamma_is_recorded_as_the_weights(tmp_path):
    out = tmp_path / "run"
    main(["train", *TINY, "--weighting", "static", "--weighting-arg", "gamma=0.3", "--out", str(out)])
    weights = json.loads((out / "history.json").read_text())["epochs"][0]["weights"]
    assert weights == pytest.approx({"fine": 0.3, "coarse": 0.7})


def test_compare_writes_one_row_per_run(tmp_path, capsys):
    out = tmp_path / "cmp"
    assert main(["compare", *TINY, "--out", str(out)]) == 0
    rows = json.loads((out / "compare.json").read_text())
    assert [(r["mode"], r["weighting"]) for r in rows] == [
        ("stl_fine", "none"),
        ("stl_coarse", "none"),
        ("mtl", "equal"),
    ]
    assert rows[0]["coarse"] is None and rows[1]["fine"] is None and rows[2]["coarse_from_fine"] is not None
    assert (out / "compare.md").read_text().count("\n| ") == 4
    assert (out / "compare.csv").read_text().count("\n") == 4  # header + 3 runs
    table = capsys.readouterr().out
    assert "| stl_fine " in table and "| mtl " in table


def test_compare_resume_trains_nothing_finished_and_refuses_a_changed_recipe(tmp_path, capsys):
    out = tmp_path / "cmp"
    argv = ["compare", *TINY, "--tasks", "coarse", "--out", str(out)]
    assert main(argv) == 0
    before = (out / "compare.json").read_text()
    assert [r["mode"] for r in json.loads(before)] == ["stl_coarse", "mtl"]
    stamps = {p: p.stat().st_mtime_ns for p in out.glob("runs/*/metrics.json")}
    assert len(stamps) == 2
    assert main([*argv, "--resume"]) == 0
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps  # nothing retrained
    assert (out / "compare.json").read_text() == before
    capsys.readouterr()
    assert main([*argv, "--resume", "--lr", "0.01"]) == 2
    assert "different config (differs in lr)" in capsys.readouterr().err


def test_data_describe_and_verify_shapes(capsys):
    assert main(["data", "describe", "shapes"]) == 0
    assert main(["data", "verify", "shapes"]) == 0
    assert "shapes: ok" in capsys.readouterr().out
