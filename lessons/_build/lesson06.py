"""Source of lessons/06_evaluating_honestly.ipynb (run this file to rebuild the notebook).

The later sections are in lesson06_part2.py; this file lists the first ones and assembles them all.
"""

from __future__ import annotations

from lesson06_part2 import CELLS as PART2
from nbbuild import code, defaults, header, md, parameters, setup, write

FILE = "06_evaluating_honestly.ipynb"

CELLS = [
    header(
        FILE,
        "Lesson 6 — Evaluating multi-task learning honestly",
        [
            "measure, with a real experiment, how much picking the best epoch **on the test set** inflates a "
            "result, and why selecting on a validation split does not;",
            "run several seeds and report a mean with a t-based 95% confidence interval, and a paired "
            "MTL-minus-STL difference;",
            "compute $\\Delta_m$, the average relative gain of a multi-task model over its single-task "
            "baselines;",
            "compare a superclass head against the **coarse-from-fine** baseline;",
            "show numerically what binary cross-entropy on a 20-way softmax does, and why STL and MTL must "
            "be compared at equal training budgets.",
        ],
        60,
        intro="""
        Lessons 1–5 built and trained multi-task models. Whether MTL *helps* is a claim about numbers, and
        the 2023 study's numbers had several problems: no model selection on held-out data (last-epoch
        test accuracies, and several configurations compared on their test numbers), one seed per
        configuration, binary cross-entropy on a 20-way head, and STL and MTL trained with different
        numbers of optimiser steps. This lesson measures each problem on a small experiment you run
        yourself.

        *Smoke mode:* `MTLKIT_SMOKE=1` (or `SMOKE = True` below) runs everything on tiny data in seconds;
        the numbers are then meaningless, the code path is the same.
        """,
    ),
    parameters(
        """
        # Parameters (papermill: -p NAME VALUE). None: the value for the mode, filled in by the next cell.
        import os

        SMOKE = os.environ.get("MTLKIT_SMOKE", "0") == "1"  # tiny data, few epochs: a CPU run in seconds
        SEEDS = None  # None: three seeds in smoke mode, five in full mode
        WIDTH = None  # channels of the tiny CNN's first block
        TRAIN_SIZE = None  # shapes train pool (90% train, 10% validation); test: as many
        EPOCHS = None
        BATCH_SIZE = None
        LR = 2e-3
        """
    ),
    defaults(
        """
        SEEDS = SEEDS if SEEDS is not None else ([0, 1, 2] if SMOKE else [0, 1, 2, 3, 4])
        WIDTH = WIDTH if WIDTH is not None else (8 if SMOKE else 16)
        TRAIN_SIZE = TRAIN_SIZE if TRAIN_SIZE is not None else (480 if SMOKE else 4000)
        EPOCHS = EPOCHS if EPOCHS is not None else (3 if SMOKE else 10)
        BATCH_SIZE = BATCH_SIZE if BATCH_SIZE is not None else (64 if SMOKE else 128)
        print(
            f"smoke mode: {SMOKE}; SEEDS={SEEDS}, WIDTH={WIDTH}, TRAIN_SIZE={TRAIN_SIZE}, EPOCHS={EPOCHS}, "
            f"BATCH_SIZE={BATCH_SIZE}"
        )
        """
    ),
    setup(),
    code(
        """
        import math

        import matplotlib.pyplot as plt
        import numpy as np
        import torch
        from torch import nn

        from mtlkit import check
        from mtlkit.capstone.delta_m import delta_m
        from mtlkit.capstone.stats import interval95, mean, t_quantile
        from mtlkit.data import DeviceLoader, load
        from mtlkit.data.split import stratified_split
        from mtlkit.models import build
        from mtlkit.train import evaluate, fit

        train = load("shapes", "train", size=TRAIN_SIZE)
        val = load("shapes", "val", size=TRAIN_SIZE)
        test = load("shapes", "test", size=TRAIN_SIZE)
        tasks = dict(train.tasks)
        # Two halves of the test split: "A" is the test set we report, "B" is data nobody has looked at.
        index_a, index_b = stratified_split(test.labels["fine"], 0.5, seed=123)
        test_a, test_b = test.subset(index_a), test.subset(index_b)
        print(train, val, test, sep="\\n")
        print(f"test halves: A {len(test_a)} images, B {len(test_b)} images | seeds {SEEDS} | smoke mode: {SMOKE}")
        """
    ),
    md(
        """
        ## The experiment

        For every seed we train three models on the same data and epochs — **STL-fine**, **STL-coarse** and
        **MTL** (hard sharing, both heads). `fit` selects the epoch with the best validation accuracy and
        restores its weights; we then test once on the full test split. *For this lesson only* a callback
        also evaluates every epoch on both test halves, so that we can replay other protocols — the study's
        among them — and compare.
        """
    ),
    code(
        """
        KINDS = {"STL-fine": {"fine": tasks["fine"]}, "STL-coarse": {"coarse": tasks["coarse"]}, "MTL": tasks}


        def run(kind, seed):
            \"\"\"Train one model; return its History, per-epoch accuracies on test halves A and B, and its test result.\"\"\"
            torch.manual_seed(seed)
            model_tasks = KINDS[kind]
            model = build(
                "single" if len(model_tasks) == 1 else "hard",
                "tiny_cnn",
                model_tasks,
                backbone_kwargs={"width": WIDTH},
            )
            per_epoch = {"A": [], "B": []}

            def peek(record):  # for this lesson only: look at the test set after every epoch
                per_epoch["A"].append(evaluate(model, test_a))
                per_epoch["B"].append(evaluate(model, test_b))

            history = fit(
                model,
                train,
                val,
                epochs=EPOCHS,
                batch_size=BATCH_SIZE,
                lr=LR,
                seed=seed,
                progress=False,
                callback=peek,
            )
            return {"history": history, "per_epoch": per_epoch, "test": evaluate(model, test)}


        runs = {(kind, seed): run(kind, seed) for seed in SEEDS for kind in KINDS}
        print(f"{len(runs)} runs of {EPOCHS} epochs")
        for (kind, seed), r in runs.items():
            accs = ", ".join(f"{t} {r['test'][t]['acc']:.1%}" for t in KINDS[kind])
            print(f"seed {seed} {kind:>10}: selected epoch {r['history'].best_epoch}, test {accs}")
        """
    ),
    md(
        r"""
        ## 1. Selecting on the test set: an optimistic bias

        The study reported each model's test accuracy after its **last** epoch (20), with no selection at
        all, but its ResNet-152 notebooks train several configurations (batch size, dropout, optimiser,
        loss weight) and print a test accuracy for each: whichever one is reported was chosen among
        candidates on **test** numbers. A maximum over noisy estimates is biased upwards: some candidates
        look better on these particular test images by luck. Here the candidates are epochs. To see the
        bias we need data that played no part in the choice — test half **B**. For each run and task:

        - **test selection:** pick $e^\ast = \arg\max_e \text{acc}_A(e)$ and report $\text{acc}_A(e^\ast)$;
        - **validation selection:** pick $e_v$ by validation accuracy (what `fit` does) and report
          $\text{acc}_A(e_v)$;
        - **last epoch** (the study's ViT and ResNet numbers): report $\text{acc}_A(E)$;
        - in every case the **truth** about the chosen model is $\text{acc}_B(e)$ on the untouched half.

        The optimistic bias is *reported minus truth*.
        """
    ),
    code(
        """
        def accuracies(r, task, half):
            return [m[task]["acc"] for m in r["per_epoch"][half]]


        PROTOCOLS = ("test selection", "validation selection", "last epoch (the study)")
        bias = {name: [] for name in PROTOCOLS}
        reported = {name: [] for name in PROTOCOLS}
        for (kind, _seed), r in runs.items():
            for task in KINDS[kind]:
                a, b = accuracies(r, task, "A"), accuracies(r, task, "B")
                e_test = int(np.argmax(a))  # the best epoch on test half A (0-based epoch index)
                e_val = r["history"].best_epoch - 1  # fit's choice
                for name, e in zip(PROTOCOLS, (e_test, e_val, len(a) - 1), strict=True):
                    reported[name].append(a[e])
                    bias[name].append(a[e] - b[e])

        for name, values in bias.items():
            low, high = interval95(values)
            print(
                f"{name:>30}: reported - truth = {mean(values):+.2%} (95% CI {low:+.2%} .. {high:+.2%}, {len(values)} run-tasks)"
            )
        inflation = mean(reported["test selection"]) - mean(reported["validation selection"])
        print(f"test-set selection reports {inflation:+.2%} more than validation selection, on the same test images")
        check.true(
            all(s >= h for s, h in zip(reported["test selection"], reported["validation selection"], strict=True)),
            "selecting on the test set never reports less than selecting on validation (it is a maximum)",
        )
        """
    ),
    code(
        """
        r = runs[("MTL", SEEDS[0])]
        epochs = range(1, EPOCHS + 1)
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 3.6))
        ax1.plot(epochs, r["history"].series("val", "fine", "acc"), "o-", label="validation")
        ax1.plot(epochs, accuracies(r, "fine", "A"), "s-", label="test half A (reported)")
        ax1.plot(epochs, accuracies(r, "fine", "B"), "^--", label="test half B (untouched)")
        e_test = int(np.argmax(accuracies(r, "fine", "A"))) + 1
        ax1.axvline(e_test, color="tab:orange", ls=":", label=f"picked on test: epoch {e_test}")
        ax1.axvline(
            r["history"].best_epoch,
            color="tab:blue",
            ls=":",
            label=f"picked on validation: epoch {r['history'].best_epoch}",
        )
        ax1.set_xticks(list(epochs))
        ax1.set_xlabel("epoch")
        ax1.set_ylabel("fine accuracy")
        ax1.set_title(f"MTL, seed {SEEDS[0]}: which epoch to report?")
        ax1.legend(fontsize=7)
        names = list(bias)
        ax2.boxplot([bias[n] for n in names])
        ax2.set_xticks([1, 2, 3], ["picked on test", "picked on validation", "last epoch"])
        ax2.axhline(0, color="gray", lw=0.8)
        ax2.set_ylabel("reported - untouched accuracy")
        ax2.set_title("Optimistic bias over all runs and tasks")
        plt.tight_layout()
        plt.show()
        """
    ),
    md(
        r"""
        The bias of test-set selection grows with the number of candidates compared (epochs ×
        hyper-parameters × architectures) and shrinks with the size of the test set; with validation
        selection the reported number is an unbiased estimate of the chosen model's accuracy, because
        the test images played no part in choosing it. In smoke mode, with three epochs and chance-level
        models, the effect is small and noisy: run full mode (more epochs, so more candidates to pick from) and
        see how it changes. A comparison of two models
        both selected on the test set is not even biased in a known direction. The last epoch, like
        validation selection, carries no selection bias by itself — but it need not be the best model, and
        the bias comes back as soon as several configurations' last-epoch test numbers are compared to
        pick one, as in the study's ResNet-152 notebooks.

        ## 2. Seeds and confidence intervals

        One training run is one sample from a distribution over initialisations and data orders. With
        $n$ seeds and accuracies $x_1, \dots, x_n$, the 95% confidence interval of the mean is

        $$\bar x \pm t_{0.975,\,n-1}\, \frac{s}{\sqrt n}, \qquad s = \sqrt{\tfrac{1}{n-1}\textstyle\sum_i (x_i - \bar x)^2},$$

        with the Student-$t$ quantile (not 1.96: with few seeds the estimate of $s$ is itself noisy).
        Since every seed trains STL and MTL on the same data order from the same seed, we can also
        **pair** them: the interval of the per-seed differences $d_i = x_i^\text{MTL} - x_i^\text{STL}$
        is usually narrower than comparing two separate intervals.
        """
    ),
    code(
        """
        check.close(t_quantile(0.975, 4), 2.776, atol=1e-3, what="t_{0.975, 4} = 2.776 (the textbook table)")


        def t_interval(values):
            \"\"\"mean +/- t_{0.975, n-1} * s / sqrt(n), by hand.\"\"\"
            n = len(values)
            m = sum(values) / n
            s = math.sqrt(sum((v - m) ** 2 for v in values) / (n - 1))
            half = t_quantile(0.975, n - 1) * s / math.sqrt(n)
            return m - half, m + half


        acc = {
            (kind, task): [runs[(kind, seed)]["test"][task]["acc"] for seed in SEEDS]
            for kind in KINDS
            for task in KINDS[kind]
        }
        for key, values in acc.items():
            check.close(
                t_interval(values),
                interval95(values),
                atol=1e-12,
                what=f"hand-built t interval = mtlkit's interval95 {key}",
            )

        paired = {
            task: [m - s for m, s in zip(acc[("MTL", task)], acc[(f"STL-{task}", task)], strict=True)]
            for task in tasks
        }
        for task, diffs in paired.items():
            low, high = interval95(diffs)
            verdict = "excludes 0: a difference" if low > 0 or high < 0 else "includes 0: no evidence of a difference"
            print(
                f"{task:>6}: MTL - STL = {mean(diffs):+.2%}, 95% CI [{low:+.2%}, {high:+.2%}] ({verdict}); "
                f"single seeds range from {min(diffs):+.2%} to {max(diffs):+.2%}"
            )

        fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
        for ax, task in zip(axes, tasks, strict=True):
            for x, kind in enumerate([f"STL-{task}", "MTL"]):
                values = acc[(kind, task)]
                low, high = interval95(values)
                ax.scatter([x] * len(values), values, color="gray", zorder=2, label="one seed" if x == 0 else None)
                ax.errorbar(
                    [x + 0.15],
                    [mean(values)],
                    yerr=[[mean(values) - low], [high - mean(values)]],
                    fmt="o",
                    capsize=5,
                    color="tab:red",
                    label="mean, 95% CI" if x == 0 else None,
                )
            ax.set_xticks([0, 1], [f"STL-{task}", "MTL"])
            ax.set_xlim(-0.5, 1.6)
            ax.set_ylabel(f"test accuracy ({task})")
            ax.set_title(f"{task}: {len(SEEDS)} seeds")
            ax.legend(fontsize=8)
        plt.tight_layout()
        plt.show()
        """
    ),
    md(
        r"""
        **What one seed can tell you.** The last column above is the range of MTL − STL over single seeds:
        a study with one seed per configuration could have reported any value in it. With $n = 1$ there is
        no $s$ at all, so no interval and no test: `interval95` returns `None`.

        ## 3. $\Delta_m$: one number for "is MTL better than STL?"

        With $T$ tasks, metric $M_t$ of the multi-task model and $M_{\text{STL},t}$ of the single-task
        baseline (Maninis et al., CVPR 2019; Vandenhende et al., TPAMI 2021):

        $$\Delta_m = \frac{1}{T} \sum_{t=1}^{T} (-1)^{l_t}\, \frac{M_{\text{MTL},t} - M_{\text{STL},t}}{M_{\text{STL},t}},$$

        where $l_t = 1$ if lower is better (a loss, an error) and $0$ if higher is better (an accuracy).
        Positive means MTL is better on average, *relative to each task's own scale*. mtlkit computes it
        with `mtlkit.capstone.delta_m.delta_m`; first a value you can check by hand.
        """
    ),
    code(
        """
        # MTL: fine 62%, coarse 80%; STL: fine 60%, coarse 82%:  ((62-60)/60 + (80-82)/82) / 2
        by_hand = (0.02 / 0.60 - 0.02 / 0.82) / 2
        check.close(
            delta_m({"fine": 0.62, "coarse": 0.80}, {"fine": 0.60, "coarse": 0.82}),
            by_hand,
            atol=1e-12,
            what="delta_m on a hand-checked example",
        )
        print(f"delta_m = {by_hand:+.4%}: +2 points on fine outweigh -2 points on coarse, relative to the baselines")

        per_seed = [
            delta_m(
                {task: runs[("MTL", seed)]["test"][task]["acc"] for task in tasks},
                {task: runs[(f"STL-{task}", seed)]["test"][task]["acc"] for task in tasks},
            )
            for seed in SEEDS
        ]
        low, high = interval95(per_seed)
        print("delta_m per seed:", [f"{d:+.2%}" for d in per_seed])
        print(f"delta_m = {mean(per_seed):+.2%}, 95% CI [{low:+.2%}, {high:+.2%}]")
        """
    ),
    *PART2,
]

if __name__ == "__main__":
    write(FILE, CELLS)
