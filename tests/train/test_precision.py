"""Mixed precision by hardware: bf16 where the GPU has bf16 tensor cores, fp16 + loss scaling on
T4/V100, float32 on the CPU. GPUs are faked by patching torch.cuda's capability checks; fp16 training
with a real GradScaler runs on the CPU."""

from __future__ import annotations

import pytest
import torch

from mtlkit.errors import UserError
from mtlkit.train import TrainConfig, fit, resolve_precision, setup
from mtlkit.train.device import autocast_format
from mtlkit.weighting import create as create_weighting

CUDA = torch.device("cuda", 0)


@pytest.fixture
def fake_gpu(monkeypatch):
    """A visible CUDA GPU, T4-like (no native bf16; bf16 only emulated) unless ``native_bf16`` is set."""
    gpu = {"native_bf16": False, "name": "Tesla T4"}

    def is_bf16_supported(including_emulation: bool = True) -> bool:
        return gpu["native_bf16"] or including_emulation  # emulation would "support" bf16 everywhere

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", is_bf16_supported)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: gpu["name"])
    return gpu


def test_auto_is_bf16_on_a_gpu_with_bf16_tensor_cores(fake_gpu):
    fake_gpu.update(native_bf16=True, name="NVIDIA H100")
    precision = resolve_precision("cuda", "auto")
    assert precision.dtype == torch.bfloat16 and not precision.scaled
    assert precision.channels_last


def test_auto_is_fp16_with_loss_scaling_on_a_t4(fake_gpu):
    precision = resolve_precision("cuda", "auto")
    assert precision.dtype == torch.float16 and precision.scaled


def test_auto_is_float32_on_the_cpu():
    precision = resolve_precision("cpu", "auto")
    assert precision.dtype is None and not precision.amp and not precision.scaled
    assert precision.scaler().state_dict() == {}  # a disabled scaler: a pass-through


def test_bf16_asked_for_on_a_t4_says_what_to_use(fake_gpu):
    with pytest.raises(UserError, match=r"Tesla T4 has no bf16 tensor cores.*'auto' or 'fp16'"):
        autocast_format("bf16", CUDA)


def test_a_gradient_method_trains_in_float32_on_an_fp16_only_gpu(fake_gpu, make_model):
    model = make_model({"fine": 12, "coarse": 4})
    gradnorm = create_weighting("gradnorm", model.tasks)
    assert setup(TrainConfig(), "cuda", model=model, weighting=gradnorm).precision.dtype is None
    equal = create_weighting("equal", model.tasks)
    assert setup(TrainConfig(), "cuda", model=model, weighting=equal).precision.dtype == torch.float16
    with pytest.raises(UserError, match="cannot use fp16 loss scaling"):
        setup(TrainConfig(amp="fp16"), "cuda", model=model, weighting=gradnorm)


def test_fp16_trains_with_an_active_loss_scaler_and_resume_restores_it(small_shapes, make_model, tmp_path):
    train, val = small_shapes
    train = train.take(192)
    recipe = TrainConfig(epochs=2, batch_size=64, lr=3e-3, augment=False, amp="fp16", channels_last=False)
    straight = fit(make_model(train.tasks), train, val, recipe, progress=False, checkpoint_dir=tmp_path / "a")
    assert all(torch.isfinite(torch.tensor(m["loss"])) for m in straight.epochs[-1]["train"].values())
    state = torch.load(tmp_path / "a" / "last.pt", weights_only=False)
    assert state["scaler"]["scale"] > 1.0  # an active scaler (a disabled one saves {})

    class Stop(Exception):
        pass

    def stop_after_one(record):
        if record["epoch"] == 1:
            raise Stop

    folder = tmp_path / "b"
    with pytest.raises(Stop):
        fit(
            make_model(train.tasks),
            train,
            val,
            recipe,
            progress=False,
            checkpoint_dir=folder,
            callbacks=[stop_after_one],
        )
    first = torch.load(folder / "last.pt", weights_only=False)["scaler"]
    resumed = fit(
        make_model(train.tasks, seed=9),
        train,
        val,
        recipe,
        progress=False,
        checkpoint_dir=folder,
        resume=True,
    )
    assert first["scale"] > 1.0
    assert [r["val"] for r in resumed.epochs] == [r["val"] for r in straight.epochs]
    assert torch.load(folder / "last.pt", weights_only=False)["scaler"] == state["scaler"]
