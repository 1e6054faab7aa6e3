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
# # Lesson 1 — Why multi-task learning?
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/mtlkit/mtlkit/blob/main/lessons/01_why_multitask.ipynb)
#
# **Learning goals.** After this lesson you can
#
# - write down what single-task (STL) and multi-task learning (MTL) optimise, and say what *inductive bias* a second task adds;
# - build a hard-parameter-sharing network by hand in PyTorch and check it, weight for weight, against `mtlkit.models.HardSharing`;
# - count the parameters of single-task and multi-task models, by formula and by code;
# - run a small STL-vs-MTL experiment on the synthetic `shapes` data and read it critically;
# - state the three research questions of the 2023 ViT-vs-ResNet-152 study this course revisits, and the flaws we will fix.
#
# **Estimated time:** 45 minutes of reading, running and self-checks. Computing takes under a minute with `QUICK = True` (first code cell); the full run's time on a CPU is in the settings cell.
#
# This course revisits a 2023 study that trained a **ViT** and a **ResNet-152** on **CIFAR-10 and
# CIFAR-100**, each either **single-task** (class only, or superclass only) or **multi-task** (one
# network, a *class* head and a *superclass* head). We start small: a 12-class synthetic dataset,
# a tiny CNN, and a network you write yourself.
#
# *Quick run:* `QUICK = True` in the first code cell (or the environment variable `MTLKIT_SMOKE=1`)
# runs everything on tiny data in seconds; the numbers are then meaningless, the code path is the same.

# %% tags=["parameters"]
# Settings: edit a value, then run the notebook again. QUICK = True runs every cell on tiny data in
# seconds (the numbers then mean little); it is on when the environment sets MTLKIT_SMOKE=1.
# Full run (QUICK = False) on 2 CPU cores: about 2 min (113 s, idle; lessons/README.md).
# On one H200 GPU: 24 s (lessons/README.md); Colab's T4 is not measured yet.
import importlib.util
import os
import subprocess
import sys

QUICK = os.environ.get("MTLKIT_SMOKE") == "1"
SEED = 0
WIDTH = 8 if QUICK else 16  # channels of the tiny CNN's first block (features = 4 * WIDTH)
TRAIN_SIZE = 480 if QUICK else 5000  # images in the shapes pool (90% train, 10% validation)
EPOCHS = 1 if QUICK else 8
BATCH_SIZE = 64
LR = 3e-3  # AdamW, cosine schedule, augmentation: the recipe of the capstone's `quick` preset

# In Colab: install the mtlkit release this course was written for (once), and turn on its widgets.
COURSE = "https://raw.githubusercontent.com/mtlkit/mtlkit/main/lessons/colab-requirements.txt"
if "google.colab" in sys.modules:
    from google.colab import output

    output.enable_custom_widget_manager()
    if importlib.util.find_spec("mtlkit") is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-r", COURSE], check=True)

# %%
import matplotlib.pyplot as plt
import torch
from torch import nn

from mtlkit import check
from mtlkit.data import DeviceLoader, load

torch.manual_seed(SEED)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
train = load("shapes", "train", size=TRAIN_SIZE)
val = load("shapes", "val", size=TRAIN_SIZE)
test = load("shapes", "test", size=TRAIN_SIZE)
print(train, val, test, sep="\n")
print("device:", device, "| quick run:", QUICK)


