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
# # Lesson 5 — Balancing tasks: static, uncertainty, DWA, GradNorm and PCGrad
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/mtlkit/mtlkit/blob/main/lessons/05_balancing_tasks.ipynb)
#
# **Learning goals.** After this lesson you can
#
# - explain why the weights $\lambda_t$ of $\sum_t \lambda_t \mathcal{L}_t$ matter and measure the imbalance between two tasks' gradients;
# - grid-search the study's static mix $\gamma\,\mathcal{L}_\text{fine} + (1-\gamma)\,\mathcal{L}_\text{coarse}$;
# - build uncertainty weighting and Dynamic Weight Average by hand and check them against `mtlkit.weighting`;
# - state what GradNorm and PCGrad do to the *gradients*, and project two conflicting gradients by hand;
# - compare all methods by their weights over epochs, and explore them with an interactive widget.
#
# **Estimated time:** 55 minutes of reading, running and self-checks. Computing takes under a minute with `QUICK = True` (first code cell); the full run's time on a CPU is in the settings cell.
#
# Every multi-task model of lessons 1–4 minimised $\sum_t \mathcal{L}_t$: all weights 1. But the
# fine task has 12 classes and the coarse task 4, so their losses start at different scales
# ($\log 12$ vs $\log 4$) and fall at different speeds. This lesson asks how much each task should
# count, and surveys the main answers.
#
# *Quick run:* `QUICK = True` in the first code cell (or the environment variable `MTLKIT_SMOKE=1`)
# runs everything on tiny data in seconds; the numbers are then meaningless, the code path is the same.

# %% tags=["parameters"]
# Settings: edit a value, then run the notebook again. QUICK = True runs every cell on tiny data in
# seconds (the numbers then mean little); it is on when the environment sets MTLKIT_SMOKE=1.
# Full run (QUICK = False) on 2 CPU cores: about 4 min (261 s, idle; lessons/README.md).
# On one H200 GPU: 34 s (lessons/README.md); Colab's T4 is not measured yet.
import importlib.util
import os
import subprocess
import sys

QUICK = os.environ.get("MTLKIT_SMOKE") == "1"
SEED = 0
WIDTH = 8 if QUICK else 16  # channels of the tiny CNN's first block
TRAIN_SIZE = 480 if QUICK else 4000  # images in the shapes pool (90% train, 10% validation)
EPOCHS = 3 if QUICK else 10  # DWA needs three epochs before its weights move
BATCH_SIZE = 64 if QUICK else 128
LR = 2e-3
GAMMAS = [0.2, 0.8] if QUICK else [0.0, 0.2, 0.4, 0.5, 0.6, 0.8, 1.0]  # the static grid of gamma values
TEMPERATURE = 2.0  # DWA
GRADNORM_ALPHA = 1.5  # GradNorm

# In Colab: install the mtlkit release this course was written for (once), and turn on its widgets.
COURSE = "https://raw.githubusercontent.com/mtlkit/mtlkit/main/lessons/colab-requirements.txt"
if "google.colab" in sys.modules:
    from google.colab import output

    output.enable_custom_widget_manager()
    if importlib.util.find_spec("mtlkit") is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-r", COURSE], check=True)

# %%
import itertools
import math

import matplotlib.pyplot as plt
import torch
from matplotlib.ticker import MaxNLocator
from torch import nn

from mtlkit import check
from mtlkit.data import DeviceLoader, load
from mtlkit.models import build
from mtlkit.train import TrainConfig, fit
from mtlkit.weighting import DWA, Uncertainty, create
from mtlkit.weighting.gradients import task_gradients
from mtlkit.weighting.gradnorm import last_shared_layer
from mtlkit.weighting.pcgrad import project_conflicting

torch.manual_seed(SEED)
train = load("shapes", "train", size=TRAIN_SIZE)
val = load("shapes", "val", size=TRAIN_SIZE)
tasks = dict(train.tasks)
print(train, val, sep="\n")
print("tasks:", tasks, "| quick run:", QUICK)


def new_model():
    """Hard sharing on the tiny CNN, always from the same initial weights."""
    torch.manual_seed(SEED)
    return build("hard", "tiny_cnn", tasks, backbone_kwargs={"width": WIDTH})


def train_with(weighting, epochs=EPOCHS, model=None, callbacks=()):
    """Train a (fresh) model with `weighting`; return fit's History (selected on validation)."""
    model = model or new_model()
    return fit(
        model,
        train,
        val,
        TrainConfig(epochs=epochs, batch_size=BATCH_SIZE, lr=LR, seed=SEED),
        weighting=weighting,
        callbacks=callbacks,
    )


