"""``summary.md``: the grid laid out like the study's tables, then the verdicts and RQ1-RQ3.

Accuracies are test accuracies (in %) of the epoch chosen on validation, ``mean +/- sd`` over seeds,
with the study's published value beside ours and our difference to it (:mod:`mtlkit.capstone.study`:
the best of 5-6 configurations per cell, selected on the test set). The comparisons are paired
same-seed differences with 95% t-intervals and Delta_m (:mod:`mtlkit.capstone.verdicts`); epoch times
and the ``× study speed`` column are explained in :mod:`mtlkit.capstone.timing`.
"""

from __future__ import annotations

from typing import Any

from mtlkit._table import markdown_table
from mtlkit.capstone import study, verdicts
from mtlkit.capstone.results import group, values
from mtlkit.capstone.stats import mean, sd
from mtlkit.capstone.timing import MEDIAN, MEDIAN_HEADER, SPEED, epoch_time_column, epoch_time_note, speedup
from mtlkit.capstone.verdicts import MODE_TASK, TASKS, approach


def pct(xs: list[float]) -> str:
    """``91.23 +/- 0.45`` (percent) over seeds; just the value for one seed; '-' for none."""
    if not xs:
        return "-"
    s = sd(xs)
    return f"{100 * mean(xs):.2f}" + ("" if s is None else f" ± {100 * s:.2f}")


def ref(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.2f}"


def study_columns(runs: list[dict[str, Any]], dataset: str, backbone: str, mode: str) -> dict[str, str]:
    """The study's value of each task and our mean minus it, in points ("-": not a task of ``mode``)."""
    line = {}
    for task in TASKS:
        if mode != "mtl" and MODE_TASK[mode] != task:
            line[f"{task} (study)"] = line[f"{task} ours - study"] = "-"
            continue
        published, ours = study.accuracy(dataset, backbone, mode, task), values(runs, task)
        line[f"{task} (study)"] = ref(published)
        line[f"{task} ours - study"] = (
            "n/a" if published is None or not ours else f"{100 * (mean(ours) - published):+.2f}"
        )
    return line


def grid_tables(rows: list[dict[str, Any]]) -> str:
    """One table per dataset; the study's columns only for the datasets it used."""
    cells = group(rows, "dataset", "backbone", "mode", "weighting")
    timing = epoch_time_column(rows)
    parts = []
    for dataset in dict.fromkeys(r["dataset"] for r in rows):
        table = []
        for (dataset_, backbone, mode, weighting), runs in cells.items():
            if dataset_ != dataset:
                continue
            line = {"backbone": backbone, "approach": approach(mode, weighting), "seeds": len(runs)}
            line.update({f"{task} (ours)": pct(values(runs, task)) for task in TASKS})
            if dataset in study.DATASETS:
                line.update(study_columns(runs, dataset, backbone, mode))
            line["coarse from fine"] = pct(values(runs, "coarse_from_fine"))
            line["parameters"] = f"{round(mean(values(runs, 'parameters'))):,}"
            line["s/epoch"] = f"{mean(values(runs, 's_per_epoch')):.2f}"
            if timing == MEDIAN:
                line[MEDIAN_HEADER] = f"{mean(values(runs, MEDIAN)):.2f}"
            if dataset in study.DATASETS:
                line[SPEED] = speedup((dataset, backbone, mode), runs, timing)
            table.append(line)
        columns = list(table[0]) if table else []
        parts.append(f"### {dataset}\n\n{markdown_table(table, columns)}\n")
    return "\n".join(parts)


def stand_ins(rows: list[dict[str, Any]]) -> str:
    """`` Our resnet18 rows stand beside the study's resnet152.`` for labels the study did not train."""
    labels = sorted({r["backbone"] for r in rows if r["dataset"] in study.DATASETS})
    pairs = [(b, study.study_backbone(b)) for b in labels]
    said = [f"our `{b}` rows stand beside the study's `{s}`" for b, s in pairs if s is not None and s != b]
    return f" Backbones: {'; '.join(said)}." if said else ""


def question(name: str) -> str:
    return f'**{name}.** "{study.RESEARCH_QUESTIONS[name]}"\n'


def summary_markdown(rows: list[dict[str, Any]], preset: str, pending: list[str]) -> str:
    """The whole ``summary.md``."""
    from mtlkit.capstone.timing import study_times

    seeds = sorted({r["seed"] for r in rows})
    parts = [
        f"# mtlkit capstone: preset `{preset}`\n",
        f"{len(rows)} finished runs, seeds {seeds}. Test accuracy (%) of the epoch chosen on validation, "
        "mean ± sd over seeds.\n",
    ]
    if any(r["dataset"] in study.DATASETS for r in rows):
        parts.append(
            "Beside ours: the study's published value and our mean minus it, in points. "
            f"Study: {study.SOURCE}. {study.CAVEAT} `{SPEED}` is the study's seconds per epoch "
            f"({study_times()}, on its own hardware) divided by ours: how many times faster an epoch runs "
            "here.{stand_ins(rows)}\n"
        )
    if rows:
        speeds = any(r["dataset"] in study.DATASETS for r in rows)
        parts.append(epoch_time_note(epoch_time_column(rows), speeds))
    if pending:
        parts.append(f"**Not finished yet** (re-run the same command to resume): {', '.join(pending)}.\n")
    parts += [
        "## Results\n",
        grid_tables(rows),
        "## Multi-task vs single-task\n",
        "Paired differences over seeds (MTL minus the other run of the same seed), with the 95% "
        "t-interval of their mean; MTL's coarse head is also compared with the coarse-from-fine baseline "
        "(the STL fine model's prediction mapped to its superclass). delta_m is the mean relative change "
        "of MTL over STL across tasks (Maninis et al. 2019), per seed, positive when MTL is better. A "
        "verdict names a winner only when the interval excludes 0.\n",
        verdicts.comparison_table(verdicts.mtl_vs_stl(rows)) + "\n",
        verdicts.multiple_comparisons(rows),
        "## Research questions\n",
        f"The study's questions, verbatim from {study.POST}. ViT is compared with the CNN (ResNet-152 in "
        "the study); every comparison is a paired same-seed difference with its 95% t-interval. Where "
        "the study printed both numbers, its own difference follows ours (`study`, in points: best "
        "test accuracies of one run each, no interval).\n",
        question("RQ1"),
        "Answered with the MTL model of each backbone, per dataset and task:\n",
        verdicts.rq1(rows) + "\n",
        question("RQ2"),
        "Answered with each MTL model against the two STL models of its backbone and against the "
        "coarse-from-fine baseline (the study asked it for the ViT):\n",
        verdicts.rq2(rows) + "\n",
        question("RQ3"),
        "Answered with the STL models of each backbone, per dataset and task:\n",
        verdicts.rq3(rows) + "\n",
        "## Figures\n",
        "![STL vs MTL](figures/stl_vs_mtl.png)\n\n![Learning curves](figures/learning_curves.png)\n\n"
        "![Task weights](figures/task_weights.png)\n",
    ]
    return "\n".join(parts)
