"""``summary.md``: the grid laid out like the study's tables, Delta_m, significance and RQ1-RQ3.

Accuracies are test accuracies (in %) of the epoch chosen on validation, ``mean +/- sd`` over seeds,
with the study's published value beside ours and our difference to it ("n/a" where it is not known).
A gap is called a difference only when Welch's t-test finds it significant at 5%; with one seed per
group the summary says that significance cannot be assessed. Time ratios and the ``× study speed``
column use each run's median seconds per epoch after the first (warm-up excluded) when every run has
it, else the mean over all epochs (:func:`epoch_time_column`); the summary says which.

The study's research questions, verbatim (:data:`mtlkit.capstone.study.RESEARCH_QUESTIONS`, from the
author's post :data:`mtlkit.capstone.study.POST`), and how the summary answers each from the runs:

- RQ1 "Is an MTL ViT model superior in performance to an MTL Convolution-based model (ResNet-152)?":
  the MTL model of the ViT against the MTL model of the CNN (ResNet-152 in the study; ``cnn`` in the
  quick preset), per dataset, weighting and task (:func:`backbone_comparison` on ``{"mtl"}``).
- RQ2 "Can an MTL ViT model achieve better results than two separate STL ViT models?": each MTL model
  against the two STL models of its backbone, per task, with Delta_m and the parameter and time cost
  of MTL relative to the two STL models (the study claims "fewer parameters"). The study asked it for
  the ViT; the summary answers it for every backbone.
- RQ3 "Does an STL ViT model outperform an STL Convolution-based model (ResNet152) in terms of
  accuracy?": the STL models of the ViT against those of the CNN, per dataset and task
  (:func:`backbone_comparison` on the STL modes).
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


SPEED = "× study speed"
MEDIAN = "median_s_per_epoch_after_first"
MEDIAN_HEADER = "median s/epoch after 1st"


def epoch_time_column(rows: list[dict[str, Any]]) -> str:
    """The epoch time that speeds and time ratios use: the median over epochs 2..n (warm-up such as
    ``torch.compile`` excluded) when every run has it, else the mean over all epochs (``s_per_epoch``)
    for all of them, so that every ratio compares like with like."""
    return MEDIAN if rows and all(r.get(MEDIAN) is not None for r in rows) else "s_per_epoch"


def epoch_time_note(column: str, speeds: bool) -> str:
    """The sentence of summary.md that says which epoch time the ratios (and ``speeds``) use."""
    subject = f"Speeds (`{SPEED}`) and the MTL/STL time ratios" if speeds else "The MTL/STL time ratios"
    if column == MEDIAN:
        return (
            f"{subject} use each run's median seconds per epoch after "
            f"the first (`{MEDIAN_HEADER}`: the first epoch's warm-up, e.g. torch.compile, excluded), "
            "averaged over seeds; `s/epoch` is the mean over all epochs, first included.\n"
        )
    return (
        f"{subject} use the mean seconds per epoch over all epochs, "
        "first included (`s/epoch`): not every run has a median after the first epoch (one-epoch runs, "
        "or results written before it was recorded).\n"
    )


def speedup(backbone: str, runs: list[dict[str, Any]], column: str = "s_per_epoch") -> str:
    """The study's seconds per epoch over our mean of ``column`` (``21.3×``: we run an epoch 21.3 times
    faster); "n/a" for a backbone the study did not time."""
    published, ours = study.SECONDS_PER_EPOCH.get(backbone), values(runs, column)
    if published is None or not ours or mean(ours) <= 0:
        return "n/a"
    return f"{published / mean(ours):.1f}×"


def study_times() -> str:
    return ", ".join(f"{b} {t:g} s" for b, t in study.SECONDS_PER_EPOCH.items())


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
                line[SPEED] = speedup(backbone, runs, timing)
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


def tally(verdicts: list[str]) -> str:
    """``Over all 4 comparisons: vit better: 1, no significant difference: 3.``"""
    counts = {v: verdicts.count(v) for v in dict.fromkeys(verdicts)}
    noun = "comparison" if len(verdicts) == 1 else "comparisons"
    return f"Over all {len(verdicts)} {noun}: " + ", ".join(f"{v}: {n}" for v, n in counts.items()) + "."


def vit_first(backbones: list[str]) -> list[str]:
    """Backbone labels with the ViT ones first: RQ1 and RQ3 ask whether the ViT beats the CNN."""
    return sorted(backbones, key=lambda b: not b.startswith("vit"))


def study_gap(dataset: str, task: str, a: tuple[str, str], b: tuple[str, str]) -> str:
    """``; study: +1.30`` -- the study's (backbone, mode) ``a`` minus ``b`` in points, or '' if unknown."""
    pa, pb = study.accuracy(dataset, *a, task), study.accuracy(dataset, *b, task)
    return "" if pa is None or pb is None else f"; study {100 * (pa - pb):+.2f}"


def backbone_comparison(rows: list[dict[str, Any]], modes: set[str]) -> list[dict[str, Any]]:
    """The first backbone (a ViT when there is one) against each other one, per dataset, mode, weighting
    and task of ``modes``: ``{"dataset", "approach", "task", "a", "b", "comparison"}`` with
    ``comparison = welch(a, b)``."""
    out = []
    for (dataset, mode, weighting), runs in group(rows, "dataset", "mode", "weighting").items():
        if mode not in modes:
            continue
        by_backbone = {b: r for (b,), r in group(runs, "backbone").items()}
        a, *others = vit_first(list(by_backbone))
        for b in others:
            for task in [MODE_TASK[mode]] if mode in MODE_TASK else TASKS:
                xa, xb = values(by_backbone[a], task), values(by_backbone[b], task)
                if xa and xb:
                    out.append(
                        {
                            "dataset": dataset,
                            "approach": approach(mode, weighting),
                            "task": task,
                            "a": a,
                            "b": b,
                            "mode": mode,
                            "comparison": welch(xa, xb),
                        }
                    )
    return out


