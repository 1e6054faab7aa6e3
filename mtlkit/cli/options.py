"""Command-line options shared by ``train``, ``compare`` and the capstone, and their mapping to RunConfig."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from typing import Any, NoReturn

from mtlkit.experiment import RunConfig


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line (not the whole usage block), exit status 2:
    ``mtlkit train: error: argument --epochs: expected a positive integer, got '-1' (see mtlkit train --help)``.
    """

    commands: Mapping[str, argparse.ArgumentParser]  # the top-level parser's: command name -> its parser

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value < 0 or value != value:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def positive_float(text: str) -> float:
    value = non_negative_float(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def fraction(text: str) -> float:
    value = non_negative_float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a fraction strictly between 0 and 1, got {text!r}")
    return value


def seconds_or_auto(text: str) -> float | str:
    """``auto`` or a number of seconds >= 0 (``--checkpoint-seconds``)."""
    return "auto" if text == "auto" else non_negative_float(text)


def task_list(text: str) -> tuple[str, ...]:
    tasks = tuple(t.strip() for t in text.split(",") if t.strip())
    if not tasks:
        raise argparse.ArgumentTypeError("expected comma-separated task names, e.g. fine,coarse")
    return tasks


def key_value(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` with VALUE read as JSON when it parses (numbers, lists, true/false), else a string."""
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(raw)
    except json.JSONDecodeError:
        return key, raw


def add_data_options(parser: argparse.ArgumentParser, default_dataset: str = "shapes") -> None:
    group = parser.add_argument_group("data")
    group.add_argument(
        "--dataset", default=default_dataset, help="shapes, cifar10 or cifar100 (default: %(default)s)"
    )
    group.add_argument("--root", default=None, help="data folder (default: $MTLKIT_DATA or ~/.cache/mtlkit)")
    group.add_argument(
        "--val-fraction", type=fraction, default=0.1, help="train images held out for validation"
    )
    group.add_argument(
        "--limit",
        type=positive_int,
        default=None,
        help="use at most this many images per split (quick checks)",
    )


def add_model_options(parser: argparse.ArgumentParser, *, default_backbone: str = "tiny_cnn") -> None:
    group = parser.add_argument_group("model")
    group.add_argument("--backbone", default=default_backbone, help="backbone name (default: %(default)s)")
    group.add_argument(
        "--backbone-arg",
        type=key_value,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="keyword for the backbone, e.g. stem=imagenet (repeatable)",
    )
    group.add_argument(
        "--head",
        type=parse_head,
        default="linear",
        help="linear, mlp, seed (the 2023 study's heads), or MLP hidden sizes like 256,128 (default: %(default)s)",
    )


def add_weighting_options(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup,
    *,
    help_text: str = "equal, static, uncertainty, dwa, gradnorm or pcgrad",
) -> None:
    """``--weighting NAME`` and repeatable ``--weighting-arg KEY=VALUE`` on ``parser`` (or a group)."""
    parser.add_argument("--weighting", default="equal", help=f"{help_text} (default: %(default)s)")
    parser.add_argument(
        "--weighting-arg",
        type=key_value,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="keyword for the weighting, e.g. gamma=0.5 (repeatable)",
    )


def add_training_options(
    parser: argparse.ArgumentParser, *, epochs: int = 5, batch_size: int = 128, lr: float = 2e-3
) -> None:
    group = parser.add_argument_group("training")
    group.add_argument("--epochs", type=positive_int, default=epochs, help="default: %(default)s")
    group.add_argument("--batch-size", type=positive_int, default=batch_size, help="default: %(default)s")
    group.add_argument("--optimizer", default="adamw", help="adamw, adam or sgd (default: %(default)s)")
    group.add_argument(
        "--lr", type=positive_float, default=lr, help="peak learning rate (default: %(default)s)"
    )
    group.add_argument("--weight-decay", type=non_negative_float, default=5e-4, help="default: %(default)s")
    group.add_argument(
        "--schedule", default="cosine", help="constant, cosine or linear (default: %(default)s)"
    )
    group.add_argument("--warmup-epochs", type=non_negative_float, default=0.0, help="linear warm-up length")
    group.add_argument("--label-smoothing", type=non_negative_float, default=0.0, help="default: %(default)s")
    group.add_argument("--no-augment", dest="augment", action="store_false", help="no random crop + flip")
    group.add_argument("--amp", default="auto", choices=("auto", "bf16", "off"), help="bf16 autocast")
    group.add_argument("--channels-last", default="auto", choices=("auto", "on", "off"))
    group.add_argument("--compile", action="store_true", help="torch.compile the model")
    group.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default: %(default)s)")
    group.add_argument(
        "--seed", type=int, default=0, help="data split, init, shuffles (default: %(default)s)"
    )
    group.add_argument(
        "--select",
        default="mean_acc",
        choices=("mean_acc", "loss"),
        help="validation criterion that picks the epoch to keep",
    )
    group.add_argument("--quiet", action="store_true", help="no progress bars")
    group.add_argument(
        "--checkpoint-every",
        type=positive_int,
        default=1,
        metavar="N",
        help="save checkpoint/last.pt after every N-th epoch and after the last (default: %(default)s)",
    )
    group.add_argument(
        "--checkpoint-seconds",
        type=seconds_or_auto,
        default="auto",
        metavar="S",
        help="save only once S seconds have passed since the previous save; auto: every due "
        "epoch on the CPU, saving at most ~5%% of the time on CUDA (default: %(default)s)",
    )


def parse_head(text: str) -> str | dict[str, Any]:
    """``linear`` / ``mlp`` / ``seed`` stay names; ``256,128`` becomes ``{"type": "mlp", "hidden": [256, 128]}``."""
    parts = [part.strip() for part in text.split(",")]
    if not all(part.isdigit() for part in parts):
        return text  # a head name, checked (with the valid choices) when the model is built
    hidden = [int(part) for part in parts]
    if min(hidden) < 1:
        raise argparse.ArgumentTypeError(
            f"expected a head name (linear, mlp, seed) or positive hidden sizes like 256,128, got {text!r}"
        )
    return {"type": "mlp", "hidden": hidden}


def run_config(args: argparse.Namespace, **overrides: Any) -> RunConfig:
    """A :class:`RunConfig` from parsed options; ``overrides`` win (e.g. ``arch``, ``tasks``)."""
    values: dict[str, Any] = {
        "dataset": args.dataset,
        "root": args.root,
        "val_fraction": args.val_fraction,
        "limit": args.limit,
        "backbone": args.backbone,
        "backbone_kwargs": dict(args.backbone_arg),
        "head": args.head,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "optimizer": args.optimizer,
        "lr": args.lr,
        "weight_decay": args.weight_decay,
        "schedule": args.schedule,
        "warmup_epochs": args.warmup_epochs,
        "label_smoothing": args.label_smoothing,
        "augment": args.augment,
        "amp": args.amp,
        "channels_last": {"on": True, "off": False}.get(args.channels_last, args.channels_last),
        "compile": args.compile,
        "device": args.device,
        "seed": args.seed,
        "select": args.select,
        "checkpoint_every": args.checkpoint_every,
        "checkpoint_seconds": args.checkpoint_seconds,
    }
    for name in ("tasks", "arch", "weighting"):
        if hasattr(args, name):
            values[name] = getattr(args, name)
    for name in ("weighting_arg", "arch_arg"):
        if hasattr(args, name):
            values[name.replace("_arg", "_kwargs")] = dict(getattr(args, name))
    values.update(overrides)
    return RunConfig(**values)
