"""Source of lessons/07_capstone.ipynb (run this file to rebuild the notebook)."""

from __future__ import annotations

from nbbuild import code, defaults, header, md, parameters, setup, write

FILE = "07_capstone.ipynb"

CELLS = [
    header(
        FILE,
        "Lesson 7 — Capstone: re-running the 2023 study, properly",
        [
            "run the study's whole grid — for each dataset and backbone: single-task fine, single-task "
            "coarse, multi-task — with one call, and resume it after a disconnect;",
            "read a table that reports mean ± sd over seeds and Welch's t-test, and say "
            '"no significant difference" when a gap is within seed noise;',
            "compute $\\Delta_m$, the mean relative gain of a multi-task model over its single-task "
            "baselines;",
            "answer the study's three research questions from evidence, beside the study's own table.",
        ],
        20,
        intro="""
        The `quick` preset runs on synthetic shapes on a CPU; with a GPU the `strong` preset runs the CIFAR
        grid (about 30 minutes on an H100, longer on a Colab T4). *Smoke mode:* `MTLKIT_SMOKE=1` (or
        `SMOKE = True` below) trains every run for one epoch on 300 images: the numbers are then
        meaningless, the code path is the same.
        """,
    ),
    parameters(
        """
        # Parameters (papermill: -p NAME VALUE). None: the value for the mode, filled in by the next cell.
        import os

        SMOKE = os.environ.get("MTLKIT_SMOKE", "0") == "1"  # one epoch on 300 images per run
        OVERRIDES = None  # fields replaced in every run; None: {} (smoke: 1 epoch, 300 images, CPU)
        PRESET = None  # None: quick without a GPU (and in smoke mode), strong with one
        SEEDS = None  # e.g. [0, 1, 2] for significance tests; None: the preset's seeds
        OUT = None  # output folder; None: runs/capstone-<preset> (a scratch folder in smoke mode)
        """
    ),
    defaults(
        """
        import tempfile

        import torch

        from mtlkit.capstone import PRESETS

        SMOKE_RUN = {"epochs": 1, "limit": 300, "device": "cpu"}
        OVERRIDES = OVERRIDES if OVERRIDES is not None else (SMOKE_RUN if SMOKE else {})
        GPU = torch.cuda.is_available() and not SMOKE
        PRESET = PRESET if PRESET is not None else ("strong" if GPU else "quick")
        SEEDS = SEEDS if SEEDS is not None else list(PRESETS[PRESET].seeds)
        SCRATCH = os.path.join(tempfile.gettempdir(), "mtlkit-capstone-smoke")
        OUT = OUT if OUT is not None else (SCRATCH if SMOKE else f"runs/capstone-{PRESET}")
        print(f"smoke mode: {SMOKE}; OVERRIDES={OVERRIDES}, PRESET={PRESET}, SEEDS={SEEDS}, OUT={OUT}")
        """
    ),
    setup(),
    md(
        """
        ## The grid

        The study trained, for CIFAR-10 (10 classes; coarse: animal vs vehicle) and CIFAR-100 (100 classes;
        20 superclasses) and two backbones (a small ViT and ResNet-152): a single-task model on the fine
        labels, one on the coarse labels, and one hard-sharing multi-task model on both.
        `mtlkit capstone` runs that grid at three budgets:

        | preset | data | what it is |
        |---|---|---|
        | `quick` | shapes | a tiny CNN and a 2-block ViT, under 3 minutes on 2 CPU cores |
        | `seed` | CIFAR | the study's setup (Adam 1e-3, 20 epochs, no augmentation, γ = 0.5), with cross-entropy for every head and the epoch chosen on **validation** |
        | `strong` | CIFAR | CIFAR-stem ResNet-152, ViT/4, augmentation, AdamW + warm-up + cosine, label smoothing, bf16 |

        Every run gets its own folder under `OUT/runs/`; the report (`runs.csv`, `summary.md`, `figures/`) is
        rebuilt from all finished runs each time. Run the next cell twice: the second time it trains nothing.
        The same from a terminal: `mtlkit capstone --preset quick --out runs/capstone-quick`.
        """
    ),
    code(
        """
        import shutil

        from mtlkit.capstone import run_capstone

        if SMOKE:  # a scratch folder: start afresh
            shutil.rmtree(OUT, ignore_errors=True)
        if PRESET != "quick":  # CIFAR: fetch it once (about 330 MB)
            from mtlkit.data import load

            for name in ("cifar10", "cifar100"):
                load(name, "test", download=True)
        report = run_capstone(PRESET, out=OUT, seeds=SEEDS, overrides=OVERRIDES, progress=not SMOKE)
        """
    ),
    md(
        """
        ## The summary

        `summary.md` lays the grid out like the study's table, with the study's published accuracy beside
        ours (`n/a` where it has not been copied into `mtlkit/capstone/study.py` yet), then the MTL-vs-STL
        tests and the answers to the research questions. Below it, the STL-vs-MTL bars with error bars.
        """
    ),
    code(
        """
        import matplotlib.pyplot as plt
        from IPython.display import Markdown, display

        display(Markdown(report["summary_md"].read_text()))
        fig, ax = plt.subplots(figsize=(8, 5))
        ax.imshow(plt.imread(report["figures"][0]))
        ax.axis("off")
        plt.show()
        """
    ),
    md(
        """
        ## Comparing with the study

        Three differences matter when you put our numbers beside the study's:

        - **Selection.** The study reported its last epoch's test accuracy; we keep the epoch with the best
          *validation* accuracy and touch the test set once.
        - **Loss.** The study trained its 20-way softmax head with binary cross-entropy; every head here uses
          the K-way cross-entropy.
        - **Noise.** One seed per cell cannot tell a 0.5-point gap from luck. With several seeds, Welch's
          test decides.

        The next cell puts the evidence for RQ1 in one place: each approach's mean accuracy and
        $\\Delta_m = \\frac{1}{T}\\sum_t (M_{MTL,t} - M_{STL,t}) / M_{STL,t}$.
        """
    ),
    code(
        """
        from mtlkit.capstone import study
        from mtlkit.capstone.summary import comparisons, rq1, rq2, rq3

        rows = report["rows"]
        entries = comparisons(rows)
        for e in entries:
            for task, (test, mtl, stl) in e["tasks"].items():
                published = study.accuracy(e["dataset"], e["backbone"], "mtl", task)
                shown = "n/a" if published is None else f"{100 * published:.2f}"
                print(
                    f"{e['dataset']:8} {e['backbone']:9} {task:6}  STL {100 * stl:6.2f}  MTL {100 * mtl:6.2f}  "
                    f"study MTL {shown}  significant: {test.significant}"
                )
            print(f"{'':8} {'':9} delta_m = {100 * e['delta_m']:+.2f}%")
        """
    ),
    md(
        """
        ## RQ1–RQ3, answered from the results

        - **RQ1** — does one multi-task model beat single-task models on each task?
        - **RQ2** — is it cheaper than the two single-task models it replaces?
        - **RQ3** — do the two backbones perform alike?

        The answers below are computed from the runs, not written by hand. On the `quick` preset the tiny ViT
        stays near chance on 1,500 images: that is RQ3's answer at this budget (a transformer without a
        convolution's priors needs far more data), and a reason to read its MTL-vs-STL verdicts with care.
        """
    ),
    code(
        """
        print("RQ1:", rq1(entries), sep="\\n")
        print("\\nRQ2:", rq2(rows), sep="\\n")
        print("\\nRQ3:", rq3(rows), sep="\\n")
        """
    ),
    md("## Self-check"),
    code(
        """
        from mtlkit.capstone.stats import mean

        assert report["failed"] == {} and report["pending"] == []
        assert {r["mode"] for r in rows} == {"stl_fine", "stl_coarse", "mtl"}
        assert all(0.0 <= r[t] <= 1.0 for r in rows for t in ("fine", "coarse") if r[t] is not None)

        # delta_m by hand for the first cell
        e = entries[0]
        by_hand = mean([(mtl - stl) / stl for _, mtl, stl in e["tasks"].values()])
        assert abs(e["delta_m"] - by_hand) < 1e-12

        # re-running the same call trains nothing: every run is already finished
        lines = []
        again = run_capstone(PRESET, out=OUT, seeds=SEEDS, overrides=OVERRIDES, progress=False, log=lines.append)
        assert lines[0].endswith(f"{len(rows)} already finished"), lines[0]
        assert [r["fine"] for r in again["rows"]] == [r["fine"] for r in rows]
        print("all checks passed")
        """
    ),
    md(
        """
        ## Going further

        - Run three seeds (`SEEDS = [0, 1, 2]`) and watch "cannot be assessed" turn into real verdicts.
        - Try other weightings for the multi-task runs: `run_capstone(..., weightings=["uncertainty", "dwa"])`;
          the single-task runs are shared and not retrained.
        - On a GPU, `mtlkit bench --preset strong` measures images/s, MFU and our loop against a plain
          `DataLoader` loop.
        - Copy the study's published accuracies into `mtlkit/capstone/study.py` and re-run: the summary
          fills its study columns without retraining anything.
        """
    ),
]

if __name__ == "__main__":
    write(FILE, CELLS)
