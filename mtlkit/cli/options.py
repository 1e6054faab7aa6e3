"""Command-line options shared by ``train``, ``compare`` and the capstone, and their mapping to RunConfig."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Mapping
from dataclasses import fields
from typing import Any, NoReturn

from mtlkit.errors import UserError
from mtlkit.experiment import RunConfig
from mtlkit.train_config import TrainConfig

_KIND: dict[Any, str] = {int: "an integer"}  # else: a number (str and switch parsers never fail)


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


def fraction(text: str) -> float:
    value = non_negative_float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a fraction strictly between 0 and 1, got {text!r}")
    return value


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


def add_training_options(parser: argparse.ArgumentParser, defaults: TrainConfig | None = None) -> None:
    """One option per :class:`~mtlkit.train.TrainConfig` field (``lr`` -> ``--lr``), with the field's
    help; ``defaults`` (a TrainConfig) sets the command's defaults. Then ``--device`` and ``--quiet``.

    Each value is checked by TrainConfig itself, so a bad one is refused by argparse with the same
    message as in Python (``argument --lr: lr must be a number > 0, got -1.0``)."""
    defaults = defaults or TrainConfig()
    group = parser.add_argument_group("training")
    for spec in fields(TrainConfig):
        flag, default = "--" + spec.name.replace("_", "-"), getattr(defaults, spec.name)
        help_text = spec.metadata["help"]
        if spec.metadata["parse"] is None:  # a boolean: a flag that turns the default around
            negated = "--no-" + spec.name.replace("_", "-")
            group.add_argument(
                negated if default else flag,
                dest=spec.name,
                action="store_false" if default else "store_true",
                help=f"no {help_text}" if default else help_text,
            )
            parser.set_defaults(**{spec.name: default})
        else:
            shown = ("on" if default else "off") if isinstance(default, bool) else default
            group.add_argument(
                flag,
                type=_checked(spec.name, spec.metadata["parse"]),
                default=default,
                metavar=spec.name.upper(),
                help=f"{help_text} (default: {shown})",
            )
    group.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default: %(default)s)")
    group.add_argument("--quiet", action="store_true", help="no progress bars")


def _checked(name: str, parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse type: ``parse`` the text, then let TrainConfig check the value (one message)."""

    def convert(text: str) -> Any:
        try:
            value = parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {_KIND.get(parse, 'a number')}, got {text!r}"
            ) from None
        try:
            TrainConfig(**{name: value})
        except UserError as err:
            raise argparse.ArgumentTypeError(str(err)) from None
        return value

    return convert


def train_config(args: argparse.Namespace) -> TrainConfig:
    """The :class:`~mtlkit.train.TrainConfig` of parsed options (from :func:`add_training_options`)."""
    return TrainConfig(**{spec.name: getattr(args, spec.name) for spec in fields(TrainConfig)})


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
        "train": train_config(args),
        "device": args.device,
    }
    for name in ("tasks", "arch", "weighting"):
        if hasattr(args, name):
            values[name] = getattr(args, name)
    for name in ("weighting_arg", "arch_arg"):
        if hasattr(args, name):
            values[name.replace("_arg", "_kwargs")] = dict(getattr(args, name))
    values.update(overrides)
    return RunConfig(**values)
