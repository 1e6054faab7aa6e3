"""Fixtures shared by several test folders."""

from __future__ import annotations

import os

import pytest


@pytest.fixture
def fake_gpu_world(monkeypatch):
    """Rank 1 of WORLD_SIZE 2 under torchrun on a machine that claims 2 GPUs: records the backend and the
    pinned GPU instead of joining a process group, so the backend choice is testable on a CPU."""
    import torch

    from mtlkit.train import distributed

    joined: dict = {}
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("LOCAL_RANK", "1")
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "set_device", lambda index: joined.update(gpu=index))
    monkeypatch.setattr(distributed.dist, "is_initialized", lambda: "backend" in joined)
    monkeypatch.setattr(
        distributed.dist, "init_process_group", lambda backend: joined.update(backend=backend)
    )
    monkeypatch.setattr(distributed.dist, "get_backend", lambda: joined["backend"])
    monkeypatch.setattr(distributed.dist, "get_rank", lambda: 1)
    monkeypatch.setattr(distributed.dist, "get_world_size", lambda: 2)
    return joined


@pytest.fixture
def umask():
    """Set the process umask for a test (``umask(mask)``); the old one is restored afterwards."""
    old = os.umask(0o022)
    yield os.umask
    os.umask(old)
