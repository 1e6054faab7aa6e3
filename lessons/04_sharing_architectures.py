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
# # Lesson 4 — How much to share: hard, soft and cross-stitch networks
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/mtlkit/mtlkit/blob/main/lessons/04_sharing_architectures.ipynb)
#
# **Learning goals.** After this lesson you can
#
# - place hard sharing, soft sharing and cross-stitch networks on one *sharing spectrum* and write down what each one optimises;
# - implement the soft-sharing penalty and a cross-stitch unit by hand and check them against `mtlkit.models`;
# - put cross-stitch units into a ResNet and a ViT, and count what they cost;
# - train the architectures, a cross-stitch ResNet-18 and ViT among them, on `shapes` and read the **learned alphas**: how much does each depth choose to share?
# - say what MTAN and encoder- vs decoder-focused architectures add.
#
# **Estimated time:** 50 minutes of reading, running and self-checks. Computing takes under a minute with `QUICK = True` (first code cell); the full run's time on a CPU is in the settings cell.
#
# Lessons 1–3 shared a *whole* backbone (hard sharing). That is one end of a spectrum: at the other
# end are independent single-task networks. This lesson walks the range in between and lets a
# network *learn* where on it to sit.
#
# *Quick run:* `QUICK = True` in the first code cell (or the environment variable `MTLKIT_SMOKE=1`)
# runs everything on tiny data in seconds; the numbers are then meaningless, the code path is the same.

# %% tags=["parameters"]
# Settings: edit a value, then run the notebook again. QUICK = True runs every cell on tiny data in
# seconds (the numbers then mean little); it is on when the environment sets MTLKIT_SMOKE=1.
# Full run (QUICK = False) on 2 CPU cores: about 6 min (358 s, idle; lessons/README.md).
# On one H200 GPU: 31 s (lessons/README.md); Colab's T4 is not measured yet.
import importlib.util
import os
import subprocess
import sys

QUICK = os.environ.get("MTLKIT_SMOKE") == "1"
SEED = 0
TRAIN_SIZE = 320 if QUICK else 4000  # images in the shapes pool (90% train, 10% validation)
EPOCHS = 1 if QUICK else 8
BATCH_SIZE = 64 if QUICK else 128
LR = 2e-3
# The convolutional backbone of the STL / hard / soft / cross-stitch comparison: a tiny CNN on a CPU;
# "resnet18" (the study's family) if you have a GPU and a few minutes.
CONV = "tiny_cnn"
WIDTH = 8 if QUICK else 16  # the tiny CNN's width (other backbones ignore it)
# The small ViT: 8x8 patches (16 tokens) and a convolutional stem (Xiao et al. 2021). With 4x4 patches
# and the plain patch projection it stayed at chance here (7.9% fine, 24.6% coarse; lessons/README.md).
VIT_KWARGS = {
    "embed_dim": 32 if QUICK else 64,
    "depth": 2 if QUICK else 4,
    "num_heads": 2,
    "patch_size": 8,
    "conv_stem": True,
    "drop_path_rate": 0.0,
}
# A cross-stitch ResNet-18 (two columns: 22 M parameters) with the ImageNet stem (15x fewer FLOPs per
# image than the CIFAR stem, lesson 3), trained on its own budget of epochs.
RESNET_KWARGS = {"stem": "imagenet"}
RESNET_TRAIN_SIZE = 200 if QUICK else TRAIN_SIZE  # training images (val and test capped at as many)
RESNET_EPOCHS = 1 if QUICK else 6
COUPLING = 1e-3  # soft sharing: strength of the L2 pull between the columns
# The alphas' learning rate is ALPHA_LR_MULT x LR. fit() uses AdamW, which rescales its steps, so 10
# suits it; the paper's SGD needed 10^2-10^3.
ALPHA_LR_MULT = 10.0

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
from matplotlib.ticker import MaxNLocator
from torch import nn

from mtlkit import check
from mtlkit.backbones import create
from mtlkit.data import load
from mtlkit.models import CrossStitch, CrossStitchUnit, HardSharing, SingleTask, SoftSharing, count_parameters
from mtlkit.train import TrainConfig, evaluate, fit

