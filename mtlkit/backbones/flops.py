"""``count_flops``: floating-point operations of one forward pass, measured by PyTorch.

Uses ``torch.utils.flop_counter.FlopCounterMode``, which counts a multiply-add as 2 FLOPs for matrix
multiplications, convolutions and attention (so ``Linear(i, o)`` on a batch of ``B`` costs ``2*B*i*o``,
and attention over ``N`` tokens of total width ``d`` costs ``2*N*N*d`` for ``q k^T`` plus the same for
``weights v``: ``4*N^2*d`` per layer); element-wise ops (activations, norms, softmax, pooling) are not
counted.

Why the attention backend is pinned: on CPU ``F.scaled_dot_product_attention`` dispatches to
``aten._scaled_dot_product_flash_attention_for_cpu``, which ``FlopCounterMode`` has no formula for and
counts as 0 (torch 2.14), so every ViT was undercounted. Counting runs under
``sdpa_kernel(SDPBackend.MATH)`` (torch >= 2.3), whose ``bmm`` calls are counted, and a formula for the
CPU flash kernel is registered too, for a torch that ignores the backend request.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def attention_flops(query_shape: Sequence[int], key_shape: Sequence[int], value_shape: Sequence[int]) -> int:
    """``q k^T`` then ``weights v`` for ``[..., N_q, d]`` queries: ``2*N_q*N_k*(d_q + d_v)`` per batch x head."""
    *batch, n_q, d_q = query_shape
    n_k, d_v = key_shape[-2], value_shape[-1]
    heads = 1
    for size in batch:
        heads *= size
    return 2 * heads * n_q * n_k * (d_q + d_v)


def _cpu_flash_flops(query_shape, key_shape, value_shape, *args: Any, out_shape=None, **kwargs: Any) -> int:
    return attention_flops(query_shape, key_shape, value_shape)


def _custom_mapping() -> dict:
    op = getattr(torch.ops.aten, "_scaled_dot_product_flash_attention_for_cpu", None)
    return {} if op is None else {op: _cpu_flash_flops}


def flop_counter() -> FlopCounterMode:
    """A silent ``FlopCounterMode`` that also knows the CPU flash-attention kernel."""
    return FlopCounterMode(display=False, custom_mapping=_custom_mapping())


def math_attention() -> contextlib.AbstractContextManager:
    """``sdpa_kernel(SDPBackend.MATH)`` where this torch has it, else a no-op."""
    try:
        from torch.nn.attention import SDPBackend, sdpa_kernel
    except ImportError:  # torch < 2.3: the registered CPU formula still applies
        return contextlib.nullcontext()
    return sdpa_kernel(SDPBackend.MATH)


def count_flops(model: nn.Module, input_size: Sequence[int] = (1, 3, 32, 32)) -> int:
    """FLOPs of ``model`` on one zero input of shape ``input_size`` (eval mode, no gradients)."""
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    dtype = param.dtype if param is not None and param.is_floating_point() else torch.float32
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), math_attention(), flop_counter() as counter:
            model(torch.zeros(tuple(input_size), device=device, dtype=dtype))
    finally:
        model.train(was_training)
    return int(counter.get_total_flops())
