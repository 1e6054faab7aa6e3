"""``summary.md``: the grid laid out like the study's tables, Delta_m, significance and RQ1-RQ3.

Accuracies are test accuracies (in %) of the epoch chosen on validation, ``mean +/- sd`` over seeds,
with the study's published value beside ours ("n/a" where it is not known). A gap is called a
difference only when Welch's t-test finds it significant at 5%; with one seed per group the summary
says that significance cannot be assessed.

The research questions, after the study:

- RQ1: does one multi-task model beat single-task models on each task (fine and coarse)?
- RQ2: is the multi-task model cheaper than the two single-task models it replaces (parameters, time)?
- RQ3: do the two backbones (ViT and ResNet-152 in the study) perform alike?
"""

from __future__ import annotations

from typing import Any

from mtlkit._table import markdown_table
from mtlkit.capstone import study
from mtlkit.capstone.delta_m import delta_m
from mtlkit.capstone.results import group, values
from mtlkit.capstone.stats import Comparison, mean, sd, welch

TASKS = ("fine", "coarse")
MODE_TASK = {"stl_fine": "fine", "stl_coarse": "coarse"}
NO_SEEDS = "significance cannot be assessed with one seed"


def pct(xs: list[float]) -> str:
    """``91.23 +/- 0.45`` (percent) over seeds; just the value for one seed; '-' for none."""
    if not xs:
        return "-"
    s = sd(xs)
    return f"{100 * mean(xs):.2f}" + ("" if s is None else f" ± {100 * s:.2f}")


def ref(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.2f}"


def verdict(c: Comparison, a: str, b: str) -> str:
    if c.significant is None:
        return NO_SEEDS
    if not c.significant:
        return "no significant difference"
    return f"{a} better" if c.difference > 0 else f"{b} better"


def approach(mode: str, weighting: str) -> str:
    return f"MTL ({weighting})" if mode == "mtl" else f"STL {MODE_TASK[mode]}"


def _stl(cells: dict, dataset: str, backbone: str, task: str) -> list[dict[str, Any]]:
    return cells.get((dataset, backbone, f"stl_{task}", "none"), [])


def grid_tables(rows: list[dict[str, Any]]) -> str:
    cells = group(rows, "dataset", "backbone", "mode", "weighting")
    parts = []
    for dataset in dict.fromkeys(r["dataset"] for r in rows):
        table = []
        for (dataset_, backbone, mode, weighting), runs in cells.items():
            if dataset_ != dataset:
                continue
            line = {
                "backbone": backbone,
                "approach": approach(mode, weighting),
                "seeds": len(runs),
            }
            for task in TASKS:
                line[f"{task} (ours)"] = pct(values(runs, task))
                line[f"{task} (study)"] = (
                    ref(study.accuracy(dataset, backbone, mode, task))
                    if (mode == "mtl" or MODE_TASK[mode] == task)
                    else "-"
                )
            line["coarse from fine"] = pct(values(runs, "coarse_from_fine"))
            line["parameters"] = f"{round(mean(values(runs, 'parameters'))):,}"
            line["s/epoch"] = f"{mean(values(runs, 's_per_epoch')):.2f}"
            table.append(line)
        columns = list(table[0]) if table else []
        parts.append(f"### {dataset}\n\n{markdown_table(table, columns)}\n")
    return "\n".join(parts)


