"""The verdicts of ``summary.md``: paired same-seed differences with 95% t-intervals, Delta_m, RQ1-RQ3.

Every comparison pairs the runs of one seed (same split, same initialisation draw, same data order)
and reports the mean of the per-seed differences with its 95% t-interval (:func:`stats.paired`, as
lesson 6 teaches). The verdict says "A better" only when the interval excludes 0, and otherwise "no
evidence of a difference" (which is not evidence of no difference); with one seed there is no
interval and every verdict says it cannot be assessed. Delta_m (Maninis et al. 2019) is computed per
seed and reported with its interval too. :func:`multiple_comparisons` says how many intervals the
summary prints: at 95% each, about one in twenty excludes 0 by chance alone.

How the study's questions (:data:`mtlkit.capstone.study.RESEARCH_QUESTIONS`) are answered:

- RQ1 (MTL ViT vs MTL CNN): the MTL models of the two backbones, per dataset, weighting and task.
- RQ2 (MTL ViT vs two STL ViTs): each MTL model against the two STL models of its backbone, per task,
  and its coarse head against the **coarse-from-fine** baseline (the STL fine model's prediction
  mapped to its superclass, lesson 2): a coarse head that does not beat it adds nothing a fine model
  does not give for free. Delta_m over the tasks and the parameter and time cost of MTL follow. The
  study asked it for the ViT; the summary answers it for every backbone.
- RQ3 (STL ViT vs STL CNN): the STL models of the two backbones, per dataset and task.
"""

from __future__ import annotations

from typing import Any

from mtlkit.capstone import study
from mtlkit.capstone.delta_m import delta_m
from mtlkit.capstone.results import group, values
from mtlkit.capstone.stats import Paired, interval95, mean, paired
from mtlkit.capstone.timing import MEDIAN, epoch_time_column

TASKS = ("fine", "coarse")
MODE_TASK = {"stl_fine": "fine", "stl_coarse": "coarse"}
NO_SEEDS = "cannot be assessed with one seed"
NO_EVIDENCE = "no evidence of a difference"


def by_seed(rows: list[dict[str, Any]], column: str) -> dict[int, float]:
    """{seed: value of ``column``} of the runs that have it."""
    return {r["seed"]: r[column] for r in rows if r.get(column) is not None}


def verdict(p: Paired, a: str, b: str) -> str:
    if p.clear is None:
        return NO_SEEDS
    if not p.clear:
        return NO_EVIDENCE
    return f"{a} better" if p.difference > 0 else f"{b} better"


def interval(p: Paired, unit: str = "") -> str:
    """``[-0.52, +2.96]`` (times 100, with ``unit``), or '-' without one."""
    if p.interval is None:
        return "-"
    low, high = p.interval
    return f"[{100 * low:+.2f}{unit}, {100 * high:+.2f}{unit}]"


def said(p: Paired, a: str, b: str, unit: str = " points") -> str:
    """``+1.20 points, 95% interval [-0.52, +2.96] (no evidence of a difference``; caller closes."""
    text = f"{100 * p.difference:+.2f}{unit}"
    if p.interval is not None:
        text += f", 95% interval {interval(p, unit.strip() if unit == '%' else '')}"
    return f"{text} ({verdict(p, a, b)}"


def approach(mode: str, weighting: str) -> str:
    return f"MTL ({weighting})" if mode == "mtl" else f"STL {MODE_TASK[mode]}"


def _stl(cells: dict, dataset: str, backbone: str, task: str) -> list[dict[str, Any]]:
    return cells.get((dataset, backbone, f"stl_{task}", "none"), [])


def per_seed_delta_m(mtl: list[dict[str, Any]], stl: dict[str, list[dict[str, Any]]]) -> Paired | None:
    """Delta_m of each seed that has every task of ``stl`` (task -> its STL runs), with its interval."""
    tasks = [t for t, runs in stl.items() if runs]
    mtl_acc = {t: by_seed(mtl, t) for t in tasks}
    stl_acc = {t: by_seed(stl[t], t) for t in tasks}
    seeds = sorted(
        s for s in {r["seed"] for r in mtl} if all(s in mtl_acc[t] and s in stl_acc[t] for t in tasks)
    )
    if not tasks or not seeds:
        return None
    each = [delta_m({t: mtl_acc[t][s] for t in tasks}, {t: stl_acc[t][s] for t in tasks}) for s in seeds]
    return Paired(mean(each), interval95(each), len(seeds))


