"""The capstone: the 2023 study's grid (datasets x backbones x STL fine / STL coarse / MTL x seeds),
run resumably, summarised beside the study's table with statistics over seeds.

    from mtlkit.capstone import run_capstone
    report = run_capstone("quick", out="runs/capstone")
    print(open(report["summary_md"]).read())

Modules: ``presets`` (quick / seed / strong), ``grid`` (the runs), ``runner`` (run and resume),
``scheduler`` (one process per device), ``results`` / ``summary`` / ``figures`` (the report),
``stats`` (mean, sd, t interval, paired differences), ``verdicts`` (RQ1-RQ3), ``timing``, ``delta_m``,
``study`` (the published numbers).
"""

from __future__ import annotations

from typing import Any

__all__ = ["MODES", "PRESETS", "plan", "run_capstone", "write_report"]


def __getattr__(name: str) -> Any:
    # Lazy: importing the package must not import torch.
    if name in ("run_capstone", "write_report"):
        from mtlkit.capstone import runner

        return getattr(runner, name)
    if name == "PRESETS":
        from mtlkit.capstone.presets import PRESETS

        return PRESETS
    if name in ("MODES", "plan"):
        from mtlkit.capstone import grid

        return getattr(grid, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
