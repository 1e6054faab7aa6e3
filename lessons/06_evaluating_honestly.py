# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 6 — Evaluating multi-task learning honestly
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/mtlkit/mtlkit/blob/main/lessons/06_evaluating_honestly.ipynb)
#
# **Learning goals.** After this lesson you can
#
# - measure, with a real experiment, how much picking the best epoch **on the test set** inflates a result, and why selecting on a validation split does not;
# - run several seeds and report a mean with a t-based 95% confidence interval, and a paired MTL-minus-STL difference;
# - compute $\Delta_m$, the average relative gain of a multi-task model over its single-task baselines;
# - compare a superclass head against the **coarse-from-fine** baseline;
# - show numerically what binary cross-entropy on a 20-way softmax does, and why STL and MTL must be compared at equal training budgets.
#
# **Estimated time:** 60 minutes of reading, running and self-checks. Computing takes under a minute with `QUICK = True` (first code cell); the full run's time on a CPU is in the settings cell.
#
# Lessons 1–5 built and trained multi-task models. Whether MTL *helps* is a claim about numbers, and
# the 2023 study's numbers had several problems: each published number is the best of 5–6
# configurations chosen on the **test** set (its report's tables, Figures 3–14; last-epoch test
# accuracies), one seed per configuration, binary cross-entropy on a 20-way head, and STL and MTL
# trained with different numbers of optimiser steps. This lesson measures each problem on a small experiment you run
# yourself.
#
# *Quick run:* `QUICK = True` in the first code cell (or the environment variable `MTLKIT_SMOKE=1`)
# runs everything on tiny data in seconds; the numbers are then meaningless, the code path is the same.

# %% tags=["parameters"]
# Settings: edit a value, then run the notebook again. QUICK = True runs every cell on tiny data in
# seconds (the numbers then mean little); it is on when the environment sets MTLKIT_SMOKE=1.
# Full run (QUICK = False) on 2 CPU cores: about 7 min (423 s, idle; lessons/README.md).
# On one H200 GPU: 31 s (lessons/README.md); Colab's T4 is not measured yet.
import importlib.util
import os
import subprocess
import sys

QUICK = os.environ.get("MTLKIT_SMOKE") == "1"
SEEDS = [0, 1, 2] if QUICK else [0, 1, 2, 3, 4]
WIDTH = 8 if QUICK else 16  # channels of the tiny CNN's first block
TRAIN_SIZE = 480 if QUICK else 4000  # shapes train pool (90% train, 10% validation); test: as many
EPOCHS = 3 if QUICK else 10
BATCH_SIZE = 64 if QUICK else 128
LR = 2e-3

# In Colab: install the mtlkit release this course was written for (once), and turn on its widgets.
COURSE = "https://raw.githubusercontent.com/mtlkit/mtlkit/main/lessons/colab-requirements.txt"
if "google.colab" in sys.modules:
    from google.colab import output

    output.enable_custom_widget_manager()
    if importlib.util.find_spec("mtlkit") is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-r", COURSE], check=True)

# %%
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
from mtlkit.train import TrainConfig, evaluate, fit

train = load("shapes", "train", size=TRAIN_SIZE)
val = load("shapes", "val", size=TRAIN_SIZE)
test = load("shapes", "test", size=TRAIN_SIZE)
tasks = dict(train.tasks)
# Two halves of the test split: "A" is the test set we report, "B" is data nobody has looked at.
index_a, index_b = stratified_split(test.labels["fine"], 0.5, seed=123)
test_a, test_b = test.subset(index_a), test.subset(index_b)
print(train, val, test, sep="\n")
print(f"test halves: A {len(test_a)} images, B {len(test_b)} images | seeds {SEEDS} | quick run: {QUICK}")

# %% [markdown]
# ## The experiment
#
# For every seed we train three models on the same data and epochs — **STL-fine**, **STL-coarse** and
# **MTL** (hard sharing, both heads). `fit` selects the epoch with the best validation accuracy and
# restores its weights; we then test once on the full test split. *For this lesson only* a callback
# also evaluates every epoch on both test halves, so that we can replay other protocols — the study's
# among them — and compare.

