"""User errors: one line on stderr, exit status 2, no traceback, and nothing written to ``--out``."""

from __future__ import annotations

import pytest
from cli_helpers import TINY, run_cli

from mtlkit import experiment
from mtlkit.cli import main
from mtlkit.errors import UserError


def one_error_line(err: str, prefix: str = "mtlkit: error: ") -> str:
    assert err.startswith(prefix) and err.count("\n") == 1 and err.endswith("\n"), err
    assert "Traceback" not in err
    return err


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
        (["train", "--head", "bogus"], "unknown head 'bogus'"),
        (["train", "--device", "tpu"], "bad device 'tpu'"),
        (["train", "--arch", "single", "--tasks", "fine", "--weighting", "gradnorm"], "gradnorm needs"),
        (["train", "--arch", "soft", "--weighting", "gradnorm"], "gradnorm needs"),
        (["train", "--weighting", "static", "--weighting-arg", "gamma=2"], "gamma must be in [0, 1]"),
        (["compare", "--weighting", "bogus"], "unknown weighting 'bogus'"),
        (["compare", "--backbone", "nope"], "unknown backbone 'nope'"),
        (["compare", "--head", "bogus"], "unknown head 'bogus'"),
        (["compare", "--backbone-arg", "depth=3"], "valid options"),
        (["compare", "--weighting", "static", "--weighting-arg", "gamma=2"], "gamma must be in [0, 1]"),
        (
            ["compare", "--weighting", "dwa", "--weighting-arg", "colour=1"],
            "has no option 'colour'; valid options: temperature=2.0",
        ),
        (["compare", "--tasks", "fine,colour"], "no task(s) ['colour']"),
        (["compare", "--tasks", "fine,fine"], "tasks listed twice"),
        (["compare", "--device", "tpu"], "bad device 'tpu'"),
    ],
)
def test_user_errors_print_one_line_exit_2_and_write_nothing(tmp_path, capsys, argv, message):
    out = tmp_path / "never"
    assert main([*argv, *TINY, "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert message in one_error_line(captured.err)
    assert "==" not in captured.out, "no run may start before every run's config is checked"
    assert not out.exists(), "a failed command must leave no output behind"


def test_compare_checks_the_multi_task_weighting_before_training_anything(tmp_path, monkeypatch, capsys):
    trained = []
    monkeypatch.setattr(experiment, "run", lambda *a, **k: trained.append(a))
    assert main(["compare", *TINY, "--weighting", "bogus", "--out", str(tmp_path / "cmp")]) == 2
    assert trained == [] and not (tmp_path / "cmp").exists()


def test_a_failed_command_keeps_an_existing_output_folder_as_it_was(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert main(["compare", *TINY, "--weighting", "bogus", "--out", str(out)]) == 2
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_a_user_error_during_training_removes_the_folders_this_call_created(tmp_path, monkeypatch, capsys):
    def fail(*args, **kwargs):
        raise UserError("found late")

    monkeypatch.setattr(experiment, "_train_and_test", fail)
    out = tmp_path / "a" / "b" / "run"
    assert main(["train", *TINY, "--out", str(out)]) == 2
    assert "found late" in one_error_line(capsys.readouterr().err)
    assert not (tmp_path / "a").exists(), "the parents this call created go too"


def test_a_user_error_during_a_resumed_run_keeps_its_folder(tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    assert main(["train", *TINY, "--out", str(out)]) == 0
    (out / "metrics.json").unlink()  # as if interrupted before the end

    def fail(*args, **kwargs):
        raise UserError("found late")

    monkeypatch.setattr(experiment, "_train_and_test", fail)
    assert main(["train", *TINY, "--out", str(out), "--resume"]) == 2
    assert (out / "checkpoint" / "last.pt").exists()


def test_resume_without_an_output_folder_is_refused(capsys):
    assert main(["train", *TINY, "--resume"]) == 2
    assert "--resume needs --out" in one_error_line(capsys.readouterr().err)


def test_missing_cifar_says_how_to_get_it(tmp_path):
    result = run_cli("train", "--dataset", "cifar10", "--root", str(tmp_path), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "download" in one_error_line(result.stderr)
    assert not (tmp_path / "out").exists()


def test_an_output_path_that_is_a_file_is_refused(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run_cli("train", *TINY, "--out", str(blocker))
    assert result.returncode == 2 and "not a folder" in one_error_line(result.stderr)
    assert blocker.read_text() == "x"


@pytest.mark.parametrize(
    ("argv", "prog", "message"),
    [
        (
            ["train", "--epochs", "-1"],
            "mtlkit train",
            "argument --epochs: epochs must be a positive integer, got -1",
        ),
        (["train", "--epochs", "0"], "mtlkit train", "epochs must be a positive integer"),
        (["train", "--epochs", "two"], "mtlkit train", "argument --epochs: expected an integer, got 'two'"),
        (["train", "--lr", "-1"], "mtlkit train", "argument --lr: lr must be a number > 0"),
        (
            ["train", "--optimizer", "lbfgs"],
            "mtlkit train",
            "argument --optimizer: unknown optimizer 'lbfgs'",
        ),
        (["train", "--val-fraction", "1.5"], "mtlkit train", "strictly between 0 and 1"),
        (["train", "--head", "0"], "mtlkit train", "positive hidden sizes like 256,128, got '0'"),
        (["train", "--head", "64,0"], "mtlkit train", "positive hidden sizes"),
        (
            ["train", "--amp", "fp8"],
            "mtlkit train",
            "argument --amp: unknown amp 'fp8'; choose one of: auto, bf16, fp16, off",
        ),
        (["train", "--colour", "red"], "mtlkit train", "unrecognized arguments: --colour red"),
        (["compare", "--batch-size", "x"], "mtlkit compare", "argument --batch-size"),
        (["compare", "--backbone-arg", "width"], "mtlkit compare", "expected KEY=VALUE"),
        (["data", "fetch", "shapes"], "mtlkit data", "argument action: invalid choice: 'fetch'"),
        (["data"], "mtlkit data", "the following arguments are required: action, name"),
        (
            ["capstone", "--seeds", "a,b", "--out", "x"],
            "mtlkit capstone",
            "expected comma-separated integers",
        ),
        (["bench", "--steps", "0"], "mtlkit bench", "argument --steps"),
        (["fly"], "mtlkit", "argument COMMAND: invalid choice: 'fly'"),
        ([], "mtlkit", "no command given; choose one of: train, compare, data, capstone, bench"),
    ],
)
def test_parser_errors_are_one_line_naming_the_command_and_its_help(tmp_path, argv, prog, message):
    result = run_cli(*argv)
    assert result.returncode == 2
    line = one_error_line(result.stderr, f"{prog}: error: ")
    assert message in line and line.endswith(f"(see {prog} --help)\n")
    assert result.stdout == ""