# %% [markdown]
# ## 1. Why the weights matter
#
# The shared parameters receive $\sum_t \lambda_t \nabla_{\theta_\text{sh}} \mathcal{L}_t$ (lesson 1).
# If one task's gradient is much larger, it dominates the shared features whatever the other task
# needs. Let us measure the two gradients at the **last shared layer** (the layer GradNorm will
# balance) on a few batches of an untrained model.

# %%
model = new_model()
layer = last_shared_layer(model.shared_parameters())
loader = DeviceLoader(train, BATCH_SIZE, "cpu", shuffle=True, seed=SEED)
norms = {task: [] for task in tasks}
for images, labels in itertools.islice(loader, 5):  # five batches
    logits = model(images)
    for task in tasks:
        loss = nn.functional.cross_entropy(logits[task], labels[task])
        (grad,) = torch.autograd.grad(loss, [layer], retain_graph=True)
        norms[task].append(grad.norm().item())
for task in tasks:
    print(
        f"{task:>6}: initial loss ~ log {tasks[task]} = {math.log(tasks[task]):.2f}; "
        f"gradient norm at the last shared layer {sum(norms[task]) / len(norms[task]):.4f}"
    )
ratio = sum(norms["fine"]) / sum(norms["coarse"])
print(f"fine / coarse gradient norm: {ratio:.2f}")

# %% [markdown]
# Compare the printed ratio with the ratio of the initial losses: gradient size and loss size are
# different things, and both change during training as the tasks learn at different speeds. Which
# task *should* pull harder is not obvious either. The methods below answer it in four ways — by hand (a grid over a static weight), by a
# probabilistic argument (uncertainty), by the speed of learning (DWA), and by looking at the
# gradients themselves (GradNorm, PCGrad).
#
# ## 2. Static weights: the study's $\gamma$
#
# The 2023 study combined its heads as $\gamma\,\mathcal{L}_\text{fine} + (1-\gamma)\,\mathcal{L}_\text{coarse}$
# with a hand-picked $\gamma$. `create("static", tasks, gamma=g)` builds exactly that. A grid over
# $\gamma$ is the honest baseline every adaptive method has to beat — and the grid must be judged on
# the **validation** split (lesson 6 explains why never on the test split).

# %%
grid = {}
for gamma in GAMMAS:
    history = train_with(create("static", tasks, gamma=gamma))
    grid[gamma] = history.best["val"]
    check.close(
        history.weight_series("fine"),
        [gamma] * EPOCHS,
        what=f"gamma={gamma}: fine weight is gamma every epoch",
    )

fig, ax = plt.subplots(figsize=(6, 3.5))
for task in tasks:
    ax.plot(GAMMAS, [grid[g][task]["acc"] for g in GAMMAS], "o-", label=task)
ax.set_xlabel("gamma (weight of the fine loss)")
ax.set_ylabel("validation accuracy (selected epoch)")
ax.set_title("The static grid")
ax.legend()
plt.show()
best_gamma = max(GAMMAS, key=lambda g: (grid[g]["fine"]["acc"] + grid[g]["coarse"]["acc"]) / 2)
print(f"best gamma by mean validation accuracy: {best_gamma}")


# %% [markdown]
# Note the extremes: $\gamma = 1$ trains the fine task alone (the coarse head is never trained),
# $\gamma = 0$ the coarse task alone. A grid costs one training run per value — affordable here,
# expensive for a ResNet-152 on CIFAR-100, and it grows exponentially with the number of tasks.
#
# ## 3. Uncertainty weighting, by hand
#
# Kendall, Gal & Cipolla (CVPR 2018) treat each task's loss as a likelihood with its own noise
# $\sigma_t$ and learn $s_t = \log \sigma_t^2$ together with the network:
#
# $$\mathcal{L} = \sum_t \tfrac12 e^{-s_t}\,\mathcal{L}_t + \tfrac12 s_t .$$
#
# The first term down-weights a noisy task, the second stops $s_t$ from growing without bound. For a
# fixed $\mathcal{L}_t$, setting $\partial\mathcal{L}/\partial s_t = \tfrac12 - \tfrac12 e^{-s_t}\mathcal{L}_t = 0$ gives
# $s_t^* = \log \mathcal{L}_t$: **the effective weight $\tfrac12 e^{-s_t^*} = 1/(2\mathcal{L}_t)$ is
# inversely proportional to the task's loss.** The harder (higher-loss) task counts less.
#
# **Which form?** The formula above is the paper's form for a **regression** task (a Gaussian
# likelihood, Kendall et al. 2018, §3.2, eq. 7). For a **classification** task the paper derives, from a
# softmax scaled by $1/\sigma^2$, the term $e^{-s_t}\mathcal{L}_t + \tfrac12 s_t$ (their eq. 10,
# without the $\tfrac12$ in front of the loss). mtlkit, like LibMTL, uses the regression form for
# every task, classification included. The two differ in the starting weight ($\tfrac12$ vs $1$ at
# $s_t = 0$), which is the same as a different learning rate early on; at the optimum both give the
# same weight, $1/(2\mathcal{L}_t)$ (classification: $s_t^* = \log 2\mathcal{L}_t$). **The total can be
# negative:** at the optimum it is $\sum_t \tfrac12(1 + \log \mathcal{L}_t)$, below zero as soon as
# the losses are small ($\mathcal{L}_t < 1/e \approx 0.37$). A negative training loss here is not a
# bug; compare the task losses, not the total.