# %%
KINDS = {"STL-fine": {"fine": tasks["fine"]}, "STL-coarse": {"coarse": tasks["coarse"]}, "MTL": tasks}


def run(kind, seed):
    """Train one model; return its History, per-epoch accuracies on test halves A and B, and its test result."""
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
        TrainConfig(epochs=EPOCHS, batch_size=BATCH_SIZE, lr=LR, seed=seed),
        callbacks=[peek],
    )
    return {"history": history, "per_epoch": per_epoch, "test": evaluate(model, test)}


runs = {(kind, seed): run(kind, seed) for seed in SEEDS for kind in KINDS}
print(f"{len(runs)} runs of {EPOCHS} epochs")
for (kind, seed), r in runs.items():
    accs = ", ".join(f"{t} {r['test'][t]['acc']:.1%}" for t in KINDS[kind])
    print(f"seed {seed} {kind:>10}: selected epoch {r['history'].best_epoch}, test {accs}")


# %% [markdown]
# ## 1. Selecting on the test set: an optimistic bias
#
# The study reported each model's test accuracy after its **last** epoch (20), with no selection at
# all, but its ResNet-152 notebooks train several configurations (batch size, dropout, optimiser,
# loss weight) and print a test accuracy for each: whichever one is reported was chosen among
# candidates on **test** numbers. A maximum over noisy estimates is biased upwards: some candidates
# look better on these particular test images by luck. Here the candidates are epochs. To see the
# bias we need data that played no part in the choice — test half **B**. For each run and task:
#
# - **test selection:** pick $e^\ast = \arg\max_e \text{acc}_A(e)$ and report $\text{acc}_A(e^\ast)$;
# - **validation selection:** pick $e_v$ by validation accuracy (what `fit` does) and report
#   $\text{acc}_A(e_v)$;
# - **last epoch** (each of the study's runs): report $\text{acc}_A(E)$;
# - in every case the **truth** about the chosen model is $\text{acc}_B(e)$ on the untouched half.
#
# The optimistic bias is *reported minus truth*.


# %%
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

# %%
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

# %% [markdown]
# The bias of test-set selection grows with the number of candidates compared (epochs ×
# hyper-parameters × architectures) and shrinks with the size of the test set; with validation
# selection the reported number is an unbiased estimate of the chosen model's accuracy, because
# the test images played no part in choosing it. In a quick run, with three epochs and chance-level
# models, the effect is small and noisy: run it in full (`QUICK = False`: more epochs, so more candidates to pick from) and
# see how it changes. A comparison of two models
# both selected on the test set is not even biased in a known direction. The last epoch, like
# validation selection, carries no selection bias by itself — but it need not be the best model, and
# the bias comes back as soon as several configurations' last-epoch test numbers are compared to
# pick one, which is how the study chose every published number: the best test accuracy of the 5–6
# configurations in each table of its report.
#
# ## 2. Seeds and confidence intervals
#
# One training run is one sample from a distribution over initialisations and data orders. With
# $n$ seeds and accuracies $x_1, \dots, x_n$, the 95% confidence interval of the mean is
#
# $$\bar x \pm t_{0.975,\,n-1}\, \frac{s}{\sqrt n}, \qquad s = \sqrt{\tfrac{1}{n-1}\textstyle\sum_i (x_i - \bar x)^2},$$
#
# with the Student-$t$ quantile (not 1.96: with few seeds the estimate of $s$ is itself noisy).
# Since every seed trains STL and MTL on the same data order from the same seed, we can also
# **pair** them: the interval of the per-seed differences $d_i = x_i^\text{MTL} - x_i^\text{STL}$
# is usually narrower than comparing two separate intervals.

# %%
check.close(t_quantile(0.975, 4), 2.776, atol=1e-3, what="t_{0.975, 4} = 2.776 (the textbook table)")


def t_interval(values):
    """mean +/- t_{0.975, n-1} * s / sqrt(n), by hand."""
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

