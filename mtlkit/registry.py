"""One registry for everything chosen by name: backbones, architectures, weightings and datasets.

A :class:`Registry` maps a name to a builder (a callable, or a ``"module:attribute"`` string imported only
when that name is built, so listing names or a typo never imports torchvision or timm). A builder's
keyword parameters, apart from those the caller always supplies (``given``, e.g. ``tasks``), are the
name's options: :meth:`Registry.create` checks them before building, and every registry reports an
unknown name or option with the same message (:func:`mtlkit.errors.unknown_name`).

    BACKBONES = Registry("backbone")
    BACKBONES.add("tiny_cnn", "mtlkit.backbones.tiny_cnn:tiny_cnn")
    BACKBONES.create("tiny_cnn", width=8)
"""

from __future__ import annotations

import difflib
import importlib
import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from mtlkit.errors import UserError, unknown_name

F = TypeVar("F", bound=Callable[..., Any])


class Registry:
    """Names -> builders of one ``kind`` (``"backbone"``, ``"weighting"``, ...), in registration order."""

    def __init__(self, kind: str, given: Iterable[str] = ()) -> None:
        self.kind = kind
        self.given = tuple(given)  # builder parameters the caller supplies: not options
        self._builders: dict[str, Callable[..., Any] | str] = {}

    def add(self, name: str, builder: Callable[..., Any] | str) -> None:
        """Register ``builder`` (a callable or ``"module:attribute"``) under ``name``."""
        if name in self._builders:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._builders[name] = builder

    def register(self, name: str) -> Callable[[F], F]:
        """Decorator form of :meth:`add`."""

        def decorate(builder: F) -> F:
            self.add(name, builder)
            return builder

        return decorate

    def names(self) -> list[str]:
        """The registered names, in registration order."""
        return list(self._builders)

    def __contains__(self, name: object) -> bool:
        return name in self._builders

    def builder(self, name: str) -> Callable[..., Any]:
        """The builder of ``name`` (imported now if lazy); a UserError listing the names if unknown."""
        if name not in self._builders:
            raise unknown_name(self.kind, name, self.names())
        builder = self._builders[name]
        if isinstance(builder, str):
            module, attribute = builder.split(":")
            builder = getattr(importlib.import_module(module), attribute)
        return builder

    def options(self, name: str) -> dict[str, Any]:
        """The options of ``name`` with their defaults (``inspect.Parameter.empty`` if required)."""
        parameters = inspect.signature(self.builder(name)).parameters.values()
        return {
            p.name: p.default
            for p in parameters
            if p.name not in self.given and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        }

    def check(self, name: str, options: Mapping[str, Any]) -> Callable[..., Any]:
        """The builder of ``name`` once ``options`` are known to be its options; else one UserError."""
        builder = self.builder(name)
        valid = self.options(name)
        if unknown := [key for key in options if key not in valid]:
            raise bad_options(f"{self.kind} {name!r}", unknown, valid)
        return builder

    def create(self, name: str, *args: Any, **options: Any) -> Any:
        """Build ``name``: ``builder(*args, **options)``, the options checked first."""
        return self.check(name, options)(*args, **options)


def bad_options(what: str, unknown: list[str], valid: Mapping[str, Any]) -> UserError:
    """The standard message for unknown options: the valid ones with their defaults, and the closest."""
    listed = ", ".join(k if v is inspect.Parameter.empty else f"{k}={v!r}" for k, v in valid.items())
    message = (
        f"{what} has no option{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
        f"valid options: {listed or 'none'}"
    )
    close = [m for key in unknown for m in difflib.get_close_matches(key, list(valid), n=1, cutoff=0.6)]
    if close:
        message += f"; did you mean {' or '.join(map(repr, close))}?"
    return UserError(message)
