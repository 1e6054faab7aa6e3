"""``count_flops``: floating-point operations of one forward pass, measured by PyTorch.

Uses ``torch.utils.flop_counter.FlopCounterMode``, which counts a multiply-add as 2 FLOPs for matrix
multiplications, convolutions and attention (so ``Linear(i, o)`` on a batch of ``B`` costs ``2*B*i*o``);
element-wise ops (activations, norms, pooling) are not counted.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def count_flops(model: nn.Module, input_size: Sequence[int] = (1, 3, 32, 32)) -> int:
    """FLOPs of ``model`` on one zero input of shape ``input_size`` (eval mode, no gradients)."""
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    dtype = param.dtype if param is not None and param.is_floating_point() else torch.float32
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(torch.zeros(tuple(input_size), device=device, dtype=dtype))
    finally:
        model.train(was_training)
    return int(counter.get_total_flops())
