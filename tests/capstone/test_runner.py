"""The capstone end to end on tiny shapes runs, in this process."""

import json

import pytest

from mtlkit.capstone import run_capstone
from mtlkit.cli import main
from mtlkit.errors import UserError

TINY = {"epochs": 1, "limit": 200, "device": "cpu"}


def quiet(_):
    pass


@pytest.mark.slow
def test_capstone_writes_every_output_then_skips_finished_runs(tmp_path):
    report = run_capstone(
        "quick", out=tmp_path, backbones=["cnn"], seeds=[0], overrides=TINY, progress=False, log=quiet
    )
    assert report["failed"] == {} and report["pending"] == []
    assert [r["run"] for r in report["rows"]] == [
        "shapes-cnn-stl_fine-none-s0",
        "shapes-cnn-stl_coarse-none-s0",
        "shapes-cnn-mtl-equal-s0",
    ]
    assert (tmp_path / "runs.csv").exists() and (tmp_path / "summary.md").exists()
    assert len(list((tmp_path / "figures").glob("*.png"))) == 3
    assert list(tmp_path.glob("runs/*/checkpoint/last.pt")) == []  # finished: no training state kept
    assert len(list(tmp_path.glob("runs/*/checkpoint/best.pt"))) == 3
    stamps = {p: p.stat().st_mtime_ns for p in tmp_path.glob("runs/*/metrics.json")}
    lines = []
    again = run_capstone(
        "quick", out=tmp_path, backbones=["cnn"], seeds=[0], overrides=TINY, progress=False, log=lines.append
    )
    assert lines[0] == "capstone quick: 3 runs, 3 already finished"
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps  # nothing retrained
    assert [r["fine"] for r in again["rows"]] == [r["fine"] for r in report["rows"]]


@pytest.mark.slow
def test_a_folder_of_another_preset_or_config_is_refused(tmp_path):
    run_capstone(
        "quick", out=tmp_path, backbones=["cnn"], seeds=[0], overrides=TINY, progress=False, log=quiet
    )
    with pytest.raises(UserError, match="holds a capstone of preset 'quick', not 'seed'"):
        run_capstone("seed", out=tmp_path, datasets=["shapes"], log=quiet)
    with pytest.raises(UserError, match="different config \\(differs in epochs\\)"):
        run_capstone("quick", out=tmp_path, backbones=["cnn"], overrides={**TINY, "epochs": 2}, log=quiet)


