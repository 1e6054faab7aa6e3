"""Data-parallel training under ``torchrun`` (DistributedDataParallel), set up from the environment.

``torchrun --nproc_per_node N -m mtlkit.cli train ...`` starts N processes with ``RANK``,
``WORLD_SIZE``, ``LOCAL_RANK`` and a rendezvous address in their environment; :func:`setup` joins the
process group (NCCL when training on CUDA, gloo on the CPU: chosen by the requested device) and pins
each CUDA process to GPU ``LOCAL_RANK``. The loop then splits every global batch of the shared epoch
permutation into disjoint per-rank slices, so N processes see the same images per step as one process
would, with the same learning rate; DDP averages the gradients (Li et al., VLDB 2020), metrics are
summed over ranks, and only rank 0 writes files.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
import torch.distributed as dist
from torch import Tensor, nn

from mtlkit.errors import UserError
from mtlkit.train.device import parse_device

if TYPE_CHECKING:
    from mtlkit.weighting import Weighting


@dataclass(frozen=True)
class Context:
    """Where this process stands in the job: ``rank`` of ``world_size`` (1 without torchrun)."""

    rank: int = 0
    world_size: int = 1

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def device_type(device: str | torch.device, cuda_available: bool) -> str:
    """``"cuda"`` or ``"cpu"`` (etc.) for a requested device; ``"auto"`` is CUDA when available."""
    if isinstance(device, str) and device == "auto":
        return "cuda" if cuda_available else "cpu"
    return parse_device(device).type


def plan(
    device: str | torch.device, cuda_available: bool, gpu_count: int, local_rank: int
) -> tuple[str, int | None]:
    """The process-group backend and the GPU to pin for a rank that will train on ``device``.

    A pure function of its inputs (tested on CPU): gloo for the CPU, NCCL for CUDA, chosen by the
    *requested* device, not by whether a GPU exists, so ``--device cpu`` under ``torchrun`` on a GPU
    machine gets gloo. Each CUDA rank trains on GPU ``LOCAL_RANK``, so a device with an index
    (``cuda:1``) is refused: every rank would pick the same GPU.
    """
    if device_type(device, cuda_available) != "cuda":
        return "gloo", None
    if not (isinstance(device, str) and device == "auto") and parse_device(device).index is not None:
        raise UserError(
            f"--device {device} names one GPU, but under torchrun every process trains on GPU LOCAL_RANK: "
            "use --device cuda (or auto), and CUDA_VISIBLE_DEVICES to choose the GPUs"
        )
    if not (cuda_available and local_rank < gpu_count):
        raise UserError(
            f"this process has LOCAL_RANK {local_rank} but only {gpu_count} GPU(s) are visible: start "
            "torchrun with --nproc_per_node at most the number of GPUs, or use --device cpu"
        )
    return "nccl", local_rank


def setup(device: str | torch.device) -> Context:
    """Join the ``torchrun`` process group if ``WORLD_SIZE > 1`` (idempotent); else a 1-process context.

    ``device`` is the device the caller will train on (see :func:`plan`); a group joined earlier must
    have a backend for it.
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return Context()
    if dist.is_initialized():
        _check_backend(device)
    else:
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        available = torch.cuda.is_available() and os.environ.get("CUDA_VISIBLE_DEVICES", None) != ""
        count = torch.cuda.device_count() if available else 0
        backend, gpu = plan(device, available, count, local_rank)
        if gpu is not None:
            torch.cuda.set_device(gpu)
        dist.init_process_group(backend)
    return Context(dist.get_rank(), dist.get_world_size())


def _check_backend(device: str | torch.device) -> None:
    kind = device_type(device, torch.cuda.is_available())
    needed = "nccl" if kind == "cuda" else "gloo"
    backend = str(dist.get_backend())
    if needed not in backend:
        raise UserError(
            f"the process group was started with the {backend} backend, which cannot train on {kind}; "
            "pass the same --device to every part of the run"
        )


def check_weighting(weighting: Weighting, ctx: Context) -> None:
    """Refuse gradient-based weightings (GradNorm, PCGrad) under DDP: they run one backward per task."""
    if ctx.enabled and weighting.gradient_method:
        raise UserError(
            f"weighting {type(weighting).__name__} manipulates per-task gradients and does not work with "
            "DDP (torchrun); use equal, static, uncertainty or dwa, or train in one process"
        )


def wrap(model: nn.Module, ctx: Context, device: torch.device) -> nn.Module:
    """``model`` wrapped in DistributedDataParallel when the context is distributed."""
    if not ctx.enabled:
        return model
    ids = (
        [device.index if device.index is not None else torch.cuda.current_device()]
        if device.type == "cuda"
        else None
    )
    return nn.parallel.DistributedDataParallel(model, device_ids=ids)


def shard(batches: Iterable[tuple[Tensor, dict[str, Tensor]]], ctx: Context) -> Iterator:
    """This rank's slice ``rank::world_size`` of every batch (batches smaller than the world are skipped).

    Every rank draws the same shuffled, augmented global batch (same seed), so the slices are disjoint
    and together cover it.
    """
    if not ctx.enabled:
        yield from batches
        return
    for images, labels in batches:
        if images.shape[0] < ctx.world_size:
            continue
        pick = slice(ctx.rank, None, ctx.world_size)
        yield images[pick], {task: y[pick] for task, y in labels.items()}


def all_reduce_sum(tensor: Tensor, ctx: Context) -> Tensor:
    """Sum ``tensor`` over ranks, in place (no-op in one process)."""
    if ctx.enabled:
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor


def average_gradients(module: nn.Module, ctx: Context) -> None:
    """Average the gradients of parameters outside the DDP model (a weighting's own, e.g. log-variances)."""
    if not ctx.enabled:
        return
    for p in module.parameters():
        if p.grad is not None:
            dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)
            p.grad /= ctx.world_size


def sync_buffers(model: nn.Module, ctx: Context) -> None:
    """Copy rank 0's buffers (BatchNorm running statistics) to every rank."""
    if ctx.enabled:
        for buffer in model.buffers():
            dist.broadcast(buffer, src=0)