# %%
class HandUncertainty(nn.Module):
    """total = sum_t 0.5 * exp(-s_t) * L_t + 0.5 * s_t, with learnable s = log sigma^2 (init 0)."""

    def __init__(self, task_names):
        super().__init__()
        self.task_names = list(task_names)
        self.s = nn.Parameter(torch.zeros(len(self.task_names)))

    def forward(self, losses):
        total = 0
        for i, task in enumerate(self.task_names):
            total = total + 0.5 * torch.exp(-self.s[i]) * losses[task] + 0.5 * self.s[i]
        return total

    def weights(self):
        return {task: 0.5 * math.exp(-self.s[i].item()) for i, task in enumerate(self.task_names)}


hand, lib = HandUncertainty(tasks), Uncertainty(tasks)
with torch.no_grad():
    hand.s.copy_(torch.tensor([0.3, -0.7]))
    lib.log_vars.copy_(torch.tensor([0.3, -0.7]))
losses = {"fine": torch.tensor(2.1, requires_grad=True), "coarse": torch.tensor(0.6, requires_grad=True)}
ours, theirs = hand(losses), lib(losses)
check.close(ours, theirs, atol=1e-6, what="hand-built uncertainty total = mtlkit's Uncertainty")
(g_ours,) = torch.autograd.grad(ours, [hand.s])
(g_theirs,) = torch.autograd.grad(theirs, [lib.log_vars])
check.close(g_ours, g_theirs, atol=1e-6, what="same gradient with respect to s")
check.close(
    list(hand.weights().values()),
    list(lib.weights.values()),
    atol=1e-6,
    what="same effective weights 0.5 exp(-s)",
)

# %%
# Minimise over s alone, losses fixed: s should reach log L, the weight 1 / (2 L).
fixed = {"fine": torch.tensor(2.0), "coarse": torch.tensor(0.25)}
learner = HandUncertainty(tasks)
opt = torch.optim.Adam(learner.parameters(), lr=0.05)
path = []
for _ in range(400):
    opt.zero_grad()
    learner(fixed).backward()
    opt.step()
    path.append(list(learner.weights().values()))
check.close(
    learner.s.detach(), torch.log(torch.stack(list(fixed.values()))), atol=1e-2, what="s converges to log L"
)
s_coarse = learner.s[list(tasks).index("coarse")]
coarse_term = (0.5 * torch.exp(-s_coarse) * fixed["coarse"] + 0.5 * s_coarse).item()
print(f"the coarse task's term at the optimum: {coarse_term:.3f}, below zero (its loss is under 1/e)")
check.close(
    coarse_term, 0.5 * (1 + math.log(0.25)), atol=1e-3, what="a task's term at the optimum = 0.5 (1 + log L)"
)

fig, ax = plt.subplots(figsize=(6, 3.2))
for i, task in enumerate(tasks):
    ax.plot([p[i] for p in path], label=f"{task}: L = {fixed[task].item()}")
    ax.axhline(1 / (2 * fixed[task].item()), ls=":", color="gray")
ax.set_xlabel("optimiser step (losses held fixed)")
ax.set_ylabel("weight 0.5 exp(-s)")
ax.set_title("Uncertainty weighting: weight -> 1 / (2 L) (dotted)")
ax.legend()
plt.show()


# %% [markdown]
# ## 4. Dynamic Weight Average, by hand
#
# DWA (Liu, Johns & Davison, CVPR 2019) weights a task by how **slowly** its loss is falling. With
# $\bar{\mathcal{L}}_k(t)$ task $k$'s mean training loss in epoch $t$, $K$ tasks and a temperature $T$:
#
# $$w_k(t-1) = \frac{\bar{\mathcal{L}}_k(t-1)}{\bar{\mathcal{L}}_k(t-2)}, \qquad
# \lambda_k(t) = \frac{K \exp(w_k(t-1)/T)}{\sum_i \exp(w_i(t-1)/T)} ,$$
#
# and $\lambda_k = 1$ for the first two epochs (no two past epochs to compare). A ratio near 1 (the
# loss stalled) earns more weight than a ratio well below 1 (the task is learning fast). A large $T$
# flattens all weights towards 1. It needs only the epoch losses, no extra backward pass.


