from __future__ import annotations

import pytest
import torch

from mtlkit.backbones import create
from mtlkit.data import load
from mtlkit.models import HardSharing


@pytest.fixture(scope="module")
def small_shapes():
    """A few hundred synthetic images: enough for the loop to learn something in a second."""
    return load("shapes", "train", size=480), load("shapes", "val", size=480)


@pytest.fixture
def make_model():
    def make(tasks: dict[str, int], seed: int = 0, width: int = 8) -> HardSharing:
        torch.manual_seed(seed)
        return HardSharing(create("tiny_cnn", width=width), tasks)

    return make