torch.manual_seed(SEED)
train = load("shapes", "train", size=TRAIN_SIZE)
val = load("shapes", "val", size=TRAIN_SIZE)
test = load("shapes", "test", size=TRAIN_SIZE)
tasks = dict(train.tasks)
CONV_KWARGS = {"width": WIDTH} if CONV == "tiny_cnn" else {}
print(train, val, test, sep="\n")
print("tasks:", tasks, "| quick run:", QUICK)


# %% [markdown]
# ## 1. The sharing spectrum
#
# Write $\theta_t$ for the parameters of task $t$'s network. Three ways of tying them together:
#
# | architecture | what is shared | objective |
# |---|---|---|
# | **single-task** | nothing | $\sum_t \mathcal{L}_t(\theta_t)$, each minimised alone |
# | **hard sharing** (Caruana 1997) | the whole backbone, $\theta_t = (\theta_\text{sh}, \phi_t)$ | $\sum_t \lambda_t \mathcal{L}_t(\theta_\text{sh}, \phi_t)$ |
# | **soft sharing** (Duong et al. 2015) | nothing in the forward pass; the backbones are *pulled together* | $\sum_t \mathcal{L}_t(\theta_t) + c \sum_{a<b} \lVert\theta_a - \theta_b\rVert^2$ |
# | **cross-stitch** (Misra et al. 2016) | activations, mixed by learned $\alpha$ after every stage | $\sum_t \mathcal{L}_t(\theta_t, \alpha)$ |
#
# Soft sharing interpolates with one number: the coupling $c = 0$ gives independent networks, and as
# $c \to \infty$ the backbones are forced to be equal: hard sharing, except that the common
# backbone then moves by the *mean* of the tasks' gradients where hard sharing's moves by their
# sum (and plain SGD overshoots and diverges once $c > 1/(T\,\eta)$ for $T$ tasks and learning
# rate $\eta$: the penalty's own step becomes too large). Cross-stitch
# networks interpolate **per depth and per channel**, and learn the interpolation from data.
#
# ## 2. Soft sharing, by hand
#
# mtlkit's `SoftSharing` builds one backbone per task and exposes the penalty as `regularizer()`,
# which the trainer adds to the loss. Every column starts as a copy of the first
# (`same_init=True`), so the penalty starts at zero and grows only as the tasks pull the columns
# apart. Let us recompute it from the formula.


# %%
def make_conv():
    return create(CONV, **CONV_KWARGS)


soft = SoftSharing(make_conv, tasks, coupling=COUPLING)
check.close(soft.regularizer(), 0.0, atol=0.0, what="identical columns: the penalty starts at 0")

with torch.no_grad():  # move the fine column away from the coarse one
    for p in soft.backbones["fine"].parameters():
        p.add_(0.01 * torch.randn_like(p))


def soft_penalty(model, coupling):
    """coupling * sum over task pairs and backbone tensors of ||theta_a - theta_b||^2."""
    columns = [list(b.parameters()) for b in model.backbones.values()]
    total = 0.0
    for a in range(len(columns)):
        for b in range(a + 1, len(columns)):
            total += sum(((pa - pb) ** 2).sum() for pa, pb in zip(columns[a], columns[b], strict=True))
    return coupling * total


check.close(
    soft_penalty(soft, COUPLING),
    soft.regularizer(),
    atol=1e-9,
    rtol=1e-5,
    what="hand-computed penalty = SoftSharing.regularizer()",
)


# %% [markdown]
# ## 3. A cross-stitch unit, by hand
#
# Two task columns run side by side. After stage $\ell$ they produce activations $x_A, x_B$ of the
# same shape; a cross-stitch unit replaces them by linear combinations, **per channel** $c$:
#
# $$\begin{pmatrix} \tilde x_A^{c} \\ \tilde x_B^{c} \end{pmatrix} =
# \begin{pmatrix} \alpha_{AA}^{c} & \alpha_{AB}^{c} \\ \alpha_{BA}^{c} & \alpha_{BB}^{c} \end{pmatrix}
# \begin{pmatrix} x_A^{c} \\ x_B^{c} \end{pmatrix}.$$
#
# $\alpha = I$ gives two independent networks. Both columns get the **same** input at the next stage
# when the two **rows** of $\alpha$ are equal, $\alpha_{AA} = \alpha_{BA}$ and $\alpha_{AB} = \alpha_{BB}$
# (then $\tilde x_A = \tilde x_B$): the unit has collapsed into hard sharing at that stage. The paper
# initialises $\alpha_{\text{self}} = 0.9$, $\alpha_{\text{other}} = 0.1$ and gives the alphas a much
# larger learning rate than the network. A conv map is $[B, C, H, W]$ (channels at dim 1); ViT
# tokens are $[B, N, D]$ (the "channel" is the embedding dimension, the last axis): one function
# handles both.