# %%
def dwa_weights(epoch_losses, temperature):
    """DWA weights for every epoch, from the list of epoch-mean losses {task: loss} that preceded it."""
    names = list(epoch_losses[0])
    weights = []
    for t in range(len(epoch_losses)):
        if t < 2:
            weights.append(dict.fromkeys(names, 1.0))
            continue
        ratios = [epoch_losses[t - 1][k] / epoch_losses[t - 2][k] for k in names]
        exps = [math.exp(r / temperature) for r in ratios]
        weights.append({k: len(names) * e / sum(exps) for k, e in zip(names, exps, strict=True)})
    return weights


dwa_history = train_with(DWA(tasks, temperature=TEMPERATURE))
epoch_losses = [{task: r["train"][task]["loss"] for task in tasks} for r in dwa_history.epochs]
hand_weights = dwa_weights(epoch_losses, TEMPERATURE)
for task in tasks:
    check.close(
        [w[task] for w in hand_weights],
        dwa_history.weight_series(task),
        atol=1e-6,
        what=f"hand-built DWA = mtlkit's DWA during training ({task})",
    )

replay = DWA(tasks, temperature=TEMPERATURE)  # the same losses, fed by hand
for t, losses_t in enumerate(epoch_losses[:-1]):
    replay.epoch_end(losses_t)
    check.close(
        list(replay.weights.values()),
        list(hand_weights[t + 1].values()),
        atol=1e-9,
        what=f"DWA.epoch_end after epoch {t + 1}",
    )

# %% [markdown]
# ## 5. Methods that look at gradients: GradNorm and PCGrad
#
# **GradNorm** (Chen et al., ICML 2018) learns the weights so that every task's weighted gradient
# norm at the last shared layer $W$, $G_t = \lVert \nabla_W\, \lambda_t \mathcal{L}_t \rVert$, moves
# towards the average norm, scaled up for tasks that are *behind* in training:
#
# $$\mathcal{L}_\text{grad} = \sum_t \Big| G_t - \bar G \cdot r_t^{\,\alpha} \Big|, \qquad
# r_t = \frac{\mathcal{L}_t / \mathcal{L}_t(0)}{\operatorname{mean}_j \mathcal{L}_j / \mathcal{L}_j(0)} ,$$
#
# after which the weights are renormalised to sum to $K$. $\alpha$ sets how strongly slow tasks are
# pushed; $\alpha = 0$ simply equalises the gradient norms. It costs one extra partial backward pass
# per task.
#
# **PCGrad** (Yu et al., NeurIPS 2020) does not weight at all: when two task gradients on the shared
# parameters **conflict** ($g_i \cdot g_j < 0$) it removes from $g_i$ its component along $g_j$,
#
# $$g_i \leftarrow g_i - \frac{g_i \cdot g_j}{\lVert g_j \rVert^2}\, g_j ,$$
#
# and steps along $\sum_i g_i$. Here it is on two 2-D gradients, by hand and with mtlkit's
# `project_conflicting`:

# %%
g = torch.tensor([[1.0, 0.2], [-0.8, 0.9]])  # two task gradients with a negative dot product


def project(gi, gj):
    dot = gi @ gj
    return gi - dot / (gj @ gj) * gj if dot < 0 else gi


hand_projected = torch.stack([project(g[0], g[1]), project(g[1], g[0])])
check.close(
    hand_projected,
    project_conflicting(g, [[1], [0]]),
    atol=1e-6,
    what="hand-built projection = mtlkit's project_conflicting",
)
check.close(hand_projected[0] @ g[1], 0.0, atol=1e-6, what="projected g_fine is orthogonal to g_coarse")

fig, ax = plt.subplots(figsize=(5, 4))
for vec, color, label in [
    (g[0], "tab:blue", "g_fine"),
    (g[1], "tab:orange", "g_coarse"),
    (hand_projected[0], "tab:blue", "g_fine projected"),
    (hand_projected[1], "tab:orange", "g_coarse projected"),
]:
    dashed = "projected" in label
    ax.annotate(
        "",
        xy=vec.tolist(),
        xytext=(0, 0),
        arrowprops={"arrowstyle": "->", "color": color, "ls": "--" if dashed else "-", "lw": 2},
    )
    ax.text(*(vec * 1.05).tolist(), label, color=color, fontsize=8)
plain, surgery = g.sum(0), hand_projected.sum(0)
ax.annotate("", xy=plain.tolist(), xytext=(0, 0), arrowprops={"arrowstyle": "->", "color": "gray", "lw": 2})
ax.annotate(
    "", xy=surgery.tolist(), xytext=(0, 0), arrowprops={"arrowstyle": "->", "color": "black", "lw": 2}
)
ax.text(*plain.tolist(), " plain sum", color="gray", fontsize=8)
ax.text(*surgery.tolist(), " PCGrad sum", fontsize=8)
ax.set_xlim(-1.2, 1.4)
ax.set_ylim(-0.2, 1.9)
ax.set_aspect("equal")
ax.axhline(0, color="lightgray", lw=0.5)
ax.axvline(0, color="lightgray", lw=0.5)
ax.set_title("PCGrad: remove the conflicting component")
plt.show()