@pytest.mark.slow
def test_a_failing_run_is_reported_and_the_others_finish(tmp_path, monkeypatch):
    import mtlkit.experiment as experiment

    real = experiment.run

    def flaky(config, out, **kw):
        if config.arch == "hard":
            raise RuntimeError("out of memory")
        return real(config, out, **kw)

    monkeypatch.setattr(experiment, "run", flaky)
    report = run_capstone(
        "quick", out=tmp_path, backbones=["cnn"], seeds=[0], overrides=TINY, progress=False, log=quiet
    )
    assert report["failed"] == {"shapes-cnn-mtl-equal-s0": "RuntimeError: out of memory"}
    assert len(report["rows"]) == 2 and report["pending"] == ["shapes-cnn-mtl-equal-s0"]
    assert "out of memory" in (tmp_path / "runs/shapes-cnn-mtl-equal-s0/error.txt").read_text()
    assert "Not finished yet" in (tmp_path / "summary.md").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--preset", "fast"], "unknown preset 'fast'; choose one of: modern_small, quick, seed, strong"),
        (["--backbones", "resnet152"], "unknown backbone 'resnet152'"),
        (["--devices", "gpu0"], "--devices takes GPU indices or 'cpu'"),
        (["--datasets", "cifar10", "--root", "/nonexistent/data"], "cifar10"),
        (["--device", "tpu"], "bad device 'tpu'"),
    ],
)
def test_cli_mistakes_exit_2_with_one_line_and_no_output(args, message, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["capstone", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mtlkit: error: ") and message in err and err.count("\n") == 1
    assert not out.exists()


QUICK_CNN = {"backbone": "tiny_cnn", "backbone_kwargs": {"width": 16}}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {
                "backbones": {
                    "cnn": QUICK_CNN,
                    "vit": {"backbone": "vit_tiny", "backbone_kwargs": {"depht": 2}},
                }
            },
            "backbone 'vit_tiny' has no option 'depht'",
        ),
        (
            {"weighting": "static", "weighting_kwargs": {"static": {"gama": 0.5}}},
            "weighting 'static' has no option 'gama'",
        ),
    ],
)
def test_a_bad_option_of_any_planned_run_fails_before_any_output(
    changes, message, tmp_path, capsys, monkeypatch
):
    """Only a later planned run is bad (the ViT's, or the MTL runs'): still nothing trains or is written."""
    import dataclasses

    from mtlkit.capstone import presets

    monkeypatch.setitem(presets.PRESETS, "quick", dataclasses.replace(presets.QUICK, **changes))
    out = tmp_path / "out"
    assert main(["capstone", "--epochs", "1", "--limit", "100", "--quiet", "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("mtlkit: error: ") and message in captured.err
    assert captured.err.count("\n") == 1 and "==" not in captured.out  # no run started
    assert not out.exists()


def test_cli_help_lists_the_presets(capsys):
    with pytest.raises(SystemExit):
        main(["capstone", "--help"])
    assert "quick, modern_small, seed or strong" in capsys.readouterr().out


def test_run_json_records_the_cell_and_config(tmp_path, fake_run):
    from mtlkit.capstone import grid, presets
    from mtlkit.capstone.runner import _prepare

    planned = grid.plan(presets.get("quick"), backbones=["vit"])[2]
    directory = _prepare(tmp_path, planned)
    meta = json.loads((directory / "run.json").read_text())
    assert meta["mode"] == "mtl" and meta["backbone"] == "vit"
    assert meta["config"]["backbone"] == "vit_tiny" and meta["config"]["tasks"] == ["fine", "coarse"]


@pytest.mark.parametrize(
    "changed",
    [
        {"compile": True},
        {"root": "/elsewhere/data"},
        {"device": "cuda"},
        {"checkpoint_every": 5, "checkpoint_seconds": 60.0},
    ],
)
def test_a_resume_may_change_what_cannot_change_the_result(tmp_path, changed):
    from mtlkit.capstone import grid, presets
    from mtlkit.capstone.runner import _prepare

    planned = grid.plan(presets.get("quick"), backbones=["cnn"])[0]
    _prepare(tmp_path, planned)
    again = grid.plan(presets.get("quick"), backbones=["cnn"], overrides=changed)[0]
    directory = _prepare(tmp_path, again)  # no UserError
    held = json.loads((directory / "run.json").read_text())["config"]
    held = {**held, **held["train"]}  # the recipe's keys sit in its own dict
    assert {k: held[k] for k in changed} == changed  # a worker process resumes with the new choice


def test_a_finished_run_keeps_the_config_it_ran_with(tmp_path):
    from mtlkit.capstone import grid, presets
    from mtlkit.capstone.runner import _prepare

    directory = _prepare(tmp_path, grid.plan(presets.get("quick"), backbones=["cnn"])[0])
    (directory / "metrics.json").write_text("{}")
    _prepare(tmp_path, grid.plan(presets.get("quick"), backbones=["cnn"], overrides={"compile": True})[0])
    assert json.loads((directory / "run.json").read_text())["config"]["train"]["compile"] is False


def test_a_resume_that_changes_the_recipe_is_refused(tmp_path):
    from mtlkit.capstone import grid, presets
    from mtlkit.capstone.runner import _prepare

    _prepare(tmp_path, grid.plan(presets.get("quick"), backbones=["cnn"])[0])
    with pytest.raises(UserError, match=r"differs in amp, lr"):
        _prepare(
            tmp_path,
            grid.plan(presets.get("quick"), backbones=["cnn"], overrides={"lr": 1.0, "amp": "off"})[0],
        )


def test_a_finished_runs_training_state_is_deleted_and_its_best_weights_kept(tmp_path):
    from mtlkit.capstone.runner import drop_resume_state

    checkpoint = tmp_path / "checkpoint"
    checkpoint.mkdir()
    (checkpoint / "last.pt").write_bytes(b"state")
    (checkpoint / "best.pt").write_bytes(b"weights")
    assert drop_resume_state(tmp_path) is False  # not finished: the run resumes from last.pt
    assert (checkpoint / "last.pt").exists()
    (tmp_path / "metrics.json").write_text("{}")
    assert drop_resume_state(tmp_path) is True
    assert not (checkpoint / "last.pt").exists() and (checkpoint / "best.pt").exists()
    assert drop_resume_state(tmp_path) is False


def test_with_worker_devices_the_configs_own_device_is_not_checked():
    import torch

    from mtlkit.capstone import grid, presets
    from mtlkit.capstone.runner import check_runs

    if torch.cuda.is_available():
        pytest.skip("needs a machine without a GPU, where --device cuda is a mistake")
    runs = grid.plan(presets.get("quick"), backbones=["cnn"], overrides={"device": "cuda"})
    with pytest.raises(UserError, match="no CUDA GPU is available"):
        check_runs(runs)  # in-process runs would train on cuda
    check_runs(runs, devices=["cpu", "cpu"])  # workers get --device cpu from the scheduler