# %% [markdown]
# **What one seed can tell you.** The last column above is the range of MTL − STL over single seeds:
# a study with one seed per configuration could have reported any value in it. With $n = 1$ there is
# no $s$ at all, so no interval and no test: `interval95` returns `None`.
#
# ## 3. $\Delta_m$: one number for "is MTL better than STL?"
#
# With $T$ tasks, metric $M_t$ of the multi-task model and $M_{\text{STL},t}$ of the single-task
# baseline (Maninis et al., CVPR 2019; Vandenhende et al., TPAMI 2021):
#
# $$\Delta_m = \frac{1}{T} \sum_{t=1}^{T} (-1)^{l_t}\, \frac{M_{\text{MTL},t} - M_{\text{STL},t}}{M_{\text{STL},t}},$$
#
# where $l_t = 1$ if lower is better (a loss, an error) and $0$ if higher is better (an accuracy).
# Positive means MTL is better on average, *relative to each task's own scale*. mtlkit computes it
# with `mtlkit.capstone.delta_m.delta_m`; first a value you can check by hand.

# %%
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

# %% [markdown]
# ## 4. The coarse-from-fine baseline
#
# A superclass is a *function* of the class (lesson 2). So any fine head also predicts the coarse
# task: $\hat y_\text{coarse} = \text{coarse\_of\_fine}[\arg\max \text{fine logits}]$, and
# `evaluate` reports this accuracy as `coarse_from_fine`. That is lesson 2's **map rule** (argmax over
# the classes, then map the class to its superclass), not the **sum rule** (add up the probabilities
# of each superclass's classes, then take the argmax). A dedicated coarse head — single-task or
# multi-task — is only useful if it beats it. On the superclass task, the study's RQ2 ("Can an MTL
# ViT model achieve better results than two separate STL ViT models?") should therefore be asked
# against **both** STL-coarse and the coarse-from-fine baseline.

# %%
coarse = {
    "STL-coarse head": acc[("STL-coarse", "coarse")],
    "MTL coarse head": acc[("MTL", "coarse")],
    "from STL-fine": [runs[("STL-fine", s)]["test"]["coarse_from_fine"]["acc"] for s in SEEDS],
    "from MTL fine head": [runs[("MTL", s)]["test"]["coarse_from_fine"]["acc"] for s in SEEDS],
}
# the baseline by hand, for one model: map the argmax of the fine logits through coarse_of_fine
model_tasks = KINDS["STL-fine"]
torch.manual_seed(0)
fine_model = build("single", "tiny_cnn", model_tasks, backbone_kwargs={"width": WIDTH}).eval()
hits = 0
with torch.no_grad():
    for images, labels in DeviceLoader(test, 500, "cpu", shuffle=False):  # normalised, in order
        predicted = test.coarse_of_fine[fine_model(images)["fine"].argmax(dim=1)]
        hits += (predicted == labels["coarse"]).sum().item()
by_hand = hits / len(test)
check.close(
    by_hand,
    evaluate(fine_model, test)["coarse_from_fine"]["acc"],
    atol=1e-6,
    what="hand-computed coarse-from-fine = evaluate()'s",
)

fig, ax = plt.subplots(figsize=(7, 3.4))
for x, (name, values) in enumerate(coarse.items()):
    low, high = interval95(values)
    ax.bar(x, mean(values), color="tab:orange" if "head" in name else "tab:green")
    ax.errorbar(x, mean(values), yerr=[[mean(values) - low], [high - mean(values)]], color="black", capsize=5)
ax.axhline(1 / tasks["coarse"], ls=":", color="gray", label="chance")
ax.set_xticks(range(len(coarse)), list(coarse), fontsize=8)
ax.set_ylabel("coarse test accuracy")
ax.set_title("Coarse heads vs reading the coarse label off a fine head (mean, 95% CI)")
ax.legend()
plt.show()
for name, values in coarse.items():
    print(f"{name:>20}: {mean(values):.1%}")

