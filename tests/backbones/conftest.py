import pytest
import torch

from mtlkit.backbones import create

_CACHE: dict[str, torch.nn.Module] = {}


@pytest.fixture
def built():
    """``built(name)``: the backbone with default options, in eval mode, built once per session."""

    def get(name: str) -> torch.nn.Module:
        if name not in _CACHE:
            torch.manual_seed(0)
            _CACHE[name] = create(name).eval()
        return _CACHE[name]

    return get
