import pytest

from mtlkit.bench.mfu import mfu, peak_flops
from mtlkit.cli import main


@pytest.mark.parametrize(
    ("name", "peak"),
    [
        ("NVIDIA H100 80GB HBM3", 989e12),
        ("NVIDIA H100 PCIe", 756e12),
        ("NVIDIA H100 NVL", 835e12),
        ("NVIDIA H200", 989e12),
        ("NVIDIA H200 NVL", 835e12),
        ("NVIDIA A100-SXM4-80GB", 312e12),
        ("Tesla T4", 65e12),  # fp16: the T4 has no bf16 tensor cores
        ("cpu (x86_64, 2 threads)", None),
    ],
)
def test_peak_flops_by_device_name(name, peak):
    assert peak_flops(name, half=True) == peak


def test_the_most_specific_name_wins_whatever_the_table_order(monkeypatch):
    from mtlkit.bench import mfu as module

    reversed_table = dict(reversed(list(module.PEAK_BF16.items())))
    monkeypatch.setattr(module, "PEAK_BF16", reversed_table)
    assert peak_flops("NVIDIA H100 NVL", half=True) == 835e12
    assert peak_flops("NVIDIA H100 80GB HBM3", half=True) == 989e12


def test_no_peak_in_fp32():
    assert peak_flops("NVIDIA H100 80GB HBM3", half=False) is None


def test_mfu_by_hand():
    # 1 GFLOP forward -> 3 GFLOP per trained image; 100,000 images/s -> 3e14 FLOP/s of 1e15 peak: 30%
    assert mfu(1e9, 1e5, 1e15) == pytest.approx(0.3)
    assert mfu(1e9, 1e5, None) is None


@pytest.mark.slow
def test_bench_runs_on_the_cpu_with_a_tiny_setting(capsys, tmp_path):
    out = tmp_path / "bench.json"
    args = ["bench", "--preset", "quick", "--backbones", "cnn", "--steps", "2", "--batch-size", "16"]
    assert main([*args, "--device", "cpu", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| cnn " in printed and "n/a" in printed  # no MFU on a CPU
    import json

    (row,) = json.loads(out.read_text())
    assert row["images_per_s"] > 0 and row["plain_images_per_s"] > 0
    assert row["ours_vs_plain"] == pytest.approx(row["images_per_s"] / row["plain_images_per_s"])
    from mtlkit.capstone.presets import QUICK

    train_images = QUICK.common["limit"]  # the quick preset caps every split
    assert row["s_per_epoch"] == pytest.approx(train_images / row["images_per_s"])
    assert row["gflops_per_image"] > 0 and row["mfu"] is None


def test_bench_rejects_an_unknown_backbone(capsys):
    assert main(["bench", "--preset", "quick", "--backbones", "resnet", "--device", "cpu"]) == 2
    assert "unknown backbone 'resnet'" in capsys.readouterr().err
