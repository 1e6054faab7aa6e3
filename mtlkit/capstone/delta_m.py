"""Delta_m: the average relative change of a multi-task model over its single-task baselines.

``delta_m = 1/T * sum_t (-1)^{l_t} (M_mtl,t - M_stl,t) / M_stl,t`` where ``l_t = 1`` when a lower value
of metric ``M_t`` is better (a loss or an error) and 0 when higher is better (an accuracy)
(Maninis, Radosavovic & Kokkinos, CVPR 2019; Vandenhende et al., TPAMI 2021). Positive means the
multi-task model is better on average; it is returned as a fraction (multiply by 100 for percent).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping


def delta_m(
    mtl: Mapping[str, float], stl: Mapping[str, float], lower_is_better: Collection[str] = ()
) -> float:
    """Delta_m over the tasks of ``stl`` (each must be in ``mtl``); tasks in ``lower_is_better`` flip sign."""
    if not stl:
        raise ValueError("delta_m needs at least one task")
    missing = sorted(set(stl) - set(mtl))
    if missing:
        raise ValueError(f"the multi-task results lack task(s) {missing}")
    total = 0.0
    for task, baseline in stl.items():
        if baseline == 0:
            raise ValueError(f"the single-task value of {task!r} is 0: the relative change is undefined")
        sign = -1.0 if task in lower_is_better else 1.0
        total += sign * (mtl[task] - baseline) / baseline
    return total / len(stl)