# %%
def cross_stitch(xs, alpha):
    """x'_i = sum_j alpha[i, j, c] * x_j, per channel c (dim 1 of [B,C,H,W], last dim of [B,N,D])."""
    outputs = []
    for i in range(len(xs)):
        mixed = 0
        for j, x in enumerate(xs):
            a = alpha[i, j].view(1, -1, 1, 1) if x.ndim == 4 else alpha[i, j]
            mixed = mixed + a * x
        outputs.append(mixed)
    return outputs


for shape in [(4, 6, 5, 5), (4, 9, 6)]:  # a conv map with 6 channels; 9 tokens of dimension 6
    unit = CrossStitchUnit(num_tasks=2, channels=6)
    with torch.no_grad():
        unit.alpha.copy_(torch.randn(2, 2, 6))  # any alphas, not just the initial ones
    xs = [torch.randn(shape), torch.randn(shape)]
    for task, (ours, theirs) in enumerate(zip(cross_stitch(xs, unit.alpha), unit(xs), strict=True)):
        check.close(
            ours,
            theirs,
            atol=1e-6,
            what=f"hand-built unit = CrossStitchUnit on {len(shape)}-d input, column {task}",
        )

init = CrossStitchUnit(num_tasks=2, channels=3).alpha
print("initial alpha[:, :, channel 0]:\n", init[:, :, 0].detach())
check.close(init.sum(dim=1), torch.ones(2, 3), what="each row of the initial alphas sums to 1")

# %% [markdown]
# With $\alpha = I$ the columns must behave exactly like two separate single-task networks. We check
# it on the full model: the fine output of a cross-stitch network with identity units equals what
# its fine column computes on its own (stages, pooling, head), ignoring the coarse column entirely.

# %%
stitched = CrossStitch(make_conv, tasks).eval()
for unit in stitched.units:
    unit.set_identity()
x = torch.randn(4, 3, 32, 32)
column = stitched.columns["fine"]
with torch.no_grad():
    alone = stitched.heads["fine"](stitched.trunks["fine"](column(x)))
    check.close(
        stitched(x)["fine"], alone, atol=1e-5, what="alpha = I: the fine column ignores the coarse one"
    )


# %% [markdown]
# ## 4. Cross-stitch in a ResNet and in a ViT
#
# mtlkit cuts every backbone into `stages` (design.md): for a ResNet the stem and the four residual
# stages, for a ViT the patch embedding and each transformer block. `CrossStitch` puts one unit
# after every stage. The study's two backbone families therefore get units at very different
# places: 5 for ResNet-18 (after the stem and after each of the four residual stages; with the CIFAR
# stem the stem and layer1 both work at 32×32, so 5 units over 4 resolutions), $1 + \text{depth}$ for
# a ViT (after the patch embedding and after each block). A unit
# has $T^2 C$ parameters — tiny next to the columns. What costs is the *columns*: a cross-stitch
# network is as large as $T$ single-task networks.


# %%
def describe_units(model):
    return [tuple(a.shape) for a in model.alphas()]


counts = {}
for name, kwargs in ({"tiny_cnn": {}, "resnet18": {}, "vit_tiny": {}} | {CONV: CONV_KWARGS}).items():

    def make(name=name, kwargs=kwargs):
        return create(name, **kwargs)

    cs = CrossStitch(make, tasks)
    alpha_formula = sum(len(tasks) ** 2 * d for d in make().stage_dims)
    check.equal(count_parameters(cs)["shared"], alpha_formula, f"{name}: alphas = T^2 * sum of stage widths")
    counts[name] = {
        "hard": count_parameters(HardSharing(make(), tasks))["total"],
        "soft": count_parameters(SoftSharing(make, tasks))["total"],
        "cross-stitch": count_parameters(cs)["total"],
        "alphas": alpha_formula,
    }
    print(f"{name:>9}: {len(cs.units)} units, alpha shapes {describe_units(cs)}")
    del cs

