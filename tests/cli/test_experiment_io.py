"""The experiment runner's helpers: epoch timing, validation, output folders; atomic writes' file modes."""

from __future__ import annotations

import os

import pytest
from cli_helpers import mode

from mtlkit import _io
from mtlkit.errors import UserError
from mtlkit.experiment import RunConfig, output_folder, validate
from mtlkit.run_clock import epoch_timing
from mtlkit.train import TrainConfig


def epochs(seconds, images_per_s):
    return [{"seconds": s, "images_per_s": r} for s, r in zip(seconds, images_per_s, strict=True)]


def test_images_per_second_weights_each_epoch_by_its_time():
    # 100 images per epoch; a slow first epoch (compile, warm-up) at 25 img/s, then 100 and 50 img/s
    timing = epoch_timing(epochs([4.0, 1.0, 2.0], [25.0, 100.0, 50.0]))
    assert timing["images_per_s"] == pytest.approx(300 / 7)  # the mean of the rates would say 58.3
    assert timing["seconds_per_epoch"] == pytest.approx(7 / 3)
    assert timing["median_seconds_per_epoch_after_first"] == pytest.approx(1.5)


def test_one_epoch_has_no_time_after_the_first():
    timing = epoch_timing(epochs([2.0], [50.0]))
    assert timing == {
        "seconds_per_epoch": 2.0,
        "median_seconds_per_epoch_after_first": None,
        "images_per_s": 50.0,
    }


def test_median_after_the_first_epoch_ignores_a_slow_outlier():
    timing = epoch_timing(epochs([30.0, 1.0, 1.2, 9.0, 1.1], [1.0] * 5))
    assert timing["median_seconds_per_epoch_after_first"] == pytest.approx(1.15)


SHAPES_TASKS = {"fine": 12, "coarse": 4}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"backbone": "nope"}, "unknown backbone 'nope'"),
        ({"head": "bogus"}, "unknown head 'bogus'"),
        ({"head": {"hidden": [8]}}, "'type' key"),
        ({"weighting": "bogus"}, "unknown weighting 'bogus'"),
        ({"arch": "soft", "weighting": "gradnorm"}, "gradnorm needs parameters shared"),
        ({"arch": "hard", "arch_kwargs": {"coupling": 1.0}}, "has no option 'coupling'; valid options: none"),
        ({"backbone": "resnet152", "backbone_kwargs": {"stem": "tiny"}}, "stem must be one of"),
        ({"device": "tpu"}, "bad device"),
        ({"tasks": ("fine", "colour")}, "no task(s) ['colour']"),
    ],
)
def test_validate_reports_every_bad_name_or_option(overrides, message):
    with pytest.raises(UserError) as info:
        validate(RunConfig(**overrides), SHAPES_TASKS)
    assert message in str(info.value)


def test_validate_asks_the_weighting_whether_it_can_train_the_model(monkeypatch):
    from mtlkit.weighting import Equal

    seen = []

    def refuse(self, model):
        seen.append(type(model).__name__)
        raise UserError("equal refuses this model")

    monkeypatch.setattr(Equal, "check_model", refuse)
    with pytest.raises(UserError, match="equal refuses this model"):
        validate(RunConfig(weighting="equal"), SHAPES_TASKS)
    assert seen == ["HardSharing"]


@pytest.mark.parametrize("backbone", ["tiny_cnn", "resnet152", "vit_seed"])
@pytest.mark.parametrize("arch", ["hard", "cross_stitch"])
def test_validate_accepts_good_configs_without_building_real_weights(backbone, arch):
    validate(RunConfig(backbone=backbone, arch=arch, head="seed", weighting="gradnorm"), SHAPES_TASKS)


def test_validating_a_cpu_run_under_torchrun_joins_gloo_not_nccl(fake_gpu_world):
    validate(RunConfig(device="cpu"), SHAPES_TASKS)
    assert fake_gpu_world == {"backend": "gloo"}  # no NCCL, no GPU pinned


@pytest.mark.parametrize("device", ["cpu", "auto"])
def test_run_joins_the_group_for_the_configs_device(monkeypatch, device):
    from mtlkit import experiment
    from mtlkit.train import distributed

    asked = []

    def setup(requested=None):
        asked.append(requested)
        return distributed.Context()

    monkeypatch.setattr(distributed, "setup", setup)
    recipe = TrainConfig(epochs=1, batch_size=32)
    config = RunConfig(device=device, limit=64, backbone_kwargs={"width": 4}, train=recipe)
    experiment.run(config, progress=False)
    assert asked == [device]  # once per run: fit and the checks use the run's context


def test_output_folder_removes_what_it_created_on_a_user_error(tmp_path):
    with pytest.raises(UserError), output_folder(tmp_path / "new" / "run") as out:
        (out / "partial.json").write_text("{}")
        raise UserError("late")
    assert list(tmp_path.iterdir()) == []


def test_output_folder_keeps_what_existed_and_other_errors_leave_the_folder(tmp_path):
    (tmp_path / "old").mkdir()
    with pytest.raises(UserError), output_folder(tmp_path / "old" / "run"):
        raise UserError("late")
    assert [p.name for p in tmp_path.iterdir()] == ["old"] and list((tmp_path / "old").iterdir()) == []
    with pytest.raises(RuntimeError), output_folder(tmp_path / "crash"):
        raise RuntimeError("a bug, not a user error: keep the evidence")
    assert (tmp_path / "crash").is_dir()


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_a_new_file_gets_the_mode_open_would_give(tmp_path, umask, mask, expected):
    umask(mask)
    assert _io.current_umask() == mask
    _io.write_text(tmp_path / "a.txt", "x")
    with open(tmp_path / "b.txt", "w") as f:  # what the user would get without atomic writes
        f.write("x")
    assert mode(tmp_path / "a.txt") == expected == mode(tmp_path / "b.txt")


def test_replacing_a_file_keeps_its_mode(tmp_path, umask):
    path = tmp_path / "grades.csv"
    path.write_text("old")
    os.chmod(path, 0o604)
    _io.write_json(path, {"new": True})
    assert mode(path) == 0o604 and "new" in path.read_text()


def test_a_failed_write_leaves_neither_a_temporary_file_nor_a_change(tmp_path):
    path = tmp_path / "metrics.json"
    path.write_text("old")

    def broken(f):
        f.write(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        _io.atomic_write(path, broken)
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_the_clock_carries_the_latest_record_at_or_before_the_resumed_epoch(tmp_path):
    from mtlkit.run_clock import ELAPSED_FILE, RunClock
    from mtlkit.train.checkpoint import LAST

    (tmp_path / LAST).write_bytes(b"")  # a checkpoint to resume from
    _io.write_json(tmp_path / ELAPSED_FILE, {"seconds_at_end_of_epoch": {"1": 10.0, "2": 20.0}})
    clock = RunClock(tmp_path, resume=True, started=0.0, writes=False)
    assert clock._carried(3) == 20.0  # died after saving last.pt at epoch 3, before recording it
    clock = RunClock(tmp_path, resume=True, started=0.0, writes=False)
    assert clock._carried(1) == 10.0