# %% [markdown]
# ## 1. One network, several tasks
#
# A **task** here is a labelling of the same images. In *single-task learning* we train one network
# per task $t$, each with its own parameters $\theta_t$:
#
# $$\min_{\theta_t} \; \mathcal{L}_t(\theta_t), \qquad
# \mathcal{L}_t(\theta) = -\frac{1}{N}\sum_{i=1}^{N} \log \operatorname{softmax}\big(f_t(x_i;\theta)\big)_{y_i^{t}}
# \quad\text{(cross-entropy)}.$$
#
# In *multi-task learning* the networks share parameters $\theta_{\text{sh}}$ and we minimise a
# weighted sum of the task losses:
#
# $$\min_{\theta_{\text{sh}},\,\theta_1,\dots,\theta_T} \; \sum_{t=1}^{T} \lambda_t\,
# \mathcal{L}_t(\theta_{\text{sh}}, \theta_t).$$
#
# **Hard parameter sharing** (Caruana, 1997) is the simplest form: one backbone
# $\varphi(\,\cdot\,;\theta_{\text{sh}})$ computes a feature vector $z = \varphi(x) \in \mathbb{R}^d$,
# and each task has a small head, here linear: $f_t(x) = W_t\, z + b_t$.
#
# **Why could this help?** Caruana's answer: *the training signal of a related task is an
# inductive bias*. Among all features that fit task A, the shared backbone is pushed towards
# those that also serve task B. Ruder's overview (2017, §3) lists five mechanisms:
#
# 1. **implicit data augmentation**: the noise patterns of two label sets differ, and a
#    representation that fits both averages them out;
# 2. **attention focusing**: with noisy or little data, a second task's signal helps the network tell
#    the features that matter from the ones that do not;
# 3. **eavesdropping**: a feature that is easy to learn for task B but hard for task A can be learned
#    through B and then used by A;
# 4. **representation bias**: features that work for many tasks are more likely to generalise to new
#    ones (Baxter, 2000);
# 5. **regularisation**: the second loss keeps the shared features from overfitting the first task.
#
# **Why could it hurt?** The tasks
# compete for a fixed capacity, and their gradients can point in conflicting directions
# (*negative transfer*, lessons 4–5). Whether MTL helps is an empirical question — which is
# what the 2023 study asked (its RQ2, §7).

# %% [markdown]
# ## 2. The `shapes` data: two tasks from one image
#
# `shapes` is a synthetic stand-in for CIFAR that mtlkit generates on the fly (no download): 12
# *fine* classes in 4 *coarse* families. Like CIFAR-100's superclasses, the coarse label is a
# function of the fine one. Each row below is one family.


# %%
def show_by_family(ds, per_class=2):
    """A grid of images: one row per coarse family, `per_class` images of each of its classes."""
    coarse_of_fine = ds.coarse_of_fine.tolist()
    families = range(len(ds.class_names["coarse"]))
    members = [[f for f, c in enumerate(coarse_of_fine) if c == fam] for fam in families]
    cols = max(len(m) for m in members) * per_class
    fig, axes = plt.subplots(len(members), cols, figsize=(1.4 * cols, 1.6 * len(members)))
    for row, classes in enumerate(members):
        for j, fine in enumerate(c for c in classes for _ in range(per_class)):
            index = (ds.labels["fine"] == fine).nonzero().flatten()[j % per_class]
            ax = axes[row, j]
            ax.imshow(ds.images[index].permute(1, 2, 0).numpy())
            ax.set_title(ds.class_names["fine"][fine], fontsize=8)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[row, 0].set_ylabel(ds.class_names["coarse"][row], fontsize=10)
    fig.suptitle(f"{ds.name}: fine classes grouped by coarse family")
    plt.tight_layout()
    plt.show()


show_by_family(train)
tasks = dict(train.tasks)
print("tasks (name -> number of classes):", tasks)
print("coarse family of each fine class:", train.coarse_of_fine.tolist())
check.equal(
    train.labels["coarse"], train.coarse_of_fine[train.labels["fine"]], "coarse = coarse_of_fine[fine]"
)


# %% [markdown]
# ## 3. Hard parameter sharing, by hand
#
# Our backbone is a tiny VGG-style CNN: four blocks of 3×3 convolution → batch norm → ReLU, with
# 2×2 max-pooling after the first three ($32 \to 16 \to 8 \to 4$ pixels), widths
# $w, 2w, 4w, 4w$, then **global average pooling** turns the $[B, 4w, 4, 4]$ map into
# $z \in \mathbb{R}^{4w}$. One `nn.Linear` head per task sits on $z$.


# %%
def conv_block(c_in, c_out, pool):
    """3x3 conv (no bias: batch norm adds one) -> batch norm -> ReLU (-> 2x2 max-pool)."""
    layers = [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]
    if pool:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