def comparisons(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """MTL vs STL per (dataset, backbone, weighting, task), with Delta_m over the tasks."""
    cells = group(rows, "dataset", "backbone", "mode", "weighting")
    out = []
    for (dataset, backbone, mode, weighting), mtl_runs in cells.items():
        if mode != "mtl":
            continue
        entry = {"dataset": dataset, "backbone": backbone, "weighting": weighting, "tasks": {}}
        for task in TASKS:
            stl_values, mtl_values = (
                values(_stl(cells, dataset, backbone, task), task),
                values(mtl_runs, task),
            )
            if stl_values and mtl_values:
                entry["tasks"][task] = (welch(mtl_values, stl_values), mean(mtl_values), mean(stl_values))
        if entry["tasks"]:
            entry["delta_m"] = delta_m(
                {t: m for t, (_, m, _) in entry["tasks"].items()},
                {t: s for t, (_, _, s) in entry["tasks"].items()},
            )
            out.append(entry)
    return out


def comparison_table(entries: list[dict[str, Any]]) -> str:
    table = []
    for e in entries:
        for task, (c, _, _) in e["tasks"].items():
            table.append(
                {
                    "dataset": e["dataset"],
                    "backbone": e["backbone"],
                    "weighting": e["weighting"],
                    "task": task,
                    "MTL - STL (points)": f"{100 * c.difference:+.2f}",
                    "Welch t (df)": "-" if c.t is None else f"{c.t:.2f} ({c.df:.1f})",
                    "verdict": verdict(c, "MTL", "STL"),
                    "delta_m": f"{100 * e['delta_m']:+.2f}%",
                }
            )
    columns = list(table[0]) if table else ["dataset"]
    return markdown_table(table, columns)


def rq1(entries: list[dict[str, Any]]) -> str:
    if not entries:
        return "RQ1 needs finished single-task and multi-task runs of the same dataset and backbone."
    lines, tally = [], {"MTL better": 0, "STL better": 0, "no significant difference": 0, NO_SEEDS: 0}
    for e in entries:
        said = []
        for task, (c, _, _) in e["tasks"].items():
            v = verdict(c, "MTL", "STL")
            tally[v] += 1
            said.append(f"{task} {100 * c.difference:+.2f} points ({v})")
        lines.append(
            f"- {e['dataset']} / {e['backbone']} / {e['weighting']}: {'; '.join(said)}; "
            f"delta_m = {100 * e['delta_m']:+.2f}%."
        )
    counted = ", ".join(f"{k}: {n}" for k, n in tally.items() if n)
    return "\n".join(lines) + f"\n\nOver all {sum(tally.values())} task comparisons: {counted}."


def rq2(rows: list[dict[str, Any]]) -> str:
    cells = group(rows, "dataset", "backbone", "mode", "weighting")
    lines = []
    for (dataset, backbone, mode, weighting), runs in cells.items():
        pair = [_stl(cells, dataset, backbone, t) for t in TASKS]
        if mode != "mtl" or not all(pair):
            continue
        params = mean(values(runs, "parameters")) / sum(mean(values(p, "parameters")) for p in pair)
        time = mean(values(runs, "s_per_epoch")) / sum(mean(values(p, "s_per_epoch")) for p in pair)
        lines.append(
            f"- {dataset} / {backbone} / {weighting}: the MTL model has {100 * params:.0f}% of the two "
            f"STL models' parameters and takes {100 * time:.0f}% of their training time per epoch."
        )
    return "\n".join(lines) or "RQ2 needs both single-task runs and the multi-task run of a cell."


def rq3(rows: list[dict[str, Any]]) -> str:
    lines = []
    for (dataset, mode, weighting), runs in group(rows, "dataset", "mode", "weighting").items():
        by_backbone = group(runs, "backbone")
        if len(by_backbone) < 2:
            continue
        ((a,), ra), ((b,), rb) = list(by_backbone.items())[:2]
        for task in [MODE_TASK[mode]] if mode in MODE_TASK else TASKS:
            c = welch(values(ra, task), values(rb, task))
            lines.append(
                f"- {dataset} / {approach(mode, weighting)} / {task}: {a} - {b} = {100 * c.difference:+.2f} points "
                f"({verdict(c, a, b)})."
            )
    return "\n".join(lines) or "RQ3 needs runs of two backbones."


def summary_markdown(rows: list[dict[str, Any]], preset: str, pending: list[str]) -> str:
    """The whole ``summary.md``."""
    seeds = sorted({r["seed"] for r in rows})
    entries = comparisons(rows)
    parts = [
        f"# mtlkit capstone: preset `{preset}`\n",
        f"{len(rows)} finished runs, seeds {seeds}. Test accuracy (%) of the epoch chosen on validation, "
        "mean ± sd over seeds; the study's published value beside ours (n/a: not yet copied from the "
        f"study, see mtlkit/capstone/study.py). Study: {study.SOURCE}.\n",
    ]
    if pending:
        parts.append(f"**Not finished yet** (re-run the same command to resume): {', '.join(pending)}.\n")
    parts += [
        "## Results\n",
        grid_tables(rows),
        "## Multi-task vs single-task\n",
        "Welch's t-test at 5% over seeds; delta_m is the mean relative change of MTL over STL across "
        "tasks (Maninis et al. 2019), positive when MTL is better.\n",
        comparison_table(entries) + "\n",
        "## Research questions\n",
        "**RQ1. Does one multi-task model beat single-task models on each task?**\n",
        rq1(entries) + "\n",
        "**RQ2. Is the multi-task model cheaper than the two single-task models it replaces?**\n",
        rq2(rows) + "\n",
        "**RQ3. Do the two backbones perform alike?**\n",
        rq3(rows) + "\n",
        "## Figures\n",
        "![STL vs MTL](figures/stl_vs_mtl.png)\n\n![Learning curves](figures/learning_curves.png)\n\n"
        "![Task weights](figures/task_weights.png)\n",
    ]
    return "\n".join(parts)