# %% [markdown]
# ## 6. All methods, side by side
#
# Same model, data, epochs and seed; only the weighting changes. mtlkit's `fit` records the weights
# in use during every epoch (`History.weight_series`). Uncertainty and GradNorm move their weights
# every step; DWA once per epoch; static, equal and PCGrad never.

# %%
settings = {
    "equal": {},
    "static": {"gamma": best_gamma},
    "uncertainty": {},
    "dwa": {"temperature": TEMPERATURE},
    "gradnorm": {"alpha": GRADNORM_ALPHA},
    "pcgrad": {},
}
check_batches = list(itertools.islice(DeviceLoader(train, BATCH_SIZE, "cpu", shuffle=True, seed=SEED + 1), 8))


def gradient_cosines(model):
    """Cosine between the fine and coarse gradients on the shared parameters, one per check batch."""
    shared, device = list(model.shared_parameters()), next(model.parameters()).device
    was_training, cosines = model.training, []
    model.eval()  # batch norm uses its running statistics: measuring does not change the model
    with torch.enable_grad():
        for images, labels in check_batches:
            logits = model(images.to(device))
            losses = torch.stack(
                [nn.functional.cross_entropy(logits[t], labels[t].to(device)) for t in tasks]
            )
            g = task_gradients(losses, shared)
            cosines.append(nn.functional.cosine_similarity(g[0], g[1], dim=0).item())
    model.train(was_training)
    return cosines


histories, equal_model = {}, new_model()
conflict_log = [gradient_cosines(equal_model)]  # before training, then after every epoch


def record_conflict(_epoch_record):
    conflict_log.append(gradient_cosines(equal_model))


for name, options in settings.items():
    if name == "equal":
        histories[name] = train_with(create(name, tasks), model=equal_model, callbacks=[record_conflict])
    else:
        histories[name] = train_with(create(name, tasks, **options))

fig, axes = plt.subplots(2, 3, figsize=(10, 5.6), sharex=True)
for ax, (name, history) in zip(axes.flat, histories.items(), strict=True):
    epochs = [r["epoch"] for r in history.epochs]
    for task in tasks:
        ax.plot(epochs, history.weight_series(task), "o-", label=task)
    ax.set_title(name)
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
for row in axes:
    row[0].set_ylabel("task weight")
axes[0, 0].legend()
plt.suptitle("Task weights over epochs (each panel on its own scale)")
plt.tight_layout()
plt.show()

print(f"{'method':>12} | weights (last epoch)  | selected epoch | val fine | val coarse")
for name, history in histories.items():
    weights = ", ".join(f"{history.weight_series(t)[-1]:.2f}" for t in tasks)
    best = history.best
    print(
        f"{name:>12} | {weights:<21} | {best['epoch']:>14} | {best['val']['fine']['acc']:8.1%} | {best['val']['coarse']['acc']:10.1%}"
    )

gradnorm = histories["gradnorm"]
check.close(
    [sum(gradnorm.weight_series(t)[e] for t in tasks) for e in range(EPOCHS)],
    [2.0] * EPOCHS,
    atol=1e-4,
    what="GradNorm weights sum to K = 2",
)
dwa_losses = [{task: r["train"][task]["loss"] for task in tasks} for r in histories["dwa"].epochs]
check.close(
    [w["fine"] for w in dwa_weights(dwa_losses, TEMPERATURE)],
    histories["dwa"].weight_series("fine"),
    atol=1e-6,
    what="create('dwa', ...) follows the DWA formula too",
)

# %% [markdown]
# **Why DWA barely moves here.** DWA's weights are $2\,\mathrm{softmax}(w_k / T)$ with $w_k$ the ratio
# of a task's last two epoch losses. They move away from 1 only as far as the two tasks' loss
# *ratios* differ, divided by $T$; when both losses fall at the same relative speed (as here, where
# the coarse task is a function of the fine one), the ratios are alike and the weights stay close to 1.
# The next cell measures how far they moved; a lower temperature (try $T = 0.1$ in the explorer of
# section 8) spreads them further.

# %%
dwa_spread = max(abs(w - 1) for t in tasks for w in histories["dwa"].weight_series(t))
print(f"DWA: the weights moved at most {dwa_spread:.3f} away from 1 (T = {TEMPERATURE})")

