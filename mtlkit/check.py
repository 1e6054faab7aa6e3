"""Self-checks for notebooks: one line each, ``✓ what`` when it holds, a helpful ``AssertionError`` when not.

    from mtlkit import check
    check.shape(logits, (8, 10), "fine logits")
    check.close(my_attention(x), reference(x), atol=1e-5, what="attention output")
    check.true(acc > 1 / 12, "better than chance", hint="train for more epochs")
    check.answer(my_answer, expected, "Q1: parameters saved")   # a self-check question

A self-check question gives the student a placeholder, ``my_answer = None  # your answer``: while it is
``None``, :func:`answer` (and :func:`filled`) print ``… fill in my_answer ...`` instead of failing, so a
notebook runs top to bottom before its questions are answered. A wrong answer gets a hint, never the
expected value; :func:`reveal` shows the value when the student asks for it.

Plain functions, no grading framework: a student can run them anywhere (Jupyter, Colab, a script).
Imports stay light: torch is never imported here; tensors are recognised by duck typing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

PASS = "✓"
FAIL = "✗"
TODO = "…"
DEFAULT_HINT = "re-read the question: which quantity, in which units (a fraction or a percentage)?"
_missed: dict[str, Any] = {}  # question -> expected value of the questions answered wrongly, for reveal()


def _say(what: str) -> None:
    print(f"{PASS} {what}")


def _fail(what: str, problem: str, hint: str | None) -> AssertionError:
    message = f"{FAIL} {what}: {problem}"
    if hint:
        message += f"\n  hint: {hint}"
    return AssertionError(message)


def _array(value: Any) -> np.ndarray:
    """A float64 numpy copy of a number, sequence, numpy array or (CPU/GPU, grad-tracking) tensor."""
    if hasattr(value, "detach"):  # a torch tensor, without importing torch
        value = value.detach().cpu().double().numpy()
    return np.asarray(value, dtype=np.float64)


def filled(value: Any, name: str = "my_answer") -> bool:
    """``False``, after saying what to do, while a self-check answer is still the placeholder ``None``."""
    if value is None:
        print(f"{TODO} fill in {name} above, then run this cell again")
        return False
    return True


def answer(
    value: Any,
    expected: Any,
    what: str = "your answer",
    *,
    atol: float = 0.0,
    rtol: float = 0.0,
    name: str = "my_answer",
    hint: str | None = None,
) -> None:
    """Check a student's ``value`` against ``expected`` (a ``None`` value asks for an answer instead).

    With ``atol = rtol = 0`` the comparison is exact (:func:`equal`), else :func:`close`. A mapping is
    compared key by key, in ``expected``'s order (``{"fine": 0.9, "coarse": 1.1}``).
    """
    if not filled(value, name):
        return
    try:
        _compare(value, expected, what, atol, rtol)
    except AssertionError as wrong:
        _missed[what] = expected
        problem = str(wrong).splitlines()[0].split(": ", 1)[-1]
        if not problem.startswith(("expected a dict", "shape")):  # a wrong form says how; a wrong value not
            problem = "not the expected answer"
        raise AssertionError(
            f"{FAIL} {what}: {problem}\n  hint: {hint or DEFAULT_HINT}\n"
            f"  Try again, or run `check.reveal({what!r})` to see the expected value."
        ) from None
    _missed.pop(what, None)


def _compare(value: Any, expected: Any, what: str, atol: float, rtol: float) -> None:
    """:func:`equal` without a tolerance, :func:`close` with one; a mapping key by key."""
    if isinstance(expected, Mapping):
        if not isinstance(value, Mapping) or set(value) != set(expected):
            got = sorted(value) if isinstance(value, Mapping) else type(value).__name__
            raise _fail(what, f"expected a dict with keys {sorted(expected)}, got {got}", None)
        value, expected = [value[k] for k in expected], list(expected.values())
    if atol == 0.0 and rtol == 0.0:
        equal(value, expected, what)
    else:
        close(value, expected, atol, what, rtol=rtol)


def reveal(what: str | None = None) -> Any:
    """Print and return the expected value of a question answered wrongly (the last one by default)."""
    if not _missed or (what is not None and what not in _missed):
        print(f"{TODO} no wrong answer to reveal{f' for {what!r}' if what else ''}: check an answer first")
        return None
    question = what if what is not None else next(reversed(_missed))
    print(f"{question}: the expected value is {_missed[question]!r}")
    return _missed[question]


def true(condition: Any, what: str, *, hint: str | None = None) -> None:
    """Check that ``condition`` is truthy (a bool, or a one-element tensor/array)."""
    if not bool(condition):
        raise _fail(what, "the condition is False", hint)
    _say(what)


def equal(actual: Any, expected: Any, what: str = "value", *, hint: str | None = None) -> None:
    """Check exact equality; numbers, sequences, arrays and tensors compare element-wise."""
    if hasattr(actual, "shape") or hasattr(expected, "shape"):
        a, e = _array(actual), _array(expected)
        same = a.shape == e.shape and bool(np.array_equal(a, e))
        if not same:
            detail = (
                f"shape {a.shape} != expected {e.shape}"
                if a.shape != e.shape
                else f"{int((a != e).sum())} of {a.size} entries differ"
            )
            raise _fail(what, detail, hint)
    elif actual != expected:
        raise _fail(what, f"got {actual!r}, expected {expected!r}", hint)
    _say(what)


def close(
    actual: Any,
    expected: Any,
    atol: float = 1e-6,
    what: str = "values",
    *,
    rtol: float = 0.0,
    hint: str | None = None,
) -> None:
    """Check ``|actual - expected| <= atol + rtol * |expected|`` everywhere (the largest difference is printed).

    Shapes must match exactly (no silent broadcasting: a ``[B, 1]`` vs ``[B]`` mix-up is a bug).
    """
    a, e = _array(actual), _array(expected)
    if a.shape != e.shape:
        raise _fail(what, f"shape {a.shape} != expected {e.shape}", hint or "compare like with like")
    if a.size == 0:
        _say(what)
        return
    diff = np.abs(a - e)
    tolerance = atol + rtol * np.abs(e)
    bad = ~(diff <= tolerance)  # NaN counts as bad
    worst = float(np.nanmax(diff)) if not np.isnan(diff).all() else float("nan")
    if bad.any():
        where = tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), a.shape))
        problem = (
            f"{int(bad.sum())} of {a.size} entries differ by more than the tolerance; "
            f"largest |difference| = {worst:.3g} (atol={atol:g}, rtol={rtol:g}); first at index {where}: "
            f"{a[where]:.6g} vs expected {e[where]:.6g}"
        )
        raise _fail(what, problem, hint)
    _say(f"{what} (max |diff| = {worst:.1e})")


def shape(
    tensor: Any, expected: Sequence[int | None], what: str = "tensor", *, hint: str | None = None
) -> None:
    """Check ``tensor.shape`` against ``expected``; ``None`` (or -1) in ``expected`` matches any size."""
    got = tuple(int(s) for s in getattr(tensor, "shape", np.shape(tensor)))
    want = tuple(expected)
    matches = len(got) == len(want) and all(
        w is None or w == -1 or g == w for g, w in zip(got, want, strict=True)
    )
    if not matches:
        shown = tuple("*" if w is None or w == -1 else w for w in want)
        raise _fail(what, f"shape {got}, expected {shown}", hint)
    _say(f"{what} has shape {got}")


def between(value: Any, low: float, high: float, what: str = "value", *, hint: str | None = None) -> None:
    """Check ``low <= value <= high`` for a single number (or one-element tensor)."""
    array = _array(value)
    if array.size != 1:
        raise _fail(what, f"expected a single number, got shape {array.shape}", hint)
    number = float(array.reshape(-1)[0])
    if not low <= number <= high:
        raise _fail(what, f"{number:.6g} is outside [{low:g}, {high:g}]", hint)
    _say(f"{what} = {number:.4g} is in [{low:g}, {high:g}]")
