"""Process-group backend choice under torchrun, tested on the CPU without joining any group."""

from __future__ import annotations

import pytest
import torch

from mtlkit.errors import UserError
from mtlkit.train import distributed
from mtlkit.train.distributed import plan


@pytest.mark.parametrize("device", ["cpu", torch.device("cpu")])
def test_cpu_training_gets_gloo_even_on_a_gpu_machine(device):
    assert plan(device, cuda_available=True, gpu_count=8, local_rank=1) == ("gloo", None)


@pytest.mark.parametrize("device", ["cuda", "auto", torch.device("cuda")])
def test_cuda_training_gets_nccl_on_the_local_rank_gpu(device):
    assert plan(device, cuda_available=True, gpu_count=2, local_rank=1) == ("nccl", 1)


def test_auto_without_a_gpu_is_gloo():
    assert plan("auto", cuda_available=False, gpu_count=0, local_rank=0) == ("gloo", None)


def test_a_gpu_index_under_torchrun_is_refused():
    with pytest.raises(UserError, match="every process trains on GPU LOCAL_RANK"):
        plan("cuda:1", cuda_available=True, gpu_count=2, local_rank=0)
    with pytest.raises(UserError, match="every process trains on GPU LOCAL_RANK"):
        plan(torch.device("cuda", 0), cuda_available=True, gpu_count=2, local_rank=0)


def test_more_cuda_ranks_than_gpus_is_a_user_error():
    with pytest.raises(UserError, match=r"LOCAL_RANK 2 but only 2 GPU\(s\) are visible.*--device cpu"):
        plan("cuda", cuda_available=True, gpu_count=2, local_rank=2)


def test_bad_device_name_is_a_user_error():
    with pytest.raises(UserError, match="bad device 'gpu0'"):
        plan("gpu0", cuda_available=True, gpu_count=1, local_rank=0)


def test_one_process_joins_nothing(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    monkeypatch.setattr(distributed.dist, "init_process_group", lambda *a, **k: pytest.fail("joined"))
    assert distributed.setup("cuda") == distributed.Context()


def test_setup_on_a_gpu_machine_with_device_cpu_joins_gloo_and_pins_no_gpu(fake_gpu_world):
    assert distributed.setup("cpu") == distributed.Context(1, 2)
    assert fake_gpu_world == {"backend": "gloo"}


def test_setup_with_device_cuda_pins_the_local_rank(fake_gpu_world):
    distributed.setup("cuda")
    assert fake_gpu_world == {"backend": "nccl", "gpu": 1}


def test_a_gloo_group_cannot_train_on_cuda(fake_gpu_world):
    distributed.setup("cpu")
    with pytest.raises(UserError, match="started with the gloo backend, which cannot train on cuda"):
        distributed.setup("cuda")
