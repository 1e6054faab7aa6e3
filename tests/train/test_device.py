import pytest
import torch

from mtlkit.errors import UserError
from mtlkit.train import resolve_device, resolve_precision


def test_auto_on_a_cpu_machine_uses_plain_float32():
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    p = resolve_precision("auto")
    assert p.device.type == "cpu" and not p.amp and not p.channels_last


def test_explicit_bf16_on_cpu_autocasts_matmuls():
    p = resolve_precision("cpu", amp="bf16")
    with p.autocast():
        out = torch.ones(2, 2) @ torch.ones(2, 2)
    assert out.dtype == torch.bfloat16


def test_bad_values_are_user_errors():
    with pytest.raises(UserError, match="amp"):
        resolve_precision("cpu", amp="fp8")
    with pytest.raises(UserError, match="device"):
        resolve_device("gpu0")


def test_asking_for_cuda_without_a_gpu_says_what_to_do():
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(UserError, match="--device cpu"):
        resolve_device("cuda")