# %% [markdown]
# ### Gradient conflict over training
#
# PCGrad acts only when the task gradients **conflict**: when the cosine between
# $g_\text{fine} = \nabla_{\theta_\text{sh}}\mathcal{L}_\text{fine}$ and $g_\text{coarse}$ on the shared
# parameters is negative. One cosine at initialisation says little; during the equal-weights run
# above we measured it on 8 fixed training batches before training and after every epoch
# (`gradient_cosines`, with mtlkit's `task_gradients`).

# %%
cos_epochs = range(len(conflict_log))
mean_cos = [sum(c) / len(c) for c in conflict_log]
conflicting = [sum(x < 0 for x in c) / len(c) for c in conflict_log]
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.4))
ax1.plot(cos_epochs, mean_cos, "o-", label="mean over the batches")
ax1.fill_between(cos_epochs, [min(c) for c in conflict_log], [max(c) for c in conflict_log], alpha=0.2)
ax1.axhline(0, color="gray", ls=":")
ax1.set_xlabel("epoch (0: before training)")
ax1.set_ylabel("cos(g_fine, g_coarse)")
ax1.set_title("Cosine between the task gradients (band: min-max)")
ax2.bar(cos_epochs, conflicting, color="tab:red")
ax2.set_ylim(0, 1)
ax2.set_xlabel("epoch (0: before training)")
ax2.set_ylabel("fraction of batches with cos < 0")
ax2.set_title("How often the tasks conflict")
plt.tight_layout()
plt.show()
print("mean cosine per epoch:", [round(c, 3) for c in mean_cos])
print("fraction conflicting:", [round(f, 2) for f in conflicting])

# %% [markdown]
# A fine and a coarse label that agree (the coarse one is a function of the fine one) tend to pull
# the shared features the same way: a positive mean cosine, few conflicting batches. As the model
# fits the training data the gradients get smaller and noisier, and conflicts on single batches
# become more common. Tasks that truly compete show negative cosines on most batches — that is
# where PCGrad's projection changes the update.
#
# ### The Pareto view
#
# Each $\gamma$ of the static grid (section 2) gave one model, i.e. one point (fine accuracy,
# coarse accuracy). A point is **Pareto-optimal** when no other point is at least as good on both
# tasks and better on one; the Pareto-optimal points form the *front*: the best trade-offs the grid
# found. Every weighting method is a way to pick a point near this front without a grid.


# %%
def pareto_front(points):
    """The keys of the points {key: (a, b)} that no other point dominates (>= on both, > on one)."""
    return [
        k
        for k, (a, b) in points.items()
        if not any(a2 >= a and b2 >= b and (a2, b2) != (a, b) for a2, b2 in points.values())
    ]


points = {g: (grid[g]["fine"]["acc"], grid[g]["coarse"]["acc"]) for g in GAMMAS}
front = pareto_front(points)
fig, ax = plt.subplots(figsize=(5.5, 4))
for g, (a, b) in points.items():
    ax.scatter(a, b, color="tab:red" if g in front else "tab:gray", zorder=3)
    ax.annotate(f"γ={g}", (a, b), textcoords="offset points", xytext=(4, 4), fontsize=8)
ordered = sorted((points[g] for g in front), key=lambda p: p[0])
ax.plot(*zip(*ordered, strict=True), color="tab:red", lw=1, label="Pareto front")
for name, history in histories.items():
    xy = (history.best["val"]["fine"]["acc"], history.best["val"]["coarse"]["acc"])
    ax.scatter(*xy, marker="x", color="tab:blue", zorder=3)
    ax.annotate(name, xy, xytext=(4, -10), textcoords="offset points", fontsize=7, color="tab:blue")
ax.set_xlabel("validation accuracy, fine")
ax.set_ylabel("validation accuracy, coarse")
ax.set_title("Static γ grid (dots) and the adaptive methods (x)")
ax.legend(fontsize=8)
plt.show()
print("Pareto-optimal gammas:", front)

# %% [markdown]
# Beyond the methods of this lesson, the Pareto view motivates a family of gradient-based methods:
# **MGDA** (Désidéri 2012; Sener & Koltun, NeurIPS 2018) takes the smallest-norm convex combination of
# the task gradients, a direction that improves no task at the expense of another; **CAGrad**
# (B. Liu et al., NeurIPS 2021) looks for the direction that maximises the worst task's improvement
# near the average gradient; **Nash-MTL** (Navon et al., ICML 2022) lets the tasks bargain over the
# update. At the other end, **random loss weighting** (Lin et al., TMLR 2022, *Reasonable
# Effectiveness of Random Weighting*) draws fresh random weights every step and performs
# comparably. Two large studies in 2022 re-ran many of these methods with careful tuning and
# found that plain (unitary) scalarisation — a fixed sum of the losses, well tuned — is hard to beat:
# D. Xin et al., *Do Current Multi-Task Optimization Methods in Deep Learning Even Help?* (NeurIPS 2022),
# and V. Kurin et al., *In Defense of the Unitary Scalarization for Deep Multi-Task Learning*
# (NeurIPS 2022). mtlkit implements the methods of this lesson only.
#
# **Reading the table.** On a validation split of this size one image is worth a few tenths of a
# percent, and one seed decides more than the method does: before claiming that a method wins, run
# several seeds (lesson 6). Surveys that did so (e.g. Xin et al., NeurIPS 2022, *Do Current
# Multi-Task Optimization Methods in Deep Learning Even Help?*) found that a well-tuned static weighting
# is hard to beat.
#
# ## 7. An accidental weighting: the study's binary cross-entropy
#
# Weights can also hide in the loss *definition*. The study's ViT multi-task notebooks trained the
# 20-way superclass head with **binary** cross-entropy on its softmax outputs, averaged over the 20
# outputs (what Keras's `binary_crossentropy` does), while the class head used softmax
# cross-entropy. Averaging over $K$ outputs scales that task's gradient by roughly $1/K$ — a static
# weight nobody chose. Let us measure it on random logits (lesson 6 looks at what else
# goes wrong with this loss).