class HandHardSharing(nn.Module):
    """A shared CNN backbone and one linear head per task: x -> {task: logits}."""

    def __init__(self, tasks, width):
        super().__init__()
        widths = [width, 2 * width, 4 * width, 4 * width]
        ins = [3, *widths[:-1]]
        self.backbone = nn.Sequential(
            *[conv_block(a, b, pool=i < 3) for i, (a, b) in enumerate(zip(ins, widths, strict=True))]
        )
        self.heads = nn.ModuleDict({task: nn.Linear(widths[-1], k) for task, k in tasks.items()})

    def features(self, x):
        return self.backbone(x).mean(dim=(2, 3))  # global average pooling: [B, C, H, W] -> [B, C]

    def forward(self, x):
        z = self.features(x)  # computed once, used by every head: that is the sharing
        return {task: head(z) for task, head in self.heads.items()}


hand = HandHardSharing(tasks, WIDTH)
x = torch.randn(8, 3, 32, 32)
out = hand(x)
for task, logits in out.items():
    check.shape(logits, (8, tasks[task]), f"{task} logits")

# %% [markdown]
# ### Counting parameters
#
# A 3×3 convolution from $C_\text{in}$ to $C_\text{out}$ channels without bias has
# $9\,C_\text{in}C_\text{out}$ weights; batch norm adds a scale and a shift per channel ($2C$); a
# linear layer from $d$ to $K$ has $(d+1)K$. The backbone is shared, so adding a task costs only
# its head. Two single-task networks pay for the backbone twice.

# %%
widths = [WIDTH, 2 * WIDTH, 4 * WIDTH, 4 * WIDTH]
backbone_by_formula = sum(9 * a * b + 2 * b for a, b in zip([3, *widths[:-1]], widths, strict=True))
heads_by_formula = {task: (widths[-1] + 1) * k for task, k in tasks.items()}


def numel(module):
    return sum(p.numel() for p in module.parameters())


check.equal(numel(hand.backbone), backbone_by_formula, "backbone parameters = formula")
for task in tasks:
    check.equal(numel(hand.heads[task]), heads_by_formula[task], f"{task} head parameters = formula")
mtl_total = backbone_by_formula + sum(heads_by_formula.values())
stl_total = sum(backbone_by_formula + h for h in heads_by_formula.values())
print(
    f"hard sharing: {mtl_total:,} parameters; two single-task networks: {stl_total:,} "
    f"({stl_total / mtl_total:.2f}x)"
)

# %% [markdown]
# ## 4. The same model in mtlkit
#
# mtlkit builds this network as `HardSharing(create("tiny_cnn", width=WIDTH), tasks)`. If our
# hand-built version really is the same architecture, then (1) the parameter counts agree, and
# (2) copying our weights into mtlkit's model gives the same outputs. Both architectures register
# their tensors in the same order, so we can copy them one by one, checking every shape. We first
# run a few batches in training mode so that batch norm's running statistics are not trivial.

# %%
from mtlkit.backbones import create
from mtlkit.models import HardSharing, SingleTask, count_parameters

lib = HardSharing(create("tiny_cnn", width=WIDTH), tasks)
print("mtlkit count_parameters:", count_parameters(lib))
check.equal(count_parameters(lib)["shared"], numel(hand.backbone), "shared parameter count matches mtlkit")
check.equal(count_parameters(lib)["total"], numel(hand), "total parameter count matches mtlkit")


def copy_weights(source, target):
    """Copy every tensor of `source` into `target`, in registration order, checking shapes."""
    src, dst = source.state_dict(), target.state_dict()
    check.equal(len(src), len(dst), "same number of tensors (weights and batch-norm buffers)")
    copied = {}
    for (src_name, tensor), (dst_name, slot) in zip(src.items(), dst.items(), strict=True):
        assert tensor.shape == slot.shape, (
            f"{src_name} {tuple(tensor.shape)} vs {dst_name} {tuple(slot.shape)}"
        )
        copied[dst_name] = tensor.clone()
    target.load_state_dict(copied)


with torch.no_grad():  # update batch norm's running mean/variance away from (0, 1)
    for _ in range(3):
        hand(torch.randn(16, 3, 32, 32) * 2 + 0.5)
copy_weights(hand, lib)
hand.eval()
lib.eval()
with torch.no_grad():
    ours, theirs = hand(x), lib(x)
for task in tasks:
    check.close(
        ours[task],
        theirs[task],
        atol=1e-5,
        what=f"hand-built hard sharing matches mtlkit.models.HardSharing ({task})",
    )

