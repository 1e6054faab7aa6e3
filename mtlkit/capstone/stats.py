"""Statistics over seeds: mean, standard deviation, a t-based 95% interval and paired differences.

With ``n`` seeds the 95% interval of the mean is ``mean +/- t_{0.975, n-1} * sd / sqrt(n)``. Two
approaches trained with the same seeds (same split, initialisation draw and data order) are compared
on their per-seed differences ``d_s = a_s - b_s``: the interval of ``mean(d)`` is the same formula on
the ``d_s`` (the paired t-interval, as lesson 6 teaches; Student 1908). Pairing removes what the two
runs of one seed share, so it is tighter than an unpaired (Welch) test when seeds matter. An interval
that contains 0 means no evidence of a difference at this number of seeds, not evidence of none.
The t distribution is computed exactly (no SciPy): its CDF is a regularised incomplete beta function,
evaluated with the continued fraction of Numerical Recipes (Press et al., 2007, section 6.4), and the
quantile is found by bisection. With one seed nothing can be said about noise, and the functions say
so (``None``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
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
class Paired:
    """The paired difference ``a - b`` over the seeds both have: its mean and 95% t-interval.

    ``interval`` is None with fewer than two pairs: then nothing can be said about noise.
    """

    difference: float  # mean over seeds of a_s - b_s
    interval: tuple[float, float] | None
    seeds: int

    @property
    def clear(self) -> bool | None:
        """True when the interval excludes 0 (a difference beyond seed noise), None without one."""
        if self.interval is None:
            return None
        low, high = self.interval
        return low > 0.0 or high < 0.0


def paired(a: Mapping[int, float], b: Mapping[int, float]) -> Paired | None:
    """``a - b`` paired by seed (the keys); None when no seed has both values."""
    seeds = sorted(set(a) & set(b))
    if not seeds:
        return None
    differences = [a[s] - b[s] for s in seeds]
    return Paired(mean(differences), interval95(differences), len(seeds))
