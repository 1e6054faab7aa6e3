"""The training loop: one readable path that is also fast on a GPU.

Following airbench (Jordan 2024): the whole split lives on the device as uint8 and is augmented there
in batches, the forward pass runs under 16-bit autocast (bf16, or fp16 with loss scaling on GPUs without
bf16 tensor cores: :mod:`mtlkit.train.device`) with channels_last tensors on CUDA, the optimiser
is fused, and metrics accumulate in a device tensor that the host reads once per epoch, so no step
waits for the host. Each step minimises the weighted sum of per-task cross-entropies,
``L = sum_t lambda_t L_t`` (+ a model's regulariser), with ``lambda`` from a
:class:`~mtlkit.weighting.Weighting`. Validation picks the epoch whose weights are returned.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import torch
from torch import Tensor, nn

from mtlkit.errors import UserError
from mtlkit.models.base import regularizer, shared_parameters, tasks_of
from mtlkit.train import checkpoint as ckpt
from mtlkit.train import distributed
from mtlkit.train.checks import batch_sizes, check_batches, check_data, drops_last
from mtlkit.train.context import RunContext, setup
from mtlkit.train.device import Precision
from mtlkit.train.evaluate import evaluate
from mtlkit.train.history import History
from mtlkit.train.losses import correct_counts, task_losses
from mtlkit.train.optim import make_optimizer, make_scheduler, param_groups
from mtlkit.train.state import TrainState
from mtlkit.train_config import TrainConfig

if TYPE_CHECKING:
    from mtlkit.data import DeviceLoader, TaskDataset
    from mtlkit.weighting import Weighting

Batch = tuple[Tensor, dict[str, Tensor]]


def fit(
    model: nn.Module,
    train: TaskDataset,
    val: TaskDataset | None = None,
    config: TrainConfig | None = None,
    *,
    weighting: nn.Module | None = None,
    callbacks: Sequence[Callable[[dict[str, Any]], None]] = (),
    progress: bool = True,
    checkpoint_dir: str | Path | None = None,
    resume: bool = False,
    device: str | torch.device = "auto",
    context: RunContext | None = None,
) -> History:
    """Train ``model`` on ``train`` following the recipe ``config``, select the best epoch on ``val``
    and restore its weights.

    Returns a :class:`History`. Each of ``callbacks`` is called with the epoch's record after every
    epoch (live plots, widgets). Without ``val`` the last epoch is kept. ``config`` defaults to
    ``TrainConfig()``.

    Checkpoints: with ``checkpoint_dir`` the whole training state (``last.pt``, a
    :class:`~mtlkit.train.state.TrainState`) and the best weights (``best.pt``) are saved on the
    cadence of ``config.checkpoint_every`` / ``checkpoint_seconds``
    (:class:`~mtlkit.train.checkpoint.Cadence`), and always after the final epoch. ``resume=True``
    continues from ``last.pt``, repeating the epochs run since it was saved, and ends with the same
    metrics as an uninterrupted run (on CPU, same seed): every epoch's random numbers depend only on
    ``(seed, epoch)``.

    ``weighting``: a :class:`~mtlkit.weighting.Weighting` (default ``Equal``); a plain ``nn.Module``
    whose ``forward(losses)`` returns the total also works (see :func:`mtlkit.weighting.as_weighting`).

    ``device`` (``"auto"``, ``"cpu"``, ``"cuda:1"``) or a ``context`` from
    :func:`mtlkit.train.context.setup` that already joined the process group, resolved the precision
    and checked this model and weighting. Under ``torchrun`` (``WORLD_SIZE > 1``) the model is wrapped
    in DDP, each process trains on its slice of every batch, metrics are summed over processes and only
    rank 0 writes checkpoints.
    """
    config = TrainConfig() if config is None else config
    if not isinstance(config, TrainConfig):
        raise UserError(f"config must be a mtlkit.train.TrainConfig, got {type(config).__name__}")
    if context is not None and not (isinstance(device, str) and device == "auto"):
        raise UserError("pass either device or context (which holds the device), not both")
    check_data(model, train, val, resume, checkpoint_dir)
    weighting = _weighting(weighting, tasks_of(model))
    if context is None:
        context = setup(config, device, model=model, weighting=weighting)
    context = context.check(model, weighting)  # a no-op for the pair setup() checked
    precision, ctx = context.precision, context.dist
    drop_last = drops_last(len(train), config.batch_size)
    sizes = batch_sizes(len(train), config.batch_size, drop_last, ctx.world_size)
    check_batches(model, sizes, config.batch_size, ctx.world_size, tuple(train.images.shape[1:]))
    cadence = ckpt.Cadence(config.checkpoint_every, config.checkpoint_seconds, precision.device.type)
    tasks = list(tasks_of(model))
    model.to(precision.device)
    if precision.channels_last:
        model.to(memory_format=torch.channels_last)
    weighting.to(precision.device)

    from mtlkit.data import DeviceLoader

    loader = DeviceLoader(
        train,
        config.batch_size,
        device=precision.device,
        shuffle=True,
        augment=config.augment,
        drop_last=drop_last,
        seed=config.seed,
        channels_last=precision.channels_last,
    )
    state = _initial_state(model, weighting, config, precision, len(loader), tasks)
    if resume:
        state.restore(cast(Path, checkpoint_dir))  # check_data: resume needs a checkpoint_dir
    start = state.epochs_done

    wrapped = distributed.wrap(model, ctx, precision.device)
    step_model = torch.compile(wrapped) if config.compile else wrapped
    shared = shared_parameters(model)
    val_loader = _eval_loader(val, config.batch_size, precision)
    progress = progress and ctx.is_main
    save_to = checkpoint_dir if ctx.is_main else None  # only rank 0 writes
    run = _Run(
        step_model, loader, state, shared, precision, config.label_smoothing, tasks, progress, ctx, len(sizes)
    )
    bar = _epoch_bar(progress, start, config.epochs)
    if (
        save_to is not None and not resume
    ):  # a fresh run: an earlier run's last.pt must not be resumed as this one's
        ckpt.remove(save_to)
    for epoch in range(start, config.epochs):
        torch.manual_seed(config.seed * 100_003 + epoch)  # dropout & co. depend only on (seed, epoch)
        loader.set_epoch(epoch)
        record = _train_epoch(run)
        distributed.sync_buffers(model, ctx)  # BatchNorm statistics: rank 0's, so evaluation agrees
        record["epoch"] = epoch + 1
        record["val"] = (
            evaluate(model, val, precision=precision, loader=val_loader) if val is not None else {}
        )
        weighting.epoch_end({t: record["train"][t]["loss"] for t in tasks})
        state.end_epoch(record, keep_last=val is None)
        if save_to is not None and cadence.due(epoch + 1, config.epochs):
            with cadence.saving():
                state.save(save_to)
        _report(bar, record, tasks)
        for callback in callbacks:
            callback(record)
    if bar is not None:
        bar.close()
    if state.best_weights is not None:
        ckpt.unwrap(model).load_state_dict(state.best_weights)
    return state.history


def _initial_state(
    model: nn.Module, weighting: Weighting, config: TrainConfig, precision: Precision, steps: int, tasks
) -> TrainState:
    """Optimiser (cross-stitch alphas: lr by optimiser), per-step schedule, loss scaler, empty history."""
    groups = param_groups(model, weighting, config.lr, config.weight_decay, config.optimizer)
    opt = make_optimizer(config, groups, precision.device)
    warmup = round(config.warmup_epochs * steps)
    scheduler = make_scheduler(config.schedule, opt, config.epochs * steps, warmup_steps=warmup)
    history = History(tasks=tasks, criterion=config.select)
    return TrainState(model, weighting, opt, scheduler, precision.scaler(), history)


@dataclass(frozen=True)
class _Run:
    """What every training step of one ``fit`` call uses."""

    step_model: Callable[[Tensor], dict[str, Tensor]]  # the model as called (DDP-wrapped and/or compiled)
    loader: DeviceLoader
    state: TrainState  # the plain model, weighting, optimiser, schedule, loss scaler
    shared: list[nn.Parameter]
    precision: Precision
    label_smoothing: float
    tasks: list[str]
    progress: bool
    ctx: distributed.Context
    batches: int  # training batches per epoch in this process (for the progress bar)


def _train_epoch(run: _Run) -> dict[str, Any]:
    """One pass over the loader; metrics are summed on the device and read once at the end."""
    tasks, device = run.tasks, run.precision.device
    run.state.model.train()
    sums = torch.zeros(2 * len(tasks), device=device)
    seen = 0
    started = time.perf_counter()
    for images, labels in _batch_bar(distributed.shard(run.loader, run.ctx), run.progress, run.batches):
        logits, losses = _step(run, images, labels)
        correct = correct_counts(logits, labels)
        batch = images.shape[0]
        sums += torch.stack([losses[t].detach() * batch for t in tasks] + [correct[t].float() for t in tasks])
        seen += batch
    if run.ctx.enabled:  # images and metrics summed over ranks
        counts = torch.tensor([float(seen)], device=device)
        sums = distributed.all_reduce_sum(torch.cat([sums, counts]), run.ctx)
        seen = int(sums[-1].item())  # a sum of whole counts
    totals = sums.tolist()  # the one host synchronisation of the epoch
    seconds = time.perf_counter() - started
    return {
        "lr": run.state.optimizer.param_groups[0]["lr"],
        "train": {
            t: {"loss": totals[i] / seen, "acc": totals[len(tasks) + i] / seen} for i, t in enumerate(tasks)
        },
        "weights": run.state.weighting.weights,
        "seconds": seconds,
        "images_per_s": seen / seconds if seconds > 0 else float("nan"),
    }


def _step(
    run: _Run, images: Tensor, labels: dict[str, Tensor]
) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """Forward, weighted backward (the weighting's own, e.g. PCGrad's), optimiser and schedule step.

    Under fp16 the total is multiplied by the loss scale before the backward pass and the optimiser
    step unscales the gradients first, skipping a step whose gradients overflowed (the scaler is a
    pass-through otherwise).
    """
    state = run.state
    with run.precision.autocast():
        logits = run.step_model(images)
    losses = task_losses(logits, labels, run.label_smoothing)
    state.optimizer.zero_grad(set_to_none=True)
    penalty = regularizer(state.model)
    if run.ctx.enabled or run.precision.scaled:  # one backward (through DDP's hooks), regulariser included
        state.scaler.scale(state.weighting(losses) + penalty).backward()
        distributed.average_gradients(state.weighting, run.ctx)
    else:
        state.weighting.backward(losses, run.shared)
        if penalty.requires_grad:  # the default zero has no graph
            penalty.backward()  # parameters only, no activations: a cheap second graph
    state.scaler.step(state.optimizer)
    state.scaler.update()
    state.scheduler.step()
    return logits, losses


def _weighting(weighting: object, tasks: dict[str, int]) -> Weighting:
    """The weighting as a :class:`Weighting` (a plain module wrapped); ``Equal`` when none is given."""
    from mtlkit.weighting import as_weighting, create

    return create("equal", tasks) if weighting is None else as_weighting(weighting, tasks)


def _eval_loader(val: TaskDataset | None, batch_size: int, precision: Precision) -> DeviceLoader | None:
    if val is None:
        return None
    from mtlkit.data import DeviceLoader

    return DeviceLoader(
        val,
        max(batch_size, 500),
        device=precision.device,
        shuffle=False,
        augment=False,
        channels_last=precision.channels_last,
    )


def _epoch_bar(progress: bool, start: int, epochs: int) -> Any:
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=epochs, initial=start, desc="epochs", unit="epoch")


def _batch_bar(batches: Iterable[Batch], progress: bool, total: int) -> Iterator[Batch]:
    if not progress:
        return iter(batches)
    from tqdm.auto import tqdm

    return iter(tqdm(batches, total=total, desc="batches", unit="batch", leave=False))


def _report(bar: Any, record: dict[str, Any], tasks: list[str]) -> None:
    if bar is None:
        return
    split = "val" if record["val"] else "train"
    bar.set_postfix({f"{split}_{t}": f"{record[split][t]['acc']:.3f}" for t in tasks})
    bar.update(1)