# %% [markdown]
# ## 5. Training two tasks at once
#
# With $\lambda_t = 1$ the loss is $\mathcal{L} = \mathcal{L}_\text{fine} + \mathcal{L}_\text{coarse}$.
# Differentiation is linear, so the gradient that reaches the shared backbone is the **sum of the
# task gradients**, $\nabla_{\theta_\text{sh}}\mathcal{L} = \sum_t \lambda_t \nabla_{\theta_\text{sh}}\mathcal{L}_t$,
# while each head only ever sees its own task's gradient. Let us verify this on one batch — it is
# the whole mechanism of hard sharing, and the starting point of every loss-weighting method in
# lesson 5.

# %%
model = HandHardSharing(tasks, WIDTH).to(device)
loader = DeviceLoader(train, BATCH_SIZE, device, shuffle=True, seed=SEED)
images, labels = next(iter(loader))
shared = list(model.backbone.parameters())


def shared_grad(loss):
    return torch.cat([g.flatten() for g in torch.autograd.grad(loss, shared, retain_graph=True)])


logits = model(images)
losses = {task: nn.functional.cross_entropy(logits[task], labels[task]) for task in tasks}
g_fine, g_coarse = shared_grad(losses["fine"]), shared_grad(losses["coarse"])
g_total = shared_grad(losses["fine"] + losses["coarse"])
# equal up to rounding: a GPU may sum in another order, and from Ampere on convolves in TF32 (10 bits)
check.close(
    g_total, g_fine + g_coarse, atol=1e-4, rtol=1e-3, what="shared gradient = sum of the task gradients"
)
cosine = nn.functional.cosine_similarity(g_fine, g_coarse, dim=0).item()
print(f"cosine similarity of the two task gradients on this batch: {cosine:+.3f}")

# %% [markdown]
# A positive cosine means the two tasks pull the shared weights in roughly the same direction on
# this batch; a negative one means they conflict. Now the training loop itself — a plain PyTorch
# loop, nothing hidden:

# %%
opt = torch.optim.AdamW(model.parameters(), lr=2e-3)
curves = {task: [] for task in tasks}
model.train()
for _ in range(min(EPOCHS, 3)):  # three epochs show the curves; the experiment below trains longer
    for images, labels in loader:
        logits = model(images)
        losses = {task: nn.functional.cross_entropy(logits[task], labels[task]) for task in tasks}
        opt.zero_grad()
        sum(losses.values()).backward()
        opt.step()
        for task in tasks:
            curves[task].append(losses[task].item())

fig, ax = plt.subplots(figsize=(6, 3.5))
for task, values in curves.items():
    ax.plot(values, label=f"{task} ({tasks[task]} classes)")
    ax.axhline(torch.log(torch.tensor(tasks[task])).item(), ls=":", color="gray")
ax.set_xlabel("step")
ax.set_ylabel("training cross-entropy")
ax.set_title("Hard sharing, trained by hand (dotted: loss of a uniform guess, log K)")
ax.legend()
plt.show()
print(f"{len(curves['fine'])} steps; last losses:", {t: round(v[-1], 3) for t, v in curves.items()})

# %% [markdown]
# The dotted lines mark $\log K$, the loss of a network that outputs a uniform distribution over
# $K$ classes: every model starts near it, and a model that learns anything drops below it.
#
# ## 6. A small experiment: STL vs MTL
#
# Now the real comparison, with mtlkit's trainer `fit` (the same loop plus augmentation, a
# learning-rate schedule and model selection on the validation split). Three models with the
# **same backbone, data, epochs and seed**:
#
# - STL-fine: `SingleTask(backbone, "fine", 12)`;
# - STL-coarse: `SingleTask(backbone, "coarse", 4)`;
# - MTL: `HardSharing(backbone, {"fine": 12, "coarse": 4})`.
#
# Each is selected on the validation split and tested once on the test split.

# %%
from mtlkit.train import TrainConfig, evaluate, fit


def run(model):
    torch.manual_seed(SEED)
    fit(model, train, val, TrainConfig(epochs=EPOCHS, batch_size=BATCH_SIZE, lr=LR, seed=SEED))
    return evaluate(model, test)