fig, ax = plt.subplots(figsize=(8, 3.5))
kinds = ["hard", "soft", "cross-stitch", "alphas"]
for k, kind in enumerate(kinds):
    ax.bar([i * 5 + k for i in range(len(counts))], [c[kind] for c in counts.values()], label=kind)
ax.set_xticks([i * 5 + 1.5 for i in range(len(counts))], list(counts))
ax.set_yscale("log")
ax.set_ylabel("parameters (log scale)")
ax.set_title("What sharing costs, for two tasks")
ax.legend()
plt.show()
for name, c in counts.items():
    print(
        f"{name:>9}: cross-stitch / hard = {c['cross-stitch'] / c['hard']:.2f}x; the alphas are {c['alphas'] / c['cross-stitch']:.4%} of it"
    )


# %% [markdown]
# ## 5. Training the spectrum
#
# Now we train, with the same data, epochs and seed: two single-task networks, hard sharing, soft
# sharing, and cross-stitch networks on the convolutional backbone and on a small ViT (then, on its own
# budget, a cross-stitch ResNet-18). For the cross-stitch networks a callback of `fit` records the
# alphas after every epoch. Every model is selected on the validation split and tested once.


# %%
def make_vit():
    return create("vit_tiny", **VIT_KWARGS)


def alpha_recorder(model, log):
    """A fit callback that appends the model's alphas after every epoch (the initial ones first)."""
    log.append(model.alphas())
    return lambda record: log.append(model.alphas())


def train_and_test(model, callbacks=()):
    fit(
        model,
        train,
        val,
        TrainConfig(epochs=EPOCHS, batch_size=BATCH_SIZE, lr=LR, seed=SEED),
        callbacks=callbacks,
    )
    return evaluate(model, test)


builders = {
    "STL-fine": lambda: SingleTask(make_conv(), "fine", tasks["fine"]),
    "STL-coarse": lambda: SingleTask(make_conv(), "coarse", tasks["coarse"]),
    "hard": lambda: HardSharing(make_conv(), tasks),
    "soft": lambda: SoftSharing(make_conv, tasks, coupling=COUPLING),
    "cross-stitch CNN": lambda: CrossStitch(make_conv, tasks, alpha_lr_mult=ALPHA_LR_MULT),
    "cross-stitch ViT": lambda: CrossStitch(make_vit, tasks, alpha_lr_mult=ALPHA_LR_MULT),
}
models, results, alpha_logs = {}, {}, {}
for name, build_model in builders.items():
    torch.manual_seed(SEED)
    models[name] = build_model()
    callbacks = []
    if name.startswith("cross-stitch"):
        alpha_logs[name] = []
        callbacks.append(alpha_recorder(models[name], alpha_logs[name]))
    results[name] = train_and_test(models[name], callbacks)

print(f"{'model':>17} | {'fine':>6} | {'coarse':>6} | parameters")
for name, result in results.items():
    accs = [f"{result[t]['acc']:6.1%}" if t in result else "     -" for t in tasks]
    print(f"{name:>17} | {' | '.join(accs)} | {count_parameters(models[name])['total']:,}")


# %% [markdown]
# ### A cross-stitch ResNet-18
#
# The study's convolutional family is the ResNet, so we also stitch two ResNet-18 columns (22 M
# parameters together). That is far more compute per image than the tiny CNN, so this run uses the
# ImageNet stem, which shrinks a 32×32 image to 8×8 before the first stage (lesson 3: 15× fewer FLOPs
# than the CIFAR stem, at some cost in accuracy), and its own number of epochs, `RESNET_EPOCHS`. It
# trains on the same images and is tested on the same test split as the table above (in a quick run,
# on `RESNET_TRAIN_SIZE` images); its alphas join the others below. With the CIFAR stem, 1,500 images
# and 3 epochs, a budget that took as long on a CPU, it stayed at chance (9.3% fine, 27.5% coarse):
# its alphas would then describe a network that learned nothing.


# %%
def make_resnet():
    return create("resnet18", **RESNET_KWARGS)


