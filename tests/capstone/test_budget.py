"""`mtlkit bench --budget`: the FLOP calculation of a preset's grid, checked by hand on the quick preset."""

from __future__ import annotations

import pytest

from mtlkit.backbones import count_flops
from mtlkit.bench.budget import budget, gpu_peak, report, required_mfu, split_sizes
from mtlkit.capstone import grid, presets
from mtlkit.cli import main
from mtlkit.errors import UserError
from mtlkit.experiment import build_model


def quick_mtl_cnn():
    return next(r for r in grid.plan(presets.get("quick"), backbones=["cnn"]) if r.mode == "mtl")


def test_split_sizes_follow_load_splits_and_drop_last():
    config = quick_mtl_cnn().config
    # shapes: a pool of 11,000 -> 1,100 val and 9,900 train, and a test pool of 2,000; the preset caps
    # each split at `limit` images, and fit trains only full batches (drop_last)
    limit, batch = config.limit, config.train.batch_size
    assert config.val_fraction == 0.1 and 1100 <= limit <= 9900
    assert split_sizes(config) == (limit // batch * batch, 1100, 2000)


def test_one_runs_flops_by_hand():
    planned = quick_mtl_cnn()
    (row,) = [r for r in budget("quick", backbones=["cnn"], seeds=[0]) if r.mode == "mtl"]
    forward = count_flops(build_model(planned.config, {"fine": 12, "coarse": 4}))  # a real CPU model
    assert row.forward_flops == forward > 0
    epochs = planned.config.train.epochs
    trained = planned.config.limit // 64 * 64
    assert row.flops == 3 * forward * trained * epochs + forward * (1100 * epochs + 2000)


def test_the_grid_is_grouped_by_dataset_backbone_and_mode():
    rows = budget("quick", backbones=["cnn"], seeds=[0, 1, 2])
    assert [(r.dataset, r.backbone, r.mode, r.runs) for r in rows] == [
        ("shapes", "cnn", "stl_fine", 3),
        ("shapes", "cnn", "stl_coarse", 3),
        ("shapes", "cnn", "mtl", 3),
    ]
    assert rows[0].flops == 3 * rows[0].flops_per_run


def test_required_mfu():
    # 1.8e18 FLOP in 30 min on a 1e15 FLOP/s GPU: 1e15 FLOP/s needed, i.e. 100%
    assert required_mfu(1.8e18, 30, 1e15) == pytest.approx(1.0)
    assert gpu_peak("H100") == (989e12, "bf16") and gpu_peak("H100 NVL") == (835e12, "bf16")
    assert gpu_peak("T4") == (65e12, "fp16")  # NVIDIA T4 data sheet: no bf16 tensor cores
    with pytest.raises(UserError, match="unknown GPU 'P100'"):
        gpu_peak("P100")


def test_the_report_says_it_is_a_calculation_and_adds_up():
    rows = budget("quick", backbones=["cnn"], seeds=[0])
    text = report(rows, "quick", "A100", 30)
    total = sum(r.flops for r in rows)
    assert "FLOP-count calculation for preset 'quick' (not a measurement)" in text
    assert f"Total: {total / 1e15:.2f} PFLOP over 3 runs." in text
    assert f"sustain {100 * total / (1800 * 312e12):.1f}% MFU" in text


def test_cli_prints_the_budget(capsys):
    assert main(["bench", "--budget", "--preset", "quick", "--backbones", "cnn", "--gpu", "H100"]) == 0
    out = capsys.readouterr().out
    assert "| shapes  | cnn      | mtl " in out and "on one H100 (989 TFLOP/s dense bf16)" in out


def test_cli_unknown_gpu_is_one_line(capsys):
    assert main(["bench", "--budget", "--preset", "quick", "--backbones", "cnn", "--gpu", "K80"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mtlkit: error: unknown GPU 'K80'") and err.count("\n") == 1


def test_the_t4_preset_fits_an_hour_on_a_t4_at_ten_percent_utilisation():
    # the lesson-7 default for a GPU: its grid in 60 min must need at most 10% of the T4's fp16 peak
    rows = budget("modern_small")
    assert len(rows) == 12
    assert required_mfu(sum(r.flops for r in rows), 60, gpu_peak("T4")[0]) <= 0.10
