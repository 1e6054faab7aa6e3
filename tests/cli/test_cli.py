"""The ``mtlkit`` command: help, end-to-end runs on tiny data, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mtlkit.cli import main

TINY = ["--limit", "120", "--epochs", "1", "--batch-size", "32", "--backbone-arg", "width=8", "--quiet"]


def run_cli(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mtlkit.cli", *argv], capture_output=True, text=True)


@pytest.mark.parametrize("command", ["train", "compare", "data"])
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
    assert [r["run"] for r in rows] == ["stl_fine", "stl_coarse", "mtl_fine+coarse"]
    assert rows[0]["coarse"] is None and rows[1]["fine"] is None and rows[2]["coarse_from_fine"] is not None
    assert (out / "compare.md").read_text().count("\n| ") == 4
    assert "mtl_fine+coarse" in capsys.readouterr().out


def test_data_describe_and_verify_shapes(capsys):
    assert main(["data", "describe", "shapes"]) == 0
    assert main(["data", "verify", "shapes"]) == 0
    assert "shapes: ok" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["train", "--dataset", "mnist"],
            "unknown dataset 'mnist'; choose one of: cifar10, cifar100, shapes",
        ),
        (["train", "--backbone", "vgg"], "unknown backbone 'vgg'"),
        (["train", "--arch", "mixture"], "cross_stitch"),
        (["train", "--weighting", "magic"], "uncertainty"),
        (["train", "--tasks", "fine,colour"], "no task(s) ['colour']"),
        (["train", "--arch", "single"], "arch 'single' trains one task"),
        (["train", "--backbone-arg", "depth=3"], "valid options"),
        (["train", "--optimizer", "lbfgs"], "unknown optimizer"),
    ],
)
def test_user_errors_print_one_line_and_exit_2(tmp_path, capsys, argv, message):
    out = tmp_path / "never"
    assert main([*argv, *TINY, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mtlkit: error: ") and err.count("\n") == 1
    assert message in err
    assert not out.exists(), "a failed command must leave no output behind"


def test_resume_without_an_output_folder_is_refused(capsys):
    assert main(["train", *TINY, "--resume"]) == 2
    assert "--resume needs --out" in capsys.readouterr().err


def test_missing_cifar_says_how_to_get_it(tmp_path):
    result = run_cli("train", "--dataset", "cifar10", "--root", str(tmp_path), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "download" in result.stderr
    assert not (tmp_path / "out").exists()


def test_an_output_path_that_is_a_file_is_refused(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run_cli("train", *TINY, "--out", str(blocker))
    assert result.returncode == 2 and "not a folder" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "argv", [["train", "--epochs", "0"], ["train", "--lr", "-1"], ["train", "--val-fraction", "1.5"]]
)
def test_bad_numbers_are_rejected_by_the_parser(argv):
    result = run_cli(*argv)
    assert result.returncode == 2 and "Traceback" not in result.stderr and "expected" in result.stderr