small = [split.take(RESNET_TRAIN_SIZE) for split in (train, val, test)]  # stratified subsets
name = "cross-stitch ResNet-18"
torch.manual_seed(SEED)
models[name] = CrossStitch(make_resnet, tasks, alpha_lr_mult=ALPHA_LR_MULT)
alpha_logs[name] = []
fit(
    models[name],
    small[0],
    small[1],
    TrainConfig(epochs=RESNET_EPOCHS, batch_size=BATCH_SIZE, lr=LR, seed=SEED),
    callbacks=[alpha_recorder(models[name], alpha_logs[name])],
)
resnet_result = evaluate(models[name], small[2])
accs = ", ".join(f"{t} {resnet_result[t]['acc']:.1%}" for t in tasks)
print(
    f"{name} ({RESNET_KWARGS}; {len(small[0])} training images, {RESNET_EPOCHS} epoch(s)): "
    f"test {accs} on {len(small[2])} images; {count_parameters(models[name])['total']:,} parameters"
)
check.equal(len(alpha_logs[name]), RESNET_EPOCHS + 1, "alphas recorded at the start and after every epoch")


# %% [markdown]
# As in lesson 1, these are *single-seed* numbers on a small dataset: differences of a few points
# are within seed noise (lesson 6 measures it). The alphas, however, tell us something the
# accuracies cannot: **where** each network chose to share.
#
# ## 6. Reading the learned alphas
#
# For each unit we summarise the $[2, 2, C]$ alphas by two numbers, averaged over channels and
# both columns: the weight a column keeps on **itself** ($\alpha_{AA}, \alpha_{BB}$) and the weight
# it takes from the **other** task ($\alpha_{AB}, \alpha_{BA}$). A growing "other" weight means
# that depth wants to share; a shrinking one means the tasks prefer to keep their features apart.


# %%
def self_and_other(alpha):
    """Mean diagonal (self) and off-diagonal (other) alpha of one [T, T, C] unit."""
    eye = torch.eye(alpha.shape[0], dtype=torch.bool)
    return alpha[eye].mean().item(), alpha[~eye].mean().item()