def answer_backbones(rows: list[dict[str, Any]], modes: set[str], needs: str) -> str:
    found = backbone_comparison(rows, modes)
    if not found:
        return f"Needs finished {needs} runs of two backbones on the same dataset."
    lines, verdicts = [], []
    for f in found:
        c, a, b = f["comparison"], f["a"], f["b"]
        verdicts.append(verdict(c, a, b))
        lines.append(
            f"- {f['dataset']} / {f['approach']} / {f['task']}: {a} - {b} = "
            f"{100 * c.difference:+.2f} points ({verdicts[-1]}"
            f"{study_gap(f['dataset'], f['task'], (a, f['mode']), (b, f['mode']))})."
        )
    return "\n".join(lines) + "\n\n" + tally(verdicts)


def rq1(rows: list[dict[str, Any]]) -> str:
    """RQ1: the MTL model of the ViT against the MTL model of the CNN, per dataset and task."""
    return answer_backbones(rows, {"mtl"}, "multi-task")


def cost(rows: list[dict[str, Any]], dataset: str, backbone: str, weighting: str) -> str:
    """The MTL model's parameters and time per epoch as a share of its two STL models'."""
    cells = group(rows, "dataset", "backbone", "mode", "weighting")
    pair = [_stl(cells, dataset, backbone, t) for t in TASKS]
    if not all(pair):
        return ""
    runs, timing = cells[(dataset, backbone, "mtl", weighting)], epoch_time_column(rows)
    params = mean(values(runs, "parameters")) / sum(mean(values(p, "parameters")) for p in pair)
    time = mean(values(runs, timing)) / sum(mean(values(p, timing)) for p in pair)
    which = "median after the first epoch" if timing == MEDIAN else "mean over all epochs"
    return (
        f" Cost: the MTL model has {100 * params:.0f}% of the two STL models' parameters and takes "
        f"{100 * time:.0f}% of their training time per epoch ({which})."
    )


def rq2(rows: list[dict[str, Any]]) -> str:
    """RQ2: each MTL model against the two STL models of its backbone, with Delta_m and cost."""
    entries = comparisons(rows)
    if not entries:
        return "Needs finished single-task and multi-task runs of the same dataset and backbone."
    lines, verdicts = [], []
    for e in entries:
        said = []
        for task, (c, _, _) in e["tasks"].items():
            verdicts.append(verdict(c, "MTL", "STL"))
            gap = study_gap(e["dataset"], task, (e["backbone"], "mtl"), (e["backbone"], f"stl_{task}"))
            said.append(f"{task} {100 * c.difference:+.2f} points ({verdicts[-1]}{gap})")
        lines.append(
            f"- {e['dataset']} / {e['backbone']} / MTL ({e['weighting']}) vs STL: {'; '.join(said)}; "
            f"delta_m = {100 * e['delta_m']:+.2f}%." + cost(rows, e["dataset"], e["backbone"], e["weighting"])
        )
    return "\n".join(lines) + "\n\n" + tally(verdicts)


def rq3(rows: list[dict[str, Any]]) -> str:
    """RQ3: the STL models of the ViT against those of the CNN, per dataset and task."""
    return answer_backbones(rows, set(MODE_TASK), "single-task")


def question(name: str) -> str:
    return f'**{name}.** "{study.RESEARCH_QUESTIONS[name]}"\n'


def summary_markdown(rows: list[dict[str, Any]], preset: str, pending: list[str]) -> str:
    """The whole ``summary.md``."""
    seeds = sorted({r["seed"] for r in rows})
    entries = comparisons(rows)
    parts = [
        f"# mtlkit capstone: preset `{preset}`\n",
        f"{len(rows)} finished runs, seeds {seeds}. Test accuracy (%) of the epoch chosen on validation, "
        "mean ± sd over seeds.\n",
    ]
    if any(r["dataset"] in study.DATASETS for r in rows):
        parts.append(
            "Beside ours: the study's published value and our mean minus it, in points (n/a: not found in "
            f"the study's notebooks). Study: {study.SOURCE}. {study.CAVEAT} `{SPEED}` is the study's "
            f"seconds per epoch ({study_times()}, on its own hardware) divided by ours: how many times "
            "faster an epoch runs here.\n"
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
        "Welch's t-test at 5% over seeds; delta_m is the mean relative change of MTL over STL across "
        "tasks (Maninis et al. 2019), positive when MTL is better.\n",
        comparison_table(entries) + "\n",
        "## Research questions\n",
        f"The study's questions, verbatim from {study.POST}. ViT is compared with the CNN (ResNet-152 in "
        "the study); every comparison uses Welch's t-test at 5% over seeds. Where the study printed both "
        "numbers, its own difference follows ours (`study`, in points, one run each).\n",
        question("RQ1"),
        "Answered with the MTL model of each backbone, per dataset and task:\n",
        rq1(rows) + "\n",
        question("RQ2"),
        "Answered with each MTL model against the two STL models of its backbone (the study asked it for "
        "the ViT):\n",
        rq2(rows) + "\n",
        question("RQ3"),
        "Answered with the STL models of each backbone, per dataset and task:\n",
        rq3(rows) + "\n",
        "## Figures\n",
        "![STL vs MTL](figures/stl_vs_mtl.png)\n\n![Learning curves](figures/learning_curves.png)\n\n"
        "![Task weights](figures/task_weights.png)\n",
    ]
    return "\n".join(parts)