models = {}
for name, task_list in {"STL-fine": ["fine"], "STL-coarse": ["coarse"], "MTL": ["fine", "coarse"]}.items():
    torch.manual_seed(SEED)  # the same initial backbone weights for all three
    backbone = create("tiny_cnn", width=WIDTH)
    if len(task_list) == 1:
        models[name] = SingleTask(backbone, task_list[0], tasks[task_list[0]])
    else:
        models[name] = HardSharing(backbone, tasks)
results = {name: run(model) for name, model in models.items()}
for name, result in results.items():
    accs = ", ".join(f"{task} {m['acc']:.1%}" for task, m in result.items() if task in tasks)
    print(f"{name:>10}: test accuracy {accs}; parameters {count_parameters(models[name])['total']:,}")

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.5))
for i, task in enumerate(tasks):
    stl = results[f"STL-{task}"][task]["acc"]
    mtl = results["MTL"][task]["acc"]
    ax1.bar([3 * i, 3 * i + 1], [stl, mtl], color=["tab:blue", "tab:orange"])
    ax1.axhline(1 / tasks[task], xmin=i / 2, xmax=(i + 1) / 2, ls=":", color="gray")
ax1.set_xticks([0, 1, 3, 4], ["STL\nfine", "MTL\nfine", "STL\ncoarse", "MTL\ncoarse"])
ax1.set_ylabel("test accuracy")
ax1.set_title("STL vs MTL (dotted: chance)")

counts = {name: count_parameters(m) for name, m in models.items()}
stl_pair = counts["STL-fine"]["total"] + counts["STL-coarse"]["total"]
ax2.bar(
    ["two STL models", "one MTL model"], [stl_pair, counts["MTL"]["total"]], color=["tab:blue", "tab:orange"]
)
ax2.bar(["one MTL model"], [counts["MTL"]["shared"]], color="tab:red", label="shared (backbone)")
ax2.set_ylabel("parameters")
ax2.set_title("Cost of serving both tasks")
ax2.legend()
plt.tight_layout()
plt.show()

gap = {task: results["MTL"][task]["acc"] - results[f"STL-{task}"][task]["acc"] for task in tasks}
print("MTL minus STL, test accuracy:", {t: f"{g:+.1%}" for t, g in gap.items()})
print(f"parameters: two STL models {stl_pair:,} vs one MTL model {counts['MTL']['total']:,}")
check.true(counts["MTL"]["total"] < stl_pair, "hard sharing needs fewer parameters than two STL models")

# %% [markdown]
# **Read this with care.** The differences above come from *one seed* on a small dataset. Rerun
# with `SEED = 1` and they will move — often by as much as the gap itself. Lesson 6 shows how to
# tell a real difference from seed noise (several seeds, paired comparisons, confidence intervals).
# The parameter saving, by contrast, is exact.
#
# ### The superclass as an auxiliary task, and negative transfer
#
# If only the fine task matters, the superclass is an **auxiliary task** (Ruder 2017, §6): a related
# task trained alongside only to help the main one. Its labels are a *hint* (Abu-Mostafa, 1990) that
# points the shared features at what separates the families. Is it the *relation* that helps? Replace
# the real families by a **random regrouping** of the 12 classes into 4 groups of 3: still a function
# of the fine label, but one that shares no visual structure with it. The shared backbone must now also
# separate arbitrary groups. When a second task makes the first one worse, that is **negative
# transfer**.

# %%
import dataclasses

generator = torch.Generator().manual_seed(SEED + 7)
random_groups = torch.randperm(tasks["fine"], generator=generator) % tasks["coarse"]  # 4 groups of 3


def regrouped(ds):
    """The same images with the coarse task replaced by the random regrouping of the classes."""
    names = {**ds.class_names, "coarse": [f"group {g}" for g in range(tasks["coarse"])]}
    coarse = random_groups[ds.labels["fine"]]
    return dataclasses.replace(
        ds, labels={**ds.labels, "coarse": coarse}, coarse_of_fine=random_groups, class_names=names
    )