# %%
K = 20
logits = torch.randn(256, K, requires_grad=True)
target = torch.randint(0, K, (256,))
ce = nn.functional.cross_entropy(logits, target)
bce = nn.functional.binary_cross_entropy(
    torch.softmax(logits, dim=1), nn.functional.one_hot(target, K).float()
)
(g_ce,) = torch.autograd.grad(ce, [logits])
(g_bce,) = torch.autograd.grad(bce, [logits])
implicit = (g_bce.norm() / g_ce.norm()).item()
print(
    f"gradient norm, BCE-on-softmax (mean over {K} outputs) / softmax cross-entropy: {implicit:.3f} (1/K = {1 / K:.3f})"
)
check.between(implicit, 0.0, 0.5, "BCE averaged over 20 outputs acts as a small implicit task weight")

# %% [markdown]
# ## 8. Explore it yourself
#
# `mtlkit.explorer.WeightingExplorer` wraps the experiment above in widgets: pick a weighting and its
# hyper-parameter (only the one the method reads is enabled), the learning rate and the number of
# epochs, click **Run**, and the figure — weights, losses and validation accuracy per epoch — is
# redrawn after every epoch from `fit`'s callback. Every run starts from the same seed, so two runs
# differ only by your settings. Things to try:
#
# - static with $\gamma = 0.3$: the weights are 0.3 / 0.7 every epoch;
# - DWA with $T = 0.5$ vs $T = 10$: how far do the weights move from 1 after epoch 2?
# - GradNorm with $\alpha = 0$ vs $\alpha = 3$;
# - uncertainty: which task ends up with the larger weight, and does $1/(2\mathcal{L})$ explain it?
#
# (Below, the explorer is also run once from code, which is exactly what the button does.)

# %%
from mtlkit.explorer import WeightingExplorer

explorer = WeightingExplorer(train, val, width=WIDTH, batch_size=BATCH_SIZE, epochs=EPOCHS, lr=LR, seed=SEED)
explorer.display()
explorer.method.value = "static"
explorer.gamma.value = 0.3
explored = explorer.run()  # what clicking Run does
check.close(
    explored.weight_series("fine"), [0.3] * EPOCHS, what="explorer: static gamma=0.3 -> fine weight 0.3"
)
check.close(explored.weight_series("coarse"), [0.7] * EPOCHS, what="explorer: coarse weight 0.7")

# %% [markdown]
# ## Self-check
#
# **Q1.** Epoch-mean losses were fine 2.0, coarse 1.0 in epoch 1 and fine 1.0, coarse 0.9 in epoch 2.
# What are the DWA weights (T = 2) in epoch 3? Compute them with the formula, put them in `my_answer`
# as `{"fine": ..., "coarse": ...}`, then check against mtlkit.

# %%
my_answer = None  # your answer: {"fine": ..., "coarse": ...}

dwa = DWA(["fine", "coarse"], temperature=2.0)
dwa.epoch_end({"fine": 2.0, "coarse": 1.0})
dwa.epoch_end({"fine": 1.0, "coarse": 0.9})
check.answer(my_answer, dwa.weights, "DWA weights for epoch 3", atol=1e-4, hint="K softmax(w/T), w=L2/L1")
check.true(
    dwa.weights["coarse"] > dwa.weights["fine"], "the task whose loss fell more slowly gets more weight"
)

# %% [markdown]
# **Q2.** With uncertainty weighting and a task loss held at $\mathcal{L} = 0.25$, what weight does
# the task get at the optimum of $s$? Put it in `my_answer`.

# %%
my_answer = None  # your answer: the weight, a number

u = Uncertainty(["fine", "coarse"])
with torch.no_grad():
    u.log_vars.fill_(math.log(0.25))  # the optimum s* = log L