# %% [markdown]
# ## 5. Binary cross-entropy on a 20-way softmax
#
# The study's ViT multi-task notebooks train the superclass head with Keras's **binary**
# cross-entropy on both datasets, so also on CIFAR-100's 20-way head. On softmax outputs
# $p = \operatorname{softmax}(z)$, averaged over the $K$ outputs (as Keras's `binary_crossentropy`
# does), it is:
#
# $$\mathcal{L}_\text{BCE} = -\frac1K \sum_{k=1}^{K} \big[y_k \log p_k + (1 - y_k) \log(1 - p_k)\big]
# \qquad\text{vs}\qquad \mathcal{L}_\text{CE} = -\log p_y .$$
#
# BCE models $K$ independent yes/no questions — the right loss for *multi-label* outputs with
# sigmoids, not for one-of-$K$ labels with a softmax. Three things go wrong numerically:
#
# 1. **Scale.** The softmax CE gradient is $\partial\mathcal{L}_\text{CE}/\partial z = p - y$. The
#    averaged BCE gradient is roughly $K$ times smaller: in a multi-task sum it silently down-weights
#    the superclass task (lesson 5, §7).
# 2. **Shape.** As the correct class's probability $p_y$ grows, the two losses push differently.
# 3. **The metric.** With a binary loss, a "binary accuracy" thresholds each of the $K$ outputs at
#    0.5 and averages the $K$ answers; then predicting *no superclass at all* scores $(K-1)/K$.
#    Whatever a study reports, the accuracy must be the one-of-$K$ accuracy $\mathbb{1}[\arg\max p = y]$.
#
# **Only the 20-way head is affected.** With $K = 2$, $p_2 = 1 - p_1$, so both terms of the averaged
# BCE are $-\log p_y$ and $\mathcal{L}_\text{BCE} = \mathcal{L}_\text{CE}$ exactly: on CIFAR-10's
# animal/vehicle head the study's loss *was* the softmax cross-entropy. On CIFAR-100's 20-way head it
# was not. Nor did the study report binary accuracy there: its printed superclass accuracies (0.23 to
# 0.49 in its report's Figure 8) are far below the $19/20 = 0.95$ that binary accuracy gives even a
# head that says "no" to everything, so they are one-of-$K$ accuracies. The cell below checks the
# $K = 2$ identity.

# %%
K = 20


def bce_on_softmax(z, y):
    p = torch.softmax(z, dim=-1)
    return nn.functional.binary_cross_entropy(p, nn.functional.one_hot(y, K).float())


# 1. the CE gradient is p - y; compare the gradient sizes on random logits
z = torch.randn(512, K, requires_grad=True)
y = torch.randint(0, K, (512,))
(g_ce,) = torch.autograd.grad(nn.functional.cross_entropy(z, y, reduction="sum"), [z])
check.close(
    g_ce,
    torch.softmax(z, -1).detach() - nn.functional.one_hot(y, K),
    atol=1e-6,
    what="softmax CE gradient = p - y",
)
(g_bce,) = torch.autograd.grad(bce_on_softmax(z, y) * len(y), [z])
print(
    f"mean gradient norm per example: CE {g_ce.norm(dim=1).mean():.3f}, BCE-on-softmax {g_bce.norm(dim=1).mean():.4f} "
    f"(ratio {(g_bce.norm(dim=1).mean() / g_ce.norm(dim=1).mean()).item():.3f}, 1/K = {1 / K:.3f})"
)

# 2. the push on the correct logit as its probability grows (the other logits at 0)
p_true, push_ce, push_bce = [], [], []
for a in torch.linspace(-4, 8, 49):
    z1 = torch.zeros(1, K)
    z1[0, 0] = a
    z1.requires_grad_(True)
    target = torch.tensor([0])
    (gc,) = torch.autograd.grad(nn.functional.cross_entropy(z1, target), [z1])
    (gb,) = torch.autograd.grad(bce_on_softmax(z1, target), [z1])
    p_true.append(torch.softmax(z1, -1)[0, 0].item())
    push_ce.append(-gc[0, 0].item())
    push_bce.append(-gb[0, 0].item())

# 3. binary accuracy vs one-of-K accuracy of a model that says "no" to every superclass
says_no = torch.full((1000, K), 0.01)
labels = torch.randint(0, K, (1000,))
binary_acc = ((says_no > 0.5).float() == nn.functional.one_hot(labels, K)).float().mean().item()
one_of_k_acc = (says_no.argmax(dim=1) == labels).float().mean().item()
check.close(binary_acc, (K - 1) / K, atol=1e-6, what="binary accuracy of 'no to everything' = (K-1)/K")
print(f"'no to everything': binary accuracy {binary_acc:.1%}, one-of-K accuracy {one_of_k_acc:.1%}")