torch.manual_seed(SEED)  # the same initial backbone weights as the three models above
random_mtl = HardSharing(create("tiny_cnn", width=WIDTH), tasks)
fit(
    random_mtl,
    regrouped(train),
    regrouped(val),
    TrainConfig(epochs=EPOCHS, batch_size=BATCH_SIZE, lr=LR, seed=SEED),
)
fine_acc = {
    "STL-fine": results["STL-fine"]["fine"]["acc"],
    "MTL + real families": results["MTL"]["fine"]["acc"],
    "MTL + random groups": evaluate(random_mtl, regrouped(test))["fine"]["acc"],
}
fig, ax = plt.subplots(figsize=(6, 3.2))
ax.bar(list(fine_acc), list(fine_acc.values()), color=["tab:blue", "tab:orange", "tab:red"])
ax.axhline(1 / tasks["fine"], ls=":", color="gray")
ax.set_ylabel("fine test accuracy")
ax.set_title("The fine task, alone and with two different second tasks (dotted: chance)")
plt.show()
for name, acc in fine_acc.items():
    print(f"{name:>20}: fine test accuracy {acc:.1%}")

# %% [markdown]
# Read the three bars against each other: the orange bar minus the blue one is what the real
# superclass did for the fine task, the red bar minus the blue one what an unrelated grouping did.
# One seed again; lesson 6 shows how to tell such gaps from noise, and lesson 5 measures how the two
# tasks' gradients agree or conflict during training.
#
# ## 7. The 2023 study, and the questions this course revisits
#
# The study (M. T. Nguyen & P. Chen, ECE 6524 final project, 2023,
# [github.com/mnguyen0226/multitask_learning_vit](https://github.com/mnguyen0226/multitask_learning_vit))
# trained a **ViT** and a **ResNet-152** on **CIFAR-10** (10 classes; superclasses *animal* /
# *vehicle*) and **CIFAR-100** (100 classes; 20 superclasses), each single-task (STL) or multi-task
# (MTL) with a *class* head and a *superclass* head on a shared backbone. Its research questions,
# verbatim from the author's post (`content/posts/multitask_learning/post.md` in
# `mnguyen0226/personal_site_v2` at commit `1f82955`; also in
# `mtlkit.capstone.study.RESEARCH_QUESTIONS`):
#
# - **RQ1** — "Is an MTL ViT model superior in performance to an MTL Convolution-based model
#   (ResNet-152)?"
# - **RQ2** — "Can an MTL ViT model achieve better results than two separate STL ViT models?"
# - **RQ3** — "Does an STL ViT model outperform an STL Convolution-based model (ResNet152) in terms
#   of accuracy?"
#
# RQ2 is the multi-task question of this lesson; RQ1 and RQ3 compare backbones (lesson 3). Four
# flaws make the study's answers unreliable, and the course fixes each one:
#
# 1. **Selection on the test set.** The study's report tables (its Figures 3–14) list 5–6
#    configurations per cell (batch size, dropout, Adam or SGD, loss weight), each trained once for
#    20 epochs, and the published number of each cell is the best **test** accuracy among them (e.g.
#    CIFAR-10 ViT single-task: 0.659, the best of six). A maximum of noisy numbers, chosen on the
#    split it is reported on, is biased upwards. Within a run, too, each number is the last epoch's
#    test accuracy. mtlkit selects the epoch on a validation split and touches the test split once
#    (`fit` + `evaluate`, lesson 6).
# 2. **One seed per configuration**, so a difference of a point or two cannot be told apart from
#    the luck of the initialisation and data order (lesson 6).
# 3. **Binary cross-entropy on a 20-way softmax** (the ViT multi-task notebooks use Keras's
#    `binary_crossentropy` for the superclass task, on CIFAR-100's 20-way head too): applied to the
#    softmax outputs $p = \operatorname{softmax}(z)$ and averaged over the $K$ outputs,
#    $-\frac1K\sum_k [y_k \log p_k + (1-y_k)\log(1-p_k)]$, it scores each output as an independent
#    yes/no question although the softmax makes them compete; 19 of every 20 targets are "no", and the
#    average over $K$ shrinks the task's gradient. The softmax cross-entropy of §1 is the loss for
#    one-of-$K$ labels (lesson 6, §5; lesson 5, §7 measures the implicit task weight). On a 2-way head
#    the averaged BCE on a softmax *equals* the softmax cross-entropy exactly ($p_2 = 1 - p_1$, so
#    both terms are $-\log p_y$), so the flaw matters only for CIFAR-100's 20-way head. And the study's
#    printed CIFAR-100 superclass accuracies (0.23–0.49) show it reported one-of-$K$ accuracy, not
#    Keras's binary accuracy (which would be near 0.95 even for a head that answers "no" everywhere).
# 4. **Unequal budgets.** Batch sizes differ between the configurations that won each cell (e.g.
#    CIFAR-10 ViT: 256 for single-task, 128 for multi-task), so the compared models took different
#    numbers of optimiser steps in their 20 epochs (lesson 6).
#
# Lesson 2 adds a fifth, subtler issue: a superclass that is a *function* of the class can be
# predicted from the class head alone, which changes what the superclass half of RQ2 should be
# compared against.