def mtl_vs_stl(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (dataset, backbone, weighting): MTL against each STL model and against coarse-from-fine,
    as ``comparisons`` ({task, versus, p: Paired of MTL minus it, b: its name, study_mode}), and
    ``delta_m`` (a Paired over seeds, or None)."""
    cells = group(rows, "dataset", "backbone", "mode", "weighting")
    out = []
    for (dataset, backbone, mode, weighting), mtl in cells.items():
        if mode != "mtl":
            continue
        stl = {t: _stl(cells, dataset, backbone, t) for t in TASKS}
        # (task, against what, our values, theirs, their name, the study's cell to quote or None)
        wanted = [
            ("fine", "STL fine", by_seed(mtl, "fine"), by_seed(stl["fine"], "fine"), "STL", "stl_fine"),
            (
                "coarse",
                "STL coarse",
                by_seed(mtl, "coarse"),
                by_seed(stl["coarse"], "coarse"),
                "STL",
                "stl_coarse",
            ),
            (
                "coarse",
                "coarse from STL fine",
                by_seed(mtl, "coarse"),
                by_seed(stl["fine"], "coarse_from_fine"),
                "coarse-from-fine",
                None,
            ),
        ]
        found = [
            {"task": task, "versus": versus, "p": p, "b": b, "study_mode": cell}
            for task, versus, xa, xb, b, cell in wanted
            if (p := paired(xa, xb)) is not None
        ]
        if found:
            entry = {"dataset": dataset, "backbone": backbone, "weighting": weighting, "comparisons": found}
            entry["delta_m"] = per_seed_delta_m(mtl, stl)
            out.append(entry)
    return out


def comparison_table(entries: list[dict[str, Any]]) -> str:
    from mtlkit._table import markdown_table

    table = []
    for e in entries:
        lines = [(f"{c['task']}: MTL - {c['versus']}", c["p"], "MTL", c["b"], "") for c in e["comparisons"]]
        if e["delta_m"] is not None:
            lines.append(("delta_m: MTL vs STL (%)", e["delta_m"], "MTL", "STL", "%"))
        for what, p, a, b, unit in lines:
            table.append(
                {
                    "dataset": e["dataset"],
                    "backbone": e["backbone"],
                    "weighting": e["weighting"],
                    "comparison": what,
                    "mean difference (points)": f"{100 * p.difference:+.2f}{unit}",
                    "95% interval": interval(p, unit),
                    "seeds": p.seeds,
                    "verdict": verdict(p, a, b),
                }
            )
    return markdown_table(table, list(table[0]) if table else ["dataset"])


def tally(verdicts: list[str]) -> str:
    """``Over all 4 comparisons: vit better: 1, no evidence of a difference: 3.``"""
    counts = {v: verdicts.count(v) for v in dict.fromkeys(verdicts)}
    noun = "comparison" if len(verdicts) == 1 else "comparisons"
    return f"Over all {len(verdicts)} {noun}: " + ", ".join(f"{v}: {n}" for v, n in counts.items()) + "."


def vit_first(backbones: list[str]) -> list[str]:
    """Backbone labels with the ViT ones first: RQ1 and RQ3 ask whether the ViT beats the CNN."""
    return sorted(backbones, key=lambda b: not b.startswith("vit"))


def study_gap(dataset: str, task: str, a: tuple[str, str], b: tuple[str, str]) -> str:
    """``; study -8.99`` -- the study's (backbone, mode) ``a`` minus ``b`` in points, or '' if unknown."""
    pa, pb = study.accuracy(dataset, *a, task), study.accuracy(dataset, *b, task)
    return "" if pa is None or pb is None else f"; study {100 * (pa - pb):+.2f}"


def backbone_comparison(rows: list[dict[str, Any]], modes: set[str]) -> list[dict[str, Any]]:
    """The first backbone (a ViT when there is one) against each other one, per dataset, mode, weighting
    and task of ``modes``: ``{"dataset", "approach", "task", "a", "b", "mode", "comparison"}`` with
    ``comparison = paired(a, b)`` over their common seeds."""
    out = []
    for (dataset, mode, weighting), runs in group(rows, "dataset", "mode", "weighting").items():
        if mode not in modes:
            continue
        by_backbone = {b: r for (b,), r in group(runs, "backbone").items()}
        a, *others = vit_first(list(by_backbone))
        for b in others:
            for task in [MODE_TASK[mode]] if mode in MODE_TASK else TASKS:
                p = paired(by_seed(by_backbone[a], task), by_seed(by_backbone[b], task))
                if p is not None:
                    out.append(
                        {"dataset": dataset, "approach": approach(mode, weighting), "task": task}
                        | {"a": a, "b": b, "mode": mode, "comparison": p}
                    )
    return out


def answer_backbones(rows: list[dict[str, Any]], modes: set[str], needs: str) -> str:
    found = backbone_comparison(rows, modes)
    if not found:
        return f"Needs finished {needs} runs of two backbones on the same dataset."
    lines, verdicts = [], []
    for f in found:
        p, a, b = f["comparison"], f["a"], f["b"]
        verdicts.append(verdict(p, a, b))
        gap = study_gap(f["dataset"], f["task"], (a, f["mode"]), (b, f["mode"]))
        lines.append(f"- {f['dataset']} / {f['approach']} / {f['task']}: {a} - {b} = {said(p, a, b)}{gap}).")
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
    """RQ2: each MTL model against the two STL models of its backbone and coarse-from-fine, Delta_m, cost."""
    entries = mtl_vs_stl(rows)
    if not entries:
        return "Needs finished single-task and multi-task runs of the same dataset and backbone."
    lines, verdicts = [], []
    for e in entries:
        parts = []
        for c in e["comparisons"]:
            verdicts.append(verdict(c["p"], "MTL", c["b"]))
            mtl, them = (e["backbone"], "mtl"), (e["backbone"], c["study_mode"])
            gap = "" if c["study_mode"] is None else study_gap(e["dataset"], c["task"], mtl, them)
            parts.append(f"{c['task']} vs {c['versus']} {said(c['p'], 'MTL', c['b'])}{gap})")
        dm = e["delta_m"]
        tail = "" if dm is None else f"; delta_m = {said(dm, 'MTL', 'STL', '%')})"
        lines.append(
            f"- {e['dataset']} / {e['backbone']} / MTL ({e['weighting']}): {'; '.join(parts)}{tail}."
            + cost(rows, e["dataset"], e["backbone"], e["weighting"])
        )
    return "\n".join(lines) + "\n\n" + tally(verdicts)


def rq3(rows: list[dict[str, Any]]) -> str:
    """RQ3: the STL models of the ViT against those of the CNN, per dataset and task."""
    return answer_backbones(rows, set(MODE_TASK), "single-task")


def count(rows: list[dict[str, Any]]) -> int:
    """How many paired intervals the summary prints (RQ1, RQ2 with Delta_m, RQ3)."""
    entries = mtl_vs_stl(rows)
    n = sum(len(e["comparisons"]) + (e["delta_m"] is not None) for e in entries)
    return n + len(backbone_comparison(rows, {"mtl"})) + len(backbone_comparison(rows, set(MODE_TASK)))


def multiple_comparisons(rows: list[dict[str, Any]]) -> str:
    """The note on multiple comparisons, or on one seed (then nothing can be assessed)."""
    seeds = {r["seed"] for r in rows}
    if len(seeds) < 2:
        return (
            "**One seed: none of these verdicts can be assessed.** A difference between two single runs "
            "may be seed noise; run at least three seeds (`--seeds 0,1,2`) to get intervals.\n"
        )
    n = count(rows)
    return (
        f"**Multiple comparisons.** This summary prints {n} intervals at 95% each: even if no difference "
        f"were real, about {n / 20:.1f} of them would exclude 0 by chance. Read a lone verdict among many "
        f"with care; a Bonferroni correction would ask each interval for {100 * (1 - 0.05 / max(n, 1)):.2f}% "
        'coverage instead. With few seeds an interval is wide: "no evidence of a difference" is not '
        "evidence that there is none.\n"
    )