# 4. with K = 2 the averaged BCE on a softmax is the softmax cross-entropy, exactly (CIFAR-10's head)
z2, y2 = torch.randn(64, 2), torch.randint(0, 2, (64,))
bce2 = nn.functional.binary_cross_entropy(torch.softmax(z2, -1), nn.functional.one_hot(y2, 2).float())
check.close(
    bce2.item(), nn.functional.cross_entropy(z2, y2).item(), atol=1e-5, what="K = 2: averaged BCE = CE"
)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.4))
ax1.plot(p_true, push_ce, label="softmax CE: 1 - p_y")
ax1.plot(p_true, push_bce, label="BCE on softmax (mean over 20)")
ax1.plot(p_true, [K * b for b in push_bce], "--", label="BCE on softmax x 20")
ax1.set_xlabel("probability of the correct class p_y")
ax1.set_ylabel("-dL/dz_y (push on the correct logit)")
ax1.set_title("How hard each loss pushes the right answer")
ax1.legend(fontsize=8)
ax2.bar(["binary accuracy", "one-of-K accuracy"], [binary_acc, one_of_k_acc], color=["tab:red", "tab:blue"])
ax2.set_title("A model that predicts nothing")
ax2.set_ylim(0, 1)
plt.tight_layout()
plt.show()


# %% [markdown]
# ## 6. Unequal training budgets
#
# STL and MTL must be compared at the **same training budget** (epochs, or better, optimiser steps
# and images seen): a model trained for longer can look better for that reason alone. The study
# trained every model for 20 epochs, with the batch size that won each cell: e.g. on CIFAR-10 its ViT
# single-task class model with batch 256 and its ViT multi-task model with batch 128, so the
# multi-task model took twice as many optimiser steps. Below, every cell is "MTL after $e_m$
# epochs minus STL after $e_s$ epochs" (fine task, test accuracy averaged over seeds; each epoch's
# accuracy on the full test split is the size-weighted mean of the two halves). Only the
# **diagonal** is a fair comparison; off the diagonal, the sign of the "MTL effect" depends on which
# cell you pick.


# %%
def full_test_curve(kind, task, seed):
    r = runs[(kind, seed)]
    a, b = accuracies(r, task, "A"), accuracies(r, task, "B")
    return [(x * len(test_a) + w * len(test_b)) / len(test) for x, w in zip(a, b, strict=True)]


mtl_curve = np.mean([full_test_curve("MTL", "fine", s) for s in SEEDS], axis=0)
stl_curve = np.mean([full_test_curve("STL-fine", "fine", s) for s in SEEDS], axis=0)
gap = mtl_curve[:, None] - stl_curve[None, :]  # gap[m, s]: MTL at epoch m+1 minus STL at epoch s+1

fig, ax = plt.subplots(figsize=(5.5, 4.2))
bound = max(abs(gap).max(), 1e-6)
image = ax.imshow(gap, cmap="RdBu", vmin=-bound, vmax=bound, origin="lower")
ax.set_xticks(range(EPOCHS), range(1, EPOCHS + 1))
ax.set_yticks(range(EPOCHS), range(1, EPOCHS + 1))
ax.set_xlabel("STL-fine epochs")
ax.set_ylabel("MTL epochs")
ax.set_title("MTL - STL fine accuracy (blue: MTL ahead)")
fig.colorbar(image)
plt.show()
print(f"equal budgets ({EPOCHS} epochs each): MTL - STL = {gap[-1, -1]:+.2%}")
print(f"over all unequal pairs the 'MTL effect' ranges from {gap.min():+.2%} to {gap.max():+.2%}")
for seed in SEEDS:  # the curve at fit's selected epoch is the model we tested (up to one image)
    r = runs[("MTL", seed)]
    check.close(
        full_test_curve("MTL", "fine", seed)[r["history"].best_epoch - 1],
        r["test"]["fine"]["acc"],
        atol=1 / len(test) + 1e-9,
        what=f"seed {seed}: per-epoch curve matches the final test accuracy",
    )