check.answer(my_answer, u.weights["fine"], "uncertainty weight at the optimum", atol=1e-6, hint="s = log L")

# %% [markdown]
# **Q3.** PCGrad on $g_1 = (1, 0)$ and $g_2 = (-1, 1)$: what is the combined update direction? Put it in
# `my_answer` as a list of two numbers.

# %%
my_answer = None  # your answer: [x, y]

g12 = torch.tensor([[1.0, 0.0], [-1.0, 1.0]])
update = project_conflicting(g12, [[1], [0]]).sum(0)
check.answer(
    my_answer, update.tolist(), "PCGrad update for g1=(1,0), g2=(-1,1)", atol=1e-6, hint="project, then add"
)

# %% [markdown]
# **Q4.** Two task gradients on the shared parameters are $g_1 = (1, 2)$ and $g_2 = (-2, 0.5)$. What is
# their cosine? Do they conflict (would PCGrad project)? Put the cosine in `my_answer`.

# %%
my_answer = None  # your answer: the cosine, a number in [-1, 1]
g_pair = torch.tensor([[1.0, 2.0], [-2.0, 0.5]])
cosine = nn.functional.cosine_similarity(g_pair[0], g_pair[1], dim=0).item()
check.answer(
    my_answer, cosine, "cosine of g1=(1,2) and g2=(-2,0.5)", atol=1e-3, hint="cos = g1·g2 / (|g1| |g2|)"
)

# %% [markdown]
# **Q5.** A grid gave (fine, coarse) validation accuracies γ=0.2: (0.50, 0.80), γ=0.5: (0.55, 0.78),
# γ=0.8: (0.52, 0.70). Which γ values are Pareto-optimal? Put them in `my_answer` as a sorted list.

# %%
my_answer = None  # your answer: a sorted list of gammas
toy = {0.2: (0.50, 0.80), 0.5: (0.55, 0.78), 0.8: (0.52, 0.70)}
check.answer(
    my_answer,
    sorted(pareto_front(toy)),
    "Pareto-optimal gammas",
    hint="a point is dominated when another is >= on both tasks",
)

# %% [markdown]
# ## Summary
#
# - The weights $\lambda_t$ decide which task shapes the shared features; tasks differ in loss scale
#   and gradient size, so "all ones" is a choice, not a neutral default.
# - **Static** $\gamma$: simple, needs a grid on the validation split. **Uncertainty**: learned
#   weights $\to 1/(2\mathcal{L}_t)$. **DWA**: more weight to the task whose loss falls slowest.
#   **GradNorm**: balances gradient norms at the last shared layer. **PCGrad**: removes conflicting
#   gradient components instead of weighting.
# - Gradient conflict is measured, not assumed: the cosine between the task gradients on the shared
#   parameters, per epoch, and how often it is negative.
# - The static grid traces a Pareto front of (fine, coarse) trade-offs; MGDA, CAGrad, Nash-MTL and
#   random weighting are other ways to pick a point on it, and a tuned fixed weighting is hard to beat.
# - Loss definitions can hide weights (binary cross-entropy averaged over 20 outputs).
# - No method wins by default; compare them over seeds, on validation data (lesson 6).
#
# **Practice:** exercise 5, [`05_weighting/05_weighting.ipynb`](../exercises/05_weighting/05_weighting.ipynb) (graded with nbgrader).
#
# *References:* A. Kendall, Y. Gal, R. Cipolla, *Multi-Task Learning Using Uncertainty to Weigh
# Losses for Scene Geometry and Semantics*, CVPR 2018. S. Liu, E. Johns, A. Davison, *End-to-End
# Multi-Task Learning with Attention*, CVPR 2019. Z. Chen et al., *GradNorm: Gradient Normalization
# for Adaptive Loss Balancing in Deep Multitask Networks*, ICML 2018. T. Yu et al., *Gradient Surgery
# for Multi-Task Learning*, NeurIPS 2020. D. Xin et al., *Do Current Multi-Task Optimization Methods
# in Deep Learning Even Help?*, NeurIPS 2022. V. Kurin et al., *In Defense of the Unitary
# Scalarization for Deep Multi-Task Learning*, NeurIPS 2022. J.-A. Désidéri, *Multiple-gradient
# descent algorithm (MGDA) for multiobjective optimization*, Comptes Rendus Mathématique 350, 2012.
# O. Sener, V. Koltun, *Multi-Task Learning as Multi-Objective Optimization*, NeurIPS 2018. B. Liu
# et al., *Conflict-Averse Gradient Descent for Multi-task Learning*, NeurIPS 2021. A. Navon et al.,
# *Multi-Task Learning as a Bargaining Game*, ICML 2022. B. Lin et al., *Reasonable Effectiveness of
# Random Weighting: A Litmus Test for Multi-Task Learning*, TMLR 2022.