# %% [markdown]
# ## Self-check
#
# Try these before moving on; each cell checks itself.
#
# **Q1.** For CIFAR-100 (100 classes, 20 superclasses) with the tiny CNN at width 32, how many
# parameters does hard sharing save compared with two single-task networks? Use the formulas of §3,
# put the number in `my_answer`, then let mtlkit confirm.

# %%
my_answer = None  # your answer: the number of parameters saved

w = 32
two_stl = sum(
    count_parameters(SingleTask(create("tiny_cnn", width=w), t, k))["total"]
    for t, k in {"fine": 100, "coarse": 20}.items()
)
one_mtl = count_parameters(HardSharing(create("tiny_cnn", width=w), {"fine": 100, "coarse": 20}))["total"]
check.answer(
    my_answer,
    two_stl - one_mtl,
    "parameters saved by hard sharing",
    hint="two STL models hold two backbones and two heads; MTL one backbone and both heads",
)

# %% [markdown]
# **Q2.** In `HandHardSharing`, which parameters receive a gradient from the coarse loss alone?
# Check your answer: after `losses["coarse"].backward()`, the fine head's gradient should be
# missing while every backbone parameter has one.

# %%
model.zero_grad(set_to_none=True)
images, labels = next(iter(loader))
nn.functional.cross_entropy(model(images)["coarse"], labels["coarse"]).backward()
check.true(
    all(p.grad is None for p in model.heads["fine"].parameters()),
    "the fine head gets no gradient from the coarse loss",
)
check.true(all(p.grad is not None for p in model.backbone.parameters()), "every backbone parameter gets one")

# %% [markdown]
# **Q3.** Is the random regrouping's coarse label a function of the fine label, i.e. do all images of
# one class always get the same group? Answer `True` or `False` in `my_answer`.

# %%
my_answer = None  # your answer: True or False
is_function = all(
    len(set(regrouped(train).labels["coarse"][train.labels["fine"] == f].tolist())) <= 1
    for f in range(tasks["fine"])
)
check.answer(
    my_answer, is_function, "the random grouping is a function of the fine label", hint="look at `regrouped`"
)

# %% [markdown]
# ## Summary
#
# - MTL minimises a weighted sum of task losses over shared and task-specific parameters; hard
#   sharing shares a whole backbone and adds one head per task.
# - The shared backbone receives the **sum of the task gradients**; heads see only their own task.
# - A task costs only its head: hard sharing serves two tasks for little more than the price of one.
# - Whether it also *improves accuracy* is an empirical question, and one seed on one split cannot
#   answer it.
# - Seen from the fine task, the superclass is an auxiliary task (a hint); a second task unrelated
#   to the first can make it worse (negative transfer). Both are measured, not assumed.
#
# **Practice:** exercise 1, [`01_hard_sharing/01_hard_sharing.ipynb`](../exercises/01_hard_sharing/01_hard_sharing.ipynb) (graded with nbgrader).
#
# **Next:** lesson 2 builds the CIFAR tasks and shows why "MTL helps the superclass" needs a
# careful baseline.
#
# *References:* R. Caruana, *Multitask Learning*, Machine Learning 28, 1997. J. Baxter, *A Model of
# Inductive Bias Learning*, JAIR 12, 2000. S. Ruder, *An Overview of Multi-Task Learning in Deep
# Neural Networks*, arXiv:1706.05098, 2017. Y. S. Abu-Mostafa, *Learning from Hints in Neural
# Networks*, Journal of Complexity 6, 1990.