# %% [markdown]
# ## 7. A checklist for an honest MTL comparison
#
# 1. **Select on validation**, touch the test split once (mtlkit's `fit` + `evaluate`).
# 2. **Several seeds** (≥ 3, better 5+), report mean ± t-interval, and **paired** differences.
# 3. Summarise with **$\Delta_m$** against single-task baselines trained the same way.
# 4. For a superclass task, compare against the **coarse-from-fine** baseline.
# 5. Use the **softmax cross-entropy** and the one-of-$K$ accuracy for one-of-$K$ labels.
# 6. Give STL and MTL the **same budget** (epochs, steps, tuning effort).
# 7. Report everything: the grid, the seeds, the selection rule.
#
# The capstone (lesson 7) applies this checklist to the study's full grid.
#
# ## Self-check
#
# **Q1.** Five seeds gave accuracies 0.61, 0.64, 0.60, 0.63, 0.62. Compute the 95% interval by hand
# (use $t_{0.975,4} = 2.776$) and put it in `my_answer` as `(low, high)`.

# %%
my_answer = None  # your answer: (low, high)

values = [0.61, 0.64, 0.60, 0.63, 0.62]
check.answer(
    my_answer,
    interval95(values),
    "95% interval of five seeds",
    atol=1e-4,
    hint="mean ± t(0.975, n-1) * s / sqrt(n), with the sample standard deviation s",
)

# %% [markdown]
# **Q2.** A multi-task model reaches a fine **loss** of 1.0 where the single-task model reaches 1.25.
# What is $\Delta_m$ on this one lower-is-better metric? Put it in `my_answer`.

# %%
my_answer = None  # your answer: delta_m, a number (0.1 for +10%)

measured = delta_m({"fine": 1.0}, {"fine": 1.25}, lower_is_better={"fine"})
check.answer(
    my_answer, measured, "delta_m of a loss", atol=1e-9, hint="for a loss, lower is better: the sign flips"
)
check.true(measured > 0, "a lower loss is an improvement: delta_m > 0")

# %% [markdown]
# **Q3.** CIFAR-100 has 100 classes. What "binary accuracy" does a model that answers "no" to every
# class get? Put it in `my_answer` (a number in [0, 1]).

# %%
my_answer = None  # your answer: the binary accuracy

no = torch.zeros(10, 100)
truth = nn.functional.one_hot(torch.arange(10), 100).float()
binary_accuracy = ((no > 0.5).float() == truth).float().mean().item()
check.answer(
    my_answer,
    binary_accuracy,
    "binary accuracy of 'no to all 100'",
    atol=1e-6,
    hint="of the 100 binary outputs per image, how many are truly no?",
)

# %% [markdown]
# ## Summary
#
# - Picking the best epoch on the test set reports a maximum of noisy numbers: an optimistic bias you
#   measured against untouched data. Validation selection does not have it.
# - One seed is one sample: report a mean with a t-interval over seeds, and pair MTL with STL by seed.
# - $\Delta_m$ summarises the relative gain over single-task baselines; a superclass head must also
#   beat reading the superclass off the class head.
# - Binary cross-entropy on a softmax shrinks and distorts the gradient and invites a meaningless
#   "binary accuracy"; use softmax cross-entropy for one-of-$K$ labels.
# - Compare STL and MTL at equal budgets: off the diagonal, the "effect" is whatever you want it to be.
#
# **Practice:** exercise 6, [`06_evaluation/06_evaluation.ipynb`](../exercises/06_evaluation/06_evaluation.ipynb) (graded with nbgrader).
#
# *References:* K.-K. Maninis, I. Radosavovic, I. Kokkinos, *Attentive Single-Tasking of Multiple
# Tasks*, CVPR 2019. S. Vandenhende et al., *Multi-Task Learning for Dense Prediction Tasks: A
# Survey*, TPAMI 2021. G. C. Cawley, N. L. C. Talbot, *On Over-fitting in Model Selection and
# Subsequent Selection Bias in Performance Evaluation*, JMLR 2010. X. Bouthillier et al.,
# *Accounting for Variance in Machine Learning Benchmarks*, MLSys 2021.
