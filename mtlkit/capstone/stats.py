"""Statistics over seeds: mean, standard deviation, a t-based 95% interval and Welch's t-test.

With ``n`` seeds the 95% interval of the mean is ``mean +/- t_{0.975, n-1} * sd / sqrt(n)``. Two groups
differ significantly (two-sided, 5%) when Welch's statistic
``t = (mean_a - mean_b) / sqrt(sd_a^2/n_a + sd_b^2/n_b)`` exceeds the Student-t quantile at the
Welch-Satterthwaite degrees of freedom ``df = (v_a + v_b)^2 / (v_a^2/(n_a-1) + v_b^2/(n_b-1))``,
``v = sd^2/n`` (Welch 1947). The t distribution is computed exactly (no SciPy): its CDF is a regularised
incomplete beta function, evaluated with the continued fraction of Numerical Recipes (Press et al.,
2007, section 6.4), and the quantile is found by bisection. With one seed per group nothing can be
said about significance, and the functions say so (``None``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def sd(values: Sequence[float]) -> float | None:
    """Sample standard deviation (``n - 1`` in the denominator); None for fewer than two values."""
    if len(values) < 2:
        return None
    m = mean(values)
    return math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1))


def _beta_cf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz's method)."""
    tiny, eps = 1e-300, 1e-15
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < eps:
            break
    return h


def incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function ``I_x(a, b)``."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_cf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_cf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """``P(T <= t)`` for Student's t with ``df`` (possibly fractional) degrees of freedom."""
    tail = 0.5 * incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom (bisection on :func:`t_cdf`)."""
    if not 0.0 < p < 1.0 or df <= 0:
        raise ValueError(f"need 0 < p < 1 and df > 0, got p={p}, df={df}")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        high *= 2.0
    for _ in range(200):
        middle = 0.5 * (low + high)
        low, high = (middle, high) if t_cdf(middle, df) < p else (low, middle)
    return 0.5 * (low + high)


def interval95(values: Sequence[float]) -> tuple[float, float] | None:
    """The t-based 95% confidence interval of the mean; None for fewer than two values."""
    s = sd(values)
    if s is None:
        return None
    half = t_quantile(0.975, len(values) - 1) * s / math.sqrt(len(values))
    m = mean(values)
    return m - half, m + half


@dataclass(frozen=True)
class Comparison:
    """Welch's t-test of ``a`` against ``b``; ``significant`` is None when it cannot be assessed."""

    difference: float  # mean(a) - mean(b)
    t: float | None
    df: float | None
    significant: bool | None


def welch(a: Sequence[float], b: Sequence[float], alpha: float = 0.05) -> Comparison:
    """Two-sided Welch's t-test at level ``alpha``; needs at least two values in each group."""
    difference = mean(a) - mean(b)
    if len(a) < 2 or len(b) < 2:
        return Comparison(difference, None, None, None)
    va, vb = sd(a) ** 2 / len(a), sd(b) ** 2 / len(b)
    if va + vb == 0.0:  # no spread at all: any difference is exact
        return Comparison(difference, None, None, difference != 0.0)
    t = difference / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return Comparison(difference, t, df, abs(t) > t_quantile(1.0 - alpha / 2.0, df))