STYLES = ["o-", "s--", "^-.", "d:"]
fig, axes = plt.subplots(1, 1 + len(alpha_logs), figsize=(4.6 * (1 + len(alpha_logs)), 3.6))
for k, (ax, (name, log)) in enumerate(zip(axes[1:], alpha_logs.items(), strict=True)):
    final = [self_and_other(a) for a in log[-1]]
    depth = range(1, len(final) + 1)
    style = STYLES[k % len(STYLES)]
    axes[0].plot(depth, [s for s, _ in final], style, label=f"{name}: self")
    axes[0].plot(depth, [o for _, o in final], style, alpha=0.5, label=f"{name}: other")
    for unit in range(len(final)):
        ax.plot(
            range(len(log)),
            [self_and_other(epoch_alphas[unit])[1] for epoch_alphas in log],
            "o-",
            label=f"unit {unit + 1}",
        )
    ax.axhline(self_and_other(log[0][0])[1], ls=":", color="gray")  # the initial 'other' alpha
    ax.set_xlabel("epoch (0 = initial)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("mean 'other' alpha")
    ax.set_title(name)
    ax.legend(fontsize=7)
axes[0].set_xlabel("unit (stage) depth")
axes[0].xaxis.set_major_locator(MaxNLocator(integer=True))
axes[0].set_ylabel("mean alpha after training")
axes[0].set_title("self vs other, by depth")
axes[0].legend(fontsize=7)
plt.tight_layout()
plt.show()

unit_moves, single_moves = [], []
for name, log in alpha_logs.items():
    moved = [self_and_other(a)[1] - self_and_other(a0)[1] for a, a0 in zip(log[-1], log[0], strict=True)]
    print(f"{name}: change of the mean 'other' alpha per unit:", [f"{m:+.3f}" for m in moved])
    unit_moves += [abs(m) for m in moved]
    single_moves += [float((a - a0).abs().max()) for a, a0 in zip(log[-1], log[0], strict=True)]
if max(unit_moves) < 0.05:
    print(
        f"On average the alphas have hardly moved from 0.9 / 0.1: no unit's mean 'other' alpha by more "
        f"than {max(unit_moves):.3f} (single channels by up to {max(single_moves):.3f})."
    )
else:
    print(
        f"A unit's mean 'other' alpha moved by up to {max(unit_moves):.3f}, a single channel's by up to "
        f"{max(single_moves):.3f}."
    )

# %%
# The per-channel picture of the last CNN unit: each channel chooses its own mix.
last = alpha_logs["cross-stitch CNN"][-1][-1]  # [T, T, C]
fig, ax = plt.subplots(figsize=(7, 3))
labels = list(tasks)
for i in range(2):
    for j in range(2):
        ax.hist(last[i, j].numpy(), bins=20, alpha=0.6, label=f"alpha[{labels[i]} <- {labels[j]}]")
ax.set_xlabel("alpha value")
ax.set_ylabel("channels")
ax.set_title("Last cross-stitch unit of the CNN: distribution over channels")
ax.legend(fontsize=8)
plt.show()


# %% [markdown]
# **How to read this.** A common hypothesis is that early features (edges, colours, textures) serve
# every task and should be shared, while later features become task-specific; Misra et al. read
# their learned alphas layer by layer to test exactly this kind of claim. The cell above printed how far
# the alphas moved in this run: alphas that barely move are why the paper gives them a much larger
# learning rate than the network (`ALPHA_LR_MULT`). Rerun with more epochs (full mode) or a larger
# multiplier and see whether your networks agree with the paper. Note also that the alphas
# are not scale-free: a column can compensate a small alpha with larger weights in the next stage,
# so compare their *pattern over depth*, not their absolute values.
#
# ## 7. Beyond cross-stitch: MTAN, encoder- and decoder-focused designs
#
# Vandenhende et al. (TPAMI 2021) sort multi-task architectures by **where** the tasks interact.
#
# - **Encoder-focused** designs share (some of) the feature extractor and give each task its own
#   decoder/head: hard sharing, soft sharing, cross-stitch, NDDR-CNN and **MTAN** (Liu, Johns &
#   Davison, CVPR 2019). MTAN keeps *one* shared network and gives each task a small attention
#   module per block that **selects** shared features. With $p^{(j)}$ the output of shared block $j$,
#   $u^{(j)}$ the block's features after its first convolution(s), and $\hat a_t^{(j-1)}$ the task's
#   attended features of the previous block,
#   $$a_t^{(j)} = h_t^{(j)}\Big(g_t^{(j)}\big([u^{(j)};\, f^{(j)}(\hat a_t^{(j-1)})]\big)\Big), \qquad
#   \hat a_t^{(j)} = a_t^{(j)} \odot p^{(j)}:$$
#   the mask is computed from $u^{(j)}$ and multiplies the block's output $p^{(j)}$. $g_t^{(j)}$ and
#   $h_t^{(j)}$ are 1×1 convolutions with batch norm, a ReLU after $g$ and a sigmoid after $h$ (so the
#   mask lies in $[0, 1]$); $f^{(j)}$ is a shared 3×3 convolution, with pooling to match the
#   resolution, that hands the attended features on. The first block has no previous attended
#   features: $a_t^{(1)} = h_t^{(1)}(g_t^{(1)}(u^{(1)}))$. Unlike cross-stitch, the cost per task is
#   a small module, not a whole column.
# - **Decoder-focused** designs (PAD-Net, MTI-Net, ...) first make an initial prediction for every
#   task and then let the tasks **refine each other's predictions** (task-to-task distillation).
#   For class/superclass this idea is almost free: the superclass can be *read off* the fine
#   prediction (the coarse-from-fine baseline of lessons 2 and 6: argmax class, then its superclass).
#
# Below, one MTAN attention step on the first residual stage (layer1) of a shared ResNet-18, as MTAN's
# ResNet version does it: $u$ is the output of layer1's first residual block, $p$ the stage's output,
# and as it is the first attended block there is no previous attended feature. The step keeps the
# shape, scales every value of $p$ by a factor in $[0, 1]$, and costs a fraction of the stage it
# attends to.


# %%
class TaskAttention(nn.Module):
    """MTAN's attention for a first block: mask = h(g(u)), g = ReLU(BN(1x1 conv)), h = sigmoid(BN(1x1 conv))."""

    def __init__(self, channels):
        super().__init__()
        self.g = nn.Sequential(nn.Conv2d(channels, channels, 1), nn.BatchNorm2d(channels), nn.ReLU())
        self.h = nn.Sequential(nn.Conv2d(channels, channels, 1), nn.BatchNorm2d(channels), nn.Sigmoid())

    def forward(self, u, p):
        return self.h(self.g(u)) * p  # the mask comes from u and selects features of p


backbone = create("resnet18").eval()  # one shared network (CIFAR stem)
layer1 = backbone.stages[1]
with torch.no_grad():
    u = layer1[0](backbone.stages[0](torch.randn(4, 3, 32, 32)))  # after layer1's first block
    p = layer1[1](u)  # the stage's output
attention = nn.ModuleDict({task: TaskAttention(p.shape[1]) for task in tasks})
attended = {task: module(u, p) for task, module in attention.items()}
for task, feature in attended.items():
    check.shape(feature, tuple(p.shape), f"{task}-attended features")
check.true(
    bool((attended["fine"].abs() <= p.abs() + 1e-6).all()),
    "the mask only scales features down (sigmoid in [0, 1])",
)
stage_params = sum(q.numel() for q in layer1.parameters())
attention_params = sum(q.numel() for q in attention["fine"].parameters())
print(f"layer1: {stage_params:,} parameters; one task's attention module: {attention_params:,}")

# %% [markdown]
# ## Self-check
#
# **Q1.** How many alpha parameters does a cross-stitch network over ResNet-18 have for **three**
# tasks? ResNet-18's stages have widths 64 (stem), 64, 128, 256, 512. Compute it, put it in
# `my_answer`, then let mtlkit confirm.

# %%
my_answer = None  # your answer: the number of alpha parameters
three = CrossStitch(lambda: create("resnet18"), {"fine": 10, "coarse": 2, "third": 5})
check.answer(
    my_answer,
    count_parameters(three)["shared"],
    "cross-stitch alphas for 3 tasks on ResNet-18",
    hint="T^2 alphas per channel, after every stage",
)
del three

# %% [markdown]
# **Q2.** In soft sharing, what penalty do two columns pay when they differ in exactly one weight, by
# $\delta = 0.5$, with coupling $c = 10^{-3}$? Put the number in `my_answer`; the cell measures it on a
# fresh model.

# %%
my_answer = None  # your answer: the penalty, a number
pair = SoftSharing(make_conv, tasks, coupling=1e-3)
with torch.no_grad():
    next(pair.backbones["coarse"].parameters()).view(-1)[0] += 0.5
check.answer(
    my_answer,
    pair.regularizer().item(),
    "soft-sharing penalty for one weight apart",
    atol=1e-9,
    hint="c times the squared difference",
)

# %% [markdown]
# **Q3.** Which alphas make a cross-stitch unit feed **both** columns the **same** input at the next
# stage? Put such alphas in `my_answer` (a $[2, 2, 6]$ tensor: `[to column, from column, channel]`) and
# check.

# %%
my_answer = None  # your answer: a [2, 2, 6] tensor of alphas
if check.filled(my_answer):
    check.shape(my_answer, (2, 2, 6), "your alphas")
    xs = [torch.randn(2, 6, 4, 4), torch.randn(2, 6, 4, 4)]
    a, b = cross_stitch(xs, my_answer)
    check.close(a, b, what="both columns see the same mixture")

# %% [markdown]
# ## Summary
#
# - Sharing is a spectrum: independent networks ← soft sharing (L2 pull) ← cross-stitch (learned
#   per-channel mixing) ← hard sharing (one backbone).
# - A cross-stitch unit is a per-channel $T \times T$ linear map between columns: $T^2 C$
#   parameters per stage, almost free — but the columns make the network $T$ times larger than hard
#   sharing.
# - The learned alphas show where a network wants to share; the paper gives them a much larger
#   learning rate than the network so that they move at all.
# - MTAN shares one network and lets each task *select* features with cheap attention masks;
#   decoder-focused designs let tasks refine each other's predictions.
#
# **Practice:** exercise 4, [`04_cross_stitch/04_cross_stitch.ipynb`](../exercises/04_cross_stitch/04_cross_stitch.ipynb) (graded with nbgrader).
#
# **Next:** lesson 5 asks the other half of the question: given the architecture, how much should
# each task's loss count?
#
# *References:* R. Caruana, *Multitask Learning*, 1997. L. Duong et al., *Low Resource Dependency
# Parsing: Cross-lingual Parameter Sharing in a Neural Network Parser*, ACL 2015. I. Misra et al.,
# *Cross-stitch Networks for Multi-task Learning*, CVPR 2016. S. Liu, E. Johns, A. Davison,
# *End-to-End Multi-Task Learning with Attention*, CVPR 2019. S. Vandenhende et al., *Multi-Task
# Learning for Dense Prediction Tasks: A Survey*, TPAMI 2021.
