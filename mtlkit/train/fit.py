"""The training loop: one readable path that is also fast on a GPU.

Following airbench (Jordan 2024): the whole split lives on the device as uint8 and is augmented there
in batches, the forward pass runs under bf16 autocast with channels_last tensors on CUDA, the optimiser
is fused, and metrics accumulate in a device tensor that the host reads once per epoch, so no step
waits for the host. Each step minimises the weighted sum of per-task cross-entropies,
``L = sum_t lambda_t L_t`` (+ a model's regulariser), with ``lambda`` from a
:class:`~mtlkit.weighting.Weighting`. Validation picks the epoch whose weights are returned.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

from mtlkit.errors import UserError
from mtlkit.models.base import regularizer, shared_parameters
from mtlkit.train import checkpoint as ckpt
from mtlkit.train import distributed
from mtlkit.train.checks import batch_sizes, check_arguments, check_batches
from mtlkit.train.device import Precision, resolve_precision
from mtlkit.train.evaluate import evaluate
from mtlkit.train.history import History
from mtlkit.train.losses import correct_counts, task_losses
from mtlkit.train.optim import make_optimizer, make_scheduler, param_groups

if TYPE_CHECKING:
    from mtlkit.data import DeviceLoader, TaskDataset
    from mtlkit.weighting import Weighting

Batch = tuple[Tensor, dict[str, Tensor]]


def fit(
    model: nn.Module,
    train: TaskDataset,
    val: TaskDataset | None = None,
    *,
    weighting: nn.Module | None = None,
    epochs: int,
    batch_size: int,
    optimizer: str = "adamw",
    lr: float = 1e-3,
    weight_decay: float = 5e-4,
    schedule: str = "cosine",
    warmup_epochs: float = 0.0,
    label_smoothing: float = 0.0,
    augment: bool = True,
    amp: str | bool = "auto",
    channels_last: str | bool = "auto",
    compile: bool = False,
    device: str | torch.device = "auto",
    seed: int = 0,
    checkpoint_dir: str | Path | None = None,
    resume: bool = False,
    checkpoint_every: int = 1,
    checkpoint_seconds: float | str = "auto",
    progress: bool = True,
    select: str = "mean_acc",
    callback: Callable[[dict[str, Any]], None] | None = None,
) -> History:
    """Train ``model`` on ``train``, select the best epoch on ``val`` and restore its weights.

    Returns a :class:`History`. ``callback(record)`` is called after every epoch (live plots, widgets).
    Without ``val`` the last epoch is kept.

    Checkpoints: with ``checkpoint_dir`` the whole training state (``last.pt``: weights, optimiser,
    schedule, weighting, history, best weights) and the best weights (``best.pt``) are saved after
    every ``checkpoint_every``-th epoch once ``checkpoint_seconds`` have passed since the previous
    save, and always after the final epoch (:class:`~mtlkit.train.checkpoint.Cadence`). The default
    ``"auto"`` saves every epoch on the CPU and, on CUDA, spaces saves so that they take at most about
    5% of the run (a ResNet-152 ``last.pt`` is ~0.9 GB). ``resume=True`` continues from ``last.pt``,
    repeating the epochs run since it was saved, and ends with the same metrics as an uninterrupted run
    (on CPU, same seed): every epoch's random numbers depend only on ``(seed, epoch)``.

    ``weighting``: a :class:`~mtlkit.weighting.Weighting` (default ``Equal``); a plain ``nn.Module``
    whose ``forward(losses)`` returns the total also works (see :func:`mtlkit.weighting.as_weighting`).

    Under ``torchrun`` (``WORLD_SIZE > 1``) the model is wrapped in DDP, each process trains on its
    slice of every batch, metrics are summed over processes and only rank 0 writes checkpoints.
    """
    check_arguments(model, train, val, epochs, batch_size, label_smoothing, select, resume, checkpoint_dir)
    weighting = _weighting(weighting, model.tasks)
    ctx = distributed.setup(device)  # before resolving 'auto': it pins this rank's GPU
    drop_last = len(train) > batch_size
    sizes = batch_sizes(len(train), batch_size, drop_last, ctx.world_size)
    check_batches(model, sizes, batch_size, ctx.world_size, tuple(train.images.shape[1:]))
    precision = resolve_precision(device, amp, channels_last)
    cadence = ckpt.Cadence(checkpoint_every, checkpoint_seconds, precision.device.type)
    tasks = list(model.tasks)
    distributed.check_weighting(weighting, ctx)
    weighting.check_model(model)  # before any work, not at the first backward
    model.to(precision.device)
    if precision.channels_last:
        model.to(memory_format=torch.channels_last)
    weighting.to(precision.device)

    from mtlkit.data import DeviceLoader

    loader = DeviceLoader(
        train,
        batch_size,
        device=precision.device,
        shuffle=True,
        augment=augment,
        drop_last=drop_last,
        seed=seed,
        channels_last=precision.channels_last,
    )
    opt = make_optimizer(
        optimizer,
        param_groups(model, weighting, lr, weight_decay, optimizer),  # cross-stitch alphas: lr by optimiser
        lr=lr,
        weight_decay=weight_decay,
        device=precision.device,
    )
    steps = len(loader)
    scheduler = make_scheduler(schedule, opt, epochs * steps, warmup_steps=round(warmup_epochs * steps))
    history = History(tasks=tasks, criterion=select)
    best_state: dict[str, torch.Tensor] | None = None
    start = 0
    if resume:
        start, best_state = _restore(checkpoint_dir, model, weighting, opt, scheduler, history)

    wrapped = distributed.wrap(model, ctx, precision.device)
    step_model = torch.compile(wrapped) if compile else wrapped
    shared = shared_parameters(model)
    val_loader = _eval_loader(val, batch_size, precision)
    progress = progress and ctx.is_main
    writes = checkpoint_dir is not None and ctx.is_main
    run = _Run(
        step_model,
        model,
        loader,
        weighting,
        opt,
        scheduler,
        shared,
        precision,
        label_smoothing,
        tasks,
        progress,
        ctx,
        len(sizes),
    )
    bar = _epoch_bar(progress, start, epochs)
    if writes and not resume:  # a fresh run: an earlier run's last.pt must not be resumed as this one's
        ckpt.remove(checkpoint_dir)
    saver = _Saver(checkpoint_dir, cadence, run, history, best_state) if writes else None
    for epoch in range(start, epochs):
        torch.manual_seed(seed * 100_003 + epoch)  # dropout & co. depend only on (seed, epoch): resumable
        loader.set_epoch(epoch)
        record = _train_epoch(run)
        distributed.sync_buffers(model, ctx)  # BatchNorm statistics: rank 0's, so evaluation agrees
        record["epoch"] = epoch + 1
        record["val"] = (
            evaluate(model, val, precision=precision, loader=val_loader) if val is not None else {}
        )
        weighting.epoch_end({t: record["train"][t]["loss"] for t in tasks})
        if history.append(record) or val is None:
            best_state = ckpt.cpu_state(model)
            if saver is not None:
                saver.best(best_state, epoch + 1)
        if saver is not None:
            saver.maybe_save(epoch + 1, epochs)
        _report(bar, record, tasks)
        if callback is not None:
            callback(record)
    if bar is not None:
        bar.close()
    if best_state is not None:
        ckpt.unwrap(model).load_state_dict(best_state)
    return history


@dataclass(frozen=True)
class _Run:
    """What every training step of one ``fit`` call uses."""

    step_model: nn.Module  # the model as called (DDP-wrapped and/or compiled)
    model: nn.Module  # the plain model: parameters, regulariser, state dict
    loader: DeviceLoader
    weighting: Weighting
    opt: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
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
    run.model.train()
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
        seen = sums[-1].item()
    totals = sums.tolist()  # the one host synchronisation of the epoch
    seconds = time.perf_counter() - started
    return {
        "lr": run.opt.param_groups[0]["lr"],
        "train": {
            t: {"loss": totals[i] / seen, "acc": totals[len(tasks) + i] / seen} for i, t in enumerate(tasks)
        },
        "weights": run.weighting.weights,
        "seconds": seconds,
        "images_per_s": seen / seconds if seconds > 0 else float("nan"),
    }


def _step(
    run: _Run, images: Tensor, labels: dict[str, Tensor]
) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """Forward, weighted backward (the weighting's own, e.g. PCGrad's), optimiser and schedule step."""
    with run.precision.autocast():
        logits = run.step_model(images)
    losses = task_losses(logits, labels, run.label_smoothing)
    run.opt.zero_grad(set_to_none=True)
    penalty = regularizer(run.model)
    if run.ctx.enabled:  # one backward through DDP's hooks, regulariser included
        (run.weighting(losses) + penalty).backward()
        distributed.average_gradients(run.weighting, run.ctx)
    else:
        run.weighting.backward(losses, run.shared)
        if penalty.requires_grad:  # the default zero has no graph
            penalty.backward()  # parameters only, no activations: a cheap second graph
    run.opt.step()
    run.scheduler.step()
    return logits, losses


class _Saver:
    """Writes ``best.pt`` and ``last.pt`` when the cadence says so (``best.pt`` only if it changed)."""

    def __init__(self, directory, cadence: ckpt.Cadence, run: _Run, history: History, best_state) -> None:
        self.directory, self.cadence, self.run, self.history = directory, cadence, run, history
        self.best_state, self.best_epoch, self.best_unsaved = best_state, None, False

    def best(self, state: dict[str, torch.Tensor], epoch: int) -> None:
        self.best_state, self.best_epoch, self.best_unsaved = state, epoch, True

    def maybe_save(self, epochs_done: int, epochs: int) -> None:
        if not self.cadence.due(epochs_done, epochs):
            return
        run = self.run
        with self.cadence.saving():
            if self.best_unsaved:
                meta = {"epoch": self.best_epoch, "tasks": run.model.tasks}
                ckpt.save_best(self.directory, self.best_state, meta)
                self.best_unsaved = False
            state = _training_state(
                epochs_done, run.model, run.weighting, run.opt, run.scheduler, self.history, self.best_state
            )
            ckpt.save_last(self.directory, state)


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


def _plain_attributes(module: nn.Module) -> dict[str, Any]:
    """Public Python attributes (e.g. DWA's loss history) that ``state_dict`` does not capture."""
    return {k: v for k, v in vars(module).items() if not k.startswith("_") and k != "training"}


def _training_state(epochs_done, model, weighting, opt, scheduler, history, best_state) -> dict[str, Any]:
    return {
        "epoch": epochs_done,
        "model": ckpt.cpu_state(model),
        "weighting": weighting.state_dict(),
        "weighting_attributes": _plain_attributes(weighting),
        "optimizer": opt.state_dict(),
        "scheduler": scheduler.state_dict(),
        "history": history.to_dict(),
        "best_state": best_state,
        "tasks": dict(model.tasks),
    }


def _restore(checkpoint_dir, model, weighting, opt, scheduler, history: History):
    """Load ``last.pt`` into the live objects; return (epochs already done, best weights so far)."""
    state = ckpt.load_last(checkpoint_dir)
    if state is None:
        return 0, None
    if state["tasks"] != dict(model.tasks):
        raise UserError(
            f"checkpoint in {checkpoint_dir} was trained on tasks {state['tasks']}, not {dict(model.tasks)}; "
            "use another output folder or delete it"
        )
    ckpt.unwrap(model).load_state_dict(state["model"])
    weighting.load_state_dict(state["weighting"])
    for name, value in state["weighting_attributes"].items():
        setattr(weighting, name, value)
    opt.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    restored = History.from_dict(state["history"])
    history.epochs, history.best_epoch, history.best_score = (
        restored.epochs,
        restored.best_epoch,
        restored.best_score,
    )
    return state["epoch"], state["best_state"]


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
