"""The prepared GPU check runs end to end on a CPU in smoke mode and writes one JSON file."""

from __future__ import annotations

import json

import pytest

from mtlkit.bench.gpu_check import check, full_cell, main, synthetic_cifar


def test_smoke_check_writes_speed_rows_and_a_trained_cell(tmp_path):
    out = tmp_path / "gpu_check.json"
    record = check(str(out), smoke=True, device="cpu")
    assert json.loads(out.read_text()) == json.loads(json.dumps(record))
    assert [r["backbone"] for r in record["speed"]] == ["cnn", "vit"]  # one multi-task model per backbone
    for row in record["speed"]:
        assert row["images_per_s"] > 0 and row["plain_images_per_s"] > 0 and row["mfu"] is None  # CPU
    [lesson] = record["lessons"]  # lesson 1's quick run, as a script
    assert lesson["lesson"] == "01_why_multitask" and lesson["rc"] == 0 and lesson["seconds"] > 0, lesson
    cell = record["cell"]
    assert cell["run"] == "shapes-cnn-mtl-equal-s0" and 0.0 <= cell["test"]["fine"] <= 1.0
    assert record["finished"] >= record["started"]


def test_without_cifar_the_full_cell_is_skipped_with_the_reason(tmp_path):
    assert "pass --cifar DIR" in full_cell(str(tmp_path), "cpu", smoke=False)["skipped"]


def test_synthetic_cifar_has_the_shapes_and_tasks_of_cifar100():
    data = synthetic_cifar("cifar100", 64)
    assert tuple(data.images.shape) == (64, 3, 32, 32) and data.tasks == {"fine": 100, "coarse": 20}
    assert (data.coarse_of_fine[data.labels["fine"]] == data.labels["coarse"]).all()


def test_parts_run_alone_and_an_unknown_part_is_refused(tmp_path, capsys):
    record = check(str(tmp_path / "cell.json"), smoke=True, device="cpu", parts=["cell"])
    assert "cell" in record and "speed" not in record and "lessons" not in record
    with pytest.raises(SystemExit) as exit_info:
        main([str(tmp_path / "x.json"), "--smoke", "--parts", "speed,lesons"])
    assert exit_info.value.code == 2 and "choose from speed, lessons, cell" in capsys.readouterr().err
