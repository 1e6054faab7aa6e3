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
# # Lesson 3 — Backbones: a ViT by hand, and ResNet-152
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/mtlkit/mtlkit/blob/main/lessons/03_backbones.ipynb)
#
# **Learning goals.** After this lesson you can
#
# - build a Vision Transformer from its pieces — patches, position embeddings, multi-head self-attention, pre-norm blocks — and prove it equals mtlkit's timm-based ViT by copying weights and comparing outputs;
# - explain a residual block and a bottleneck block, and check a hand-built bottleneck against ResNet-152's;
# - trace a 32×32 image through ResNet-152 with the ImageNet stem and the CIFAR stem, and show that shrinking it to 1×1 leaves over a quarter of the last stage's weights unable to act;
# - count parameters and FLOPs, by formula and with `mtlkit.backbones.count_flops`.
#
# **Estimated time:** 60 minutes of reading, running and self-checks. Computing takes under a minute with `QUICK = True` (first code cell); the full run's time on a CPU is in the settings cell.
#

# %% tags=["parameters"]
# Settings: edit a value, then run the notebook again. QUICK = True runs every cell on tiny data in
# seconds (the numbers then mean little); it is on when the environment sets MTLKIT_SMOKE=1.
# Full run (QUICK = False) on 2 CPU cores: about 2 min (133 s, idle; lessons/README.md).
# On one H200 GPU: 14 s (lessons/README.md); Colab's T4 is not measured yet.
import importlib.util
import os
import subprocess
import sys

QUICK = os.environ.get("MTLKIT_SMOKE") == "1"
SEED = 0
EMBED_DIM = 48 if QUICK else 192  # 192 and 12 blocks: exactly mtlkit's vit_tiny
DEPTH = 2 if QUICK else 12
HEADS = 3
PATCH = 4
STEM_TRAIN_SIZE = 60 if QUICK else 1200  # shapes images for the stem experiment
STEM_EPOCHS = 1 if QUICK else 3
BATCH_SIZE = 32 if QUICK else 128

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
import torch
import torch.nn.functional as F
from torch import nn

from mtlkit import check
from mtlkit.backbones import count_flops, create
from mtlkit.data import load

torch.manual_seed(SEED)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
images = load("shapes", "test", size=240).images[:8]
x = (images.float() / 255 - 0.5) / 0.25  # roughly normalised, [8, 3, 32, 32]
print("device:", device, "| input", tuple(x.shape))


# %% [markdown]
# # Part A — A Vision Transformer, by hand
#
# A ViT (Dosovitskiy et al., 2021) reads an image as a **sequence of patches**. With $N$ patches
# $x_p^i \in \mathbb{R}^{3P^2}$, a patch projection $E$, position embeddings $E_\text{pos}$ and $L$
# blocks:
#
# $$z_0 = [x_p^1 E;\, x_p^2 E;\, \dots;\, x_p^N E] + E_\text{pos}$$
# $$z'_\ell = z_{\ell-1} + \operatorname{MSA}(\operatorname{LN}(z_{\ell-1})), \qquad
#   z_\ell = z'_\ell + \operatorname{MLP}(\operatorname{LN}(z'_\ell)), \qquad \ell = 1..L$$
# $$y = \frac{1}{N}\sum_{i=1}^{N} \operatorname{LN}(z_L)_i .$$
#
# The original ViT prepends a learned *class token* and reads $y$ from it; mtlkit's ViTs average the
# patch tokens instead (global average pooling). Beyer et al. (2022) found that global average
# pooling instead of a class token helps plain ViTs trained on ImageNet-1k (224×224 images); we use
# it on 32×32 images too. We build every piece and check it against the library as we go. All the
# comparisons run on the CPU in float32, so they are exact up to rounding.
#
# ## A1. Patches
#
# A 32×32 image with $P = 4$ gives an $8 \times 8$ grid of $N = 64$ patches, each flattened to
# $3 \cdot 4 \cdot 4 = 48$ numbers (channel-major, then rows, then columns).


# %%
def patchify(x, p):
    """[B, C, H, W] -> [B, N, C*p*p]: non-overlapping p x p patches, row by row."""
    b, c, h, w = x.shape
    patches = x.unfold(2, p, p).unfold(3, p, p)  # [B, C, H/p, W/p, p, p]
    return patches.permute(0, 2, 3, 1, 4, 5).reshape(b, (h // p) * (w // p), c * p * p)


patches = patchify(x, PATCH)
check.shape(patches, (8, (32 // PATCH) ** 2, 3 * PATCH * PATCH), "patches")

n_side = 32 // PATCH
fig = plt.figure(figsize=(8, 4))
ax = fig.add_subplot(1, 2, 1)
ax.imshow(images[0].permute(1, 2, 0).numpy())
ax.set_title("image")
ax.axis("off")
raw = patchify(images[:1].float(), PATCH)[0]  # the same patches, in pixel units
for i in range(n_side * n_side):
    ax = fig.add_subplot(n_side, 2 * n_side, (i // n_side) * 2 * n_side + n_side + i % n_side + 1)
    ax.imshow(raw[i].reshape(3, PATCH, PATCH).permute(1, 2, 0).numpy().astype("uint8"))
    ax.axis("off")
fig.suptitle(f"{n_side * n_side} patches of {PATCH}x{PATCH} pixels: the ViT's tokens")
plt.show()


# %% [markdown]
# ## A2. Patch embedding and position
#
# Each patch is projected linearly to $D$ dimensions: $x_p^i E$ with $E \in \mathbb{R}^{3P^2 \times D}$
# (plus a bias). A convolution with kernel size and stride $P$ computes exactly the same thing —
# that is how timm implements it. We add a learned position embedding $E_\text{pos} \in
# \mathbb{R}^{N \times D}$: without it, attention is blind to where a patch is (it treats the tokens
# as a set).


# %%
class PatchEmbedding(nn.Module):
    """[B, 3, H, W] -> [B, N, D]: linear projection of the flattened patches + position embedding."""

    def __init__(self, embed_dim, patch=PATCH, image=32):
        super().__init__()
        self.patch = patch
        self.proj = nn.Linear(3 * patch * patch, embed_dim)
        self.pos = nn.Parameter(torch.randn(1, (image // patch) ** 2, embed_dim) * 0.02)

    def forward(self, x):
        return self.proj(patchify(x, self.patch)) + self.pos


embed = PatchEmbedding(EMBED_DIM)
conv = nn.Conv2d(3, EMBED_DIM, kernel_size=PATCH, stride=PATCH)
with torch.no_grad():  # give the convolution our linear layer's weights
    conv.weight.copy_(embed.proj.weight.reshape(EMBED_DIM, 3, PATCH, PATCH))
    conv.bias.copy_(embed.proj.bias)
    by_conv = conv(x).flatten(2).transpose(1, 2)  # [B, D, 8, 8] -> [B, 64, D]
    by_linear = embed.proj(patchify(x, PATCH))
check.close(by_linear, by_conv, atol=1e-5, what="linear on patches = stride-P convolution")


# %% [markdown]
# ## A3. Multi-head self-attention
#
# Every token $i$ forms a query $q_i$, a key $k_i$ and a value $v_i$ (one linear layer computes all
# three). Token $i$'s output is an average of all values, weighted by how well its query matches
# each key:
#
# $$\operatorname{Attention}(Q, K, V) = \operatorname{softmax}\!\Big(\frac{QK^\top}{\sqrt{d_h}}\Big)V .$$
#
# The $\sqrt{d_h}$ keeps the dot products at unit scale, so the softmax does not saturate. With $h$
# heads, $D$ is split into $h$ slices of $d_h = D/h$; each head attends on its own, and a final
# linear layer mixes the concatenated heads. First the formula, checked against PyTorch's fused
# kernel:


# %%
def attention(q, k, v):
    """softmax(q k^T / sqrt(d)) v, for tensors [..., N, d]."""
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    return scores.softmax(dim=-1) @ v


q, k, v = torch.randn(3, 2, HEADS, 64, EMBED_DIM // HEADS).unbind(0)
check.close(
    attention(q, k, v),
    F.scaled_dot_product_attention(q, k, v),
    atol=1e-5,
    what="hand-built attention matches torch's scaled_dot_product_attention",
)


class MultiHeadAttention(nn.Module):
    """[B, N, D] -> [B, N, D]: h heads of scaled dot-product attention, then an output projection."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, z):
        b, n, d = z.shape
        qkv = self.qkv(z).reshape(b, n, 3, self.heads, d // self.heads)  # split q/k/v, then heads
        q, k, v = qkv.permute(2, 0, 3, 1, 4)  # each [B, heads, N, d_h]
        out = attention(q, k, v)  # [B, heads, N, d_h]
        return self.proj(out.transpose(1, 2).reshape(b, n, d))  # concatenate heads, mix them


mha = MultiHeadAttention(EMBED_DIM, HEADS)
z = torch.randn(2, 64, EMBED_DIM)
check.shape(mha(z), (2, 64, EMBED_DIM), "multi-head attention output")


# %% [markdown]
# ## A4. Blocks and the whole ViT
#
# A block is attention and an MLP ($D \to 4D \to D$ with a GELU), each wrapped in a **pre-norm
# residual**: $z + f(\operatorname{LN}(z))$. The residual path lets the signal and its gradient pass
# through deep stacks unchanged; LayerNorm (here with $\epsilon = 10^{-6}$, timm's choice)
# normalises each token over its $D$ features.


# %%
class Block(nn.Module):
    """Pre-norm transformer block: z + MSA(LN(z)), then z + MLP(LN(z))."""

    def __init__(self, dim, heads, mlp_ratio=4.0):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = MultiHeadAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, z):
        z = z + self.attn(self.norm1(z))
        return z + self.mlp(self.norm2(z))


class HandViT(nn.Module):
    """Patch embedding -> `depth` blocks -> LayerNorm -> mean over tokens: [B, 3, 32, 32] -> [B, D]."""

    def __init__(self, embed_dim, depth, num_heads, patch=PATCH):
        super().__init__()
        self.embed = PatchEmbedding(embed_dim, patch)
        self.blocks = nn.ModuleList(Block(embed_dim, num_heads) for _ in range(depth))
        self.norm = nn.LayerNorm(embed_dim, eps=1e-6)
        self.num_features = embed_dim

    def forward(self, x):
        z = self.embed(x)
        for block in self.blocks:
            z = block(z)
        return self.norm(z).mean(dim=1)


hand_vit = HandViT(EMBED_DIM, DEPTH, HEADS)
check.shape(hand_vit(x), (8, EMBED_DIM), "hand-built ViT features")


# %% [markdown]
# ## A5. Is it really the same network as mtlkit's?
#
# `create("vit_tiny", ...)` builds timm's `VisionTransformer` and cuts it into stages
# (`stages[0]` = patch embedding + position, `stages[1:]` = the blocks; `pool` = final norm + mean).
# We copy its weights into our model — the only non-trivial step is reshaping the convolution's
# kernel into our linear layer — and compare the outputs of every stage and of the whole network.
# Stochastic depth is switched off (`drop_path_rate=0`), and both models are in eval mode.


# %%
def copy_vit_weights(lib, hand):
    """Copy mtlkit's (timm's) ViT weights into HandViT, name by name."""
    embed = lib.stages[0]
    with torch.no_grad():
        hand.embed.proj.weight.copy_(embed.patch_embed.proj.weight.flatten(1))  # [D, 3, P, P] -> [D, 3P^2]
        hand.embed.proj.bias.copy_(embed.patch_embed.proj.bias)
        hand.embed.pos.copy_(embed.pos_embed)
        for ours, theirs in zip(hand.blocks, lib.stages[1:], strict=True):
            pairs = [
                (ours.norm1, theirs.norm1),
                (ours.attn.qkv, theirs.attn.qkv),
                (ours.attn.proj, theirs.attn.proj),
                (ours.norm2, theirs.norm2),
                (ours.mlp[0], theirs.mlp.fc1),
                (ours.mlp[2], theirs.mlp.fc2),
            ]
            for a, b in pairs:
                a.weight.copy_(b.weight)
                a.bias.copy_(b.bias)
        hand.norm.weight.copy_(lib.pool.norm.weight)
        hand.norm.bias.copy_(lib.pool.norm.bias)


lib_vit = create(
    "vit_tiny", embed_dim=EMBED_DIM, depth=DEPTH, num_heads=HEADS, patch_size=PATCH, drop_path_rate=0.0
)
n_lib, n_hand = (sum(p.numel() for p in m.parameters()) for m in (lib_vit, hand_vit))
check.equal(n_hand, n_lib, f"same number of parameters ({n_lib:,})")

copy_vit_weights(lib_vit, hand_vit)
hand_vit.eval()
lib_vit.eval()
with torch.no_grad():
    ours, theirs = hand_vit.embed(x), lib_vit.stages[0](x)
    check.close(ours, theirs, atol=1e-5, what="stage 0: patch embedding + position")
    for i, (block, stage) in enumerate(zip(hand_vit.blocks, lib_vit.stages[1:], strict=True), start=1):
        ours, theirs = block(ours), stage(theirs)
        check.close(ours, theirs, atol=1e-5, what=f"stage {i}: transformer block")
    check.close(
        hand_vit(x), lib_vit(x), atol=1e-5, what="hand-built ViT matches mtlkit's vit_tiny (features)"
    )

# %% [markdown]
# ### Parameters and FLOPs of a ViT, by formula
#
# A block holds $4D^2$ attention weights ($W_{qkv}$ and $W_\text{proj}$) and $8D^2$ MLP weights,
# plus $13D$ biases and LayerNorm parameters: $12D^2 + 13D$. A matrix product of an $N \times a$ and
# an $a \times b$ matrix costs $2Nab$ FLOPs (a multiply and an add), so a block costs
# $24ND^2$ FLOPs in its linear layers plus $4N^2D$ for $QK^\top$ and the weighted sum of $V$.

# %%
D, L, N = EMBED_DIM, DEPTH, (32 // PATCH) ** 2
params_formula = L * (12 * D * D + 13 * D) + (3 * PATCH * PATCH + 1) * D + N * D + 2 * D
flops_formula = L * (24 * N * D * D + 4 * N * N * D) + 2 * N * (3 * PATCH * PATCH) * D
check.equal(n_lib, params_formula, "ViT parameters = L(12D^2 + 13D) + embedding + position + final norm")
check.equal(count_flops(lib_vit), flops_formula, "ViT FLOPs = L(24ND^2 + 4N^2 D) + patch embedding")
print(
    f"D={D}, L={L}, N={N}: {params_formula:,} parameters, {flops_formula / 1e6:,.1f} MFLOPs per image; "
    f"attention's share of the FLOPs: {L * 4 * N * N * D / flops_formula:.1%}"
)


# %% [markdown]
# # Part B — Residual networks and ResNet-152
#
# A residual block learns a *correction* to its input: $y = \operatorname{ReLU}(x + F(x))$ (He et
# al., 2016). Its Jacobian is $I + \partial F / \partial x$: even if $F$'s gradient is tiny, the
# identity carries the signal back through 150 layers. ResNet-152 stacks **bottleneck** blocks —
# $1\times1$ conv to reduce the channels by 4, a $3\times3$ conv, a $1\times1$ conv to expand them
# again, each followed by batch norm — with a $1\times1$ *projection shortcut* when the shape
# changes. Stages of 3, 8, 36 and 3 blocks: $3 \cdot (3 + 8 + 36 + 3) = 150$ convolutions, plus
# the stem convolution and the final classifier, make 152 layers.


# %%
class Bottleneck(nn.Module):
    """relu(x + BN(1x1(relu(BN(3x3(relu(BN(1x1(x))))))))), with a projection when shapes differ."""

    def __init__(self, c_in, width, stride=1, expansion=4):
        super().__init__()
        c_out = width * expansion
        self.conv1, self.bn1 = nn.Conv2d(c_in, width, 1, bias=False), nn.BatchNorm2d(width)
        self.conv2, self.bn2 = (
            nn.Conv2d(width, width, 3, stride, padding=1, bias=False),
            nn.BatchNorm2d(width),
        )
        self.conv3, self.bn3 = nn.Conv2d(width, c_out, 1, bias=False), nn.BatchNorm2d(c_out)
        self.shortcut = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out)
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + self.shortcut(x))  # the residual connection


r152 = create("resnet152", stem="cifar")
theirs = r152.stages[2][0]  # layer2's first block: 256 -> 512 channels, stride 2, projection shortcut
ours = Bottleneck(256, 128, stride=2)
with torch.no_grad():
    theirs.train()(torch.randn(4, 256, 16, 16) * 2 + 1)  # non-trivial batch-norm statistics
ours.load_state_dict(dict(zip(ours.state_dict(), theirs.state_dict().values(), strict=True)))
ours.eval()
theirs.eval()
h = torch.randn(2, 256, 16, 16)
with torch.no_grad():
    check.close(ours(h), theirs(h), atol=1e-5, what="hand-built bottleneck matches ResNet-152's layer2[0]")

blocks = [len(stage) for stage in r152.stages[1:]]
check.equal(blocks, [3, 8, 36, 3], "bottleneck blocks per stage")
check.equal(1 + 3 * sum(blocks) + 1, 152, "stem conv + 3 convs per block + classifier = 152 layers")

# %% [markdown]
# ## B2. The stem: ImageNet vs CIFAR
#
# ResNet was designed for 224×224 ImageNet images. Its **ImageNet stem** — a 7×7 stride-2
# convolution and a 3×3 stride-2 max-pool — divides the resolution by 4 before the first block, and
# the stages divide it by 2 three more times: $224 \to 56 \to 7$. On a 32×32 CIFAR image the same
# network gives $32 \to 8 \to 1$: the last stage sees a **single position**. The 2023 study used
# this stem. The **CIFAR stem** is one 3×3 stride-1 convolution and no pooling: $32 \to 32 \to 4$.
# This four-stage ResNet with a 3×3 stem is a later adaptation, common in CIFAR code since about 2017
# (e.g. K. Liu's widely used *pytorch-cifar* repository), not the network of He et al. (2016, §4.2):
# their CIFAR ResNets have **three** stages of 16, 32 and 64 filters on 32×32, 16×16 and 8×8 maps
# ($6n + 2$ layers, e.g. ResNet-110).

# %%
r152_imagenet = create("resnet152", stem="imagenet")
stems = {"cifar": r152, "imagenet": r152_imagenet}
sides = {}
with torch.no_grad():
    for stem, net in stems.items():
        net.eval()
        h, sides[stem] = x[:2], []
        for stage in net.stages:
            h = stage(h)
            sides[stem].append(h.shape[-1])
        print(f"{stem:>8} stem: spatial side after stem, layer1..4 = {sides[stem]}")
check.equal(sides["imagenet"][-1], 1, "ImageNet stem: layer4 sees a 1x1 map")

names = ["stem", "layer1", "layer2", "layer3", "layer4"]
fig, ax = plt.subplots(figsize=(6, 3.2))
for stem, values in sides.items():
    ax.plot(names, values, marker="o", label=f"{stem} stem")
ax.set_yscale("log", base=2)
ax.set_ylabel("feature-map side (pixels)")
ax.set_title("ResNet-152 on a 32x32 image")
ax.legend()
plt.show()

# %% [markdown]
# **Why 1×1 hurts.** A 3×3 convolution on a 1×1 map (padded with zeros) only ever multiplies its
# *centre* weight by a real input: the other 8 of its 9 taps see padding. In layer4 of the ImageNet
# stem, blocks 2 and 3 run their 3×3 convolutions on 1×1 maps. If that is true, zeroing their
# outer taps must leave the network's output **exactly** unchanged — let us check, and count the
# parameters that can never matter. (Block 1's strided 3×3 sees a 2×2 map, so 5 of its 9 taps see
# only padding as well; we leave it out of the count.)

# %%
net = r152_imagenet
layer4 = net.stages[4]
with torch.no_grad():
    before = net(x[:4])
    dead = 0
    for block in list(layer4)[1:]:  # blocks after the first run on 1x1 maps
        weight = block.conv2.weight  # [C, C, 3, 3]
        centre = weight[:, :, 1, 1].clone()
        dead += weight.numel() - centre.numel()
        weight.zero_()
        weight[:, :, 1, 1] = centre
    after = net(x[:4])
check.close(after, before, atol=1e-5, what="zeroing the outer 3x3 taps of layer4's 1x1 convs changes nothing")
total = sum(p.numel() for p in net.parameters())
in_layer4 = sum(p.numel() for p in layer4.parameters())
print(f"{dead:,} of ResNet-152's {total:,} parameters ({dead / total:.1%}) can never affect a 32x32 input;")
print(
    f"layer4 holds {in_layer4:,} parameters ({in_layer4 / total:.0%}) and sees one position, no spatial layout;"
)
print(f"the dead taps are {dead / in_layer4:.1%} of layer4.")

# %% [markdown]
# Beyond the wasted weights, the early downsampling throws away detail before any feature is
# learned: a 7×7 stride-2 convolution and a max-pool on a 32×32 image keep an 8×8 map after only
# one layer. A small experiment with the cheaper ResNet-18 (same stems, same resolutions) on the
# `shapes` data (the cell prints how long each model trained):

# %%
from mtlkit.models import SingleTask
from mtlkit.train import TrainConfig, evaluate, fit

train, val, test = (load("shapes", s, size=STEM_TRAIN_SIZE) for s in ("train", "val", "test"))
stem_acc = {}
for stem in ("cifar", "imagenet"):
    torch.manual_seed(SEED)
    model = SingleTask(create("resnet18", stem=stem), "fine", train.tasks["fine"])
    recipe = TrainConfig(epochs=STEM_EPOCHS, batch_size=BATCH_SIZE, lr=2e-3, seed=SEED)
    history = fit(model, train, val, recipe)
    stem_acc[stem] = evaluate(model, test)["fine"]["acc"]
    seconds = sum(r["seconds"] for r in history.epochs)
    print(f"resnet18, {stem:>8} stem: test accuracy {stem_acc[stem]:.1%} ({seconds:.1f} s of training)")

fig, ax = plt.subplots(figsize=(4, 3))
ax.bar(list(stem_acc), list(stem_acc.values()), color=["tab:green", "tab:red"])
ax.axhline(1 / train.tasks["fine"], ls=":", color="gray", label="chance")
ax.set_ylabel("test accuracy (fine)")
ax.set_title(f"ResNet-18 on shapes, {STEM_EPOCHS} epoch(s)")
ax.legend()
plt.show()

# %% [markdown]
# The CIFAR stem costs far more compute (the early stages run at 32×32 instead of 8×8) — which
# is exactly why it keeps more information. One seed, a short run: treat the gap as a hint, not a
# result (lesson 6).
#
# # Part C — Parameters and FLOPs of the course's backbones
#
# `count_parameters` counts weights; `count_flops` runs one 32×32 image through the network under
# PyTorch's FLOP counter (a multiply-add counts 2).

# %%
specs = {
    "tiny_cnn": {},
    "resnet18 (cifar)": {"name": "resnet18"},
    "resnet152 (imagenet)": {"model": r152_imagenet},
    "resnet152 (cifar)": {"model": r152},
    "vit_tiny": {"name": "vit_tiny"},
    "vit_small": {"name": "vit_small"},
}
table = {}
for label, spec in specs.items():
    model = spec.get("model") or create(spec.get("name", label))
    table[label] = (sum(p.numel() for p in model.parameters()), count_flops(model))
print(f"{'backbone':<22}{'parameters':>14}{'GFLOPs / image':>16}")
for label, (params, flops) in table.items():
    print(f"{label:<22}{params:>14,}{flops / 1e9:>16.3f}")

fig, ax = plt.subplots(figsize=(6, 4))
for label, (params, flops) in table.items():
    ax.scatter(params, flops, s=40)
    ax.annotate(label, (params, flops), fontsize=8, xytext=(4, 4), textcoords="offset points")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("parameters")
ax.set_ylabel("FLOPs per 32x32 image")
ax.set_title("Size is not cost: the stem and the token count decide the FLOPs")
plt.show()
ratio = table["resnet152 (cifar)"][1] / table["resnet152 (imagenet)"][1]
print(f"ResNet-152: nearly the same parameter count, {ratio:.0f}x the FLOPs with the CIFAR stem.")
check.equal(
    table["resnet152 (cifar)"][0] - table["resnet152 (imagenet)"][0],
    3 * 64 * 9 - 3 * 64 * 49,
    "the stems differ only in the first conv (3x3 vs 7x7)",
)

# %% [markdown]
# ## Self-check
#
# **Q1.** Halving the patch size to $P = 2$ multiplies the number of tokens by 4. By how much does it
# multiply a ViT block's FLOPs at $D = 192$? Predict it with the formula of A5 (two decimals are
# enough), put it in `my_answer`, then measure.

# %%
my_answer = None  # your answer: the factor, a number

measured = [count_flops(create("vit_tiny", depth=1, patch_size=p)) for p in (4, 2)]
embed = [2 * n * 3 * p * p * 192 for n, p in ((64, 4), (256, 2))]  # subtract the patch embedding
ratio = (measured[1] - embed[1]) / (measured[0] - embed[0])
check.answer(
    my_answer,
    ratio,
    "patch 2 vs 4: block FLOPs ratio",
    atol=0.01,
    hint="N grows 4x: the 24ND^2 term grows 4x, the 4N^2D term 16x",
)

# %% [markdown]
# **Q2.** With the ImageNet stem, what feature-map side would layer4 see on a 64×64 image? Work it
# out ($64 \to$ stem $\to$ layer1 $\to \dots$), put it in `my_answer`, then check with ResNet-18
# (same stem and strides).

# %%
my_answer = None  # your answer: layer4's side in pixels

with torch.no_grad():
    side = create("resnet18", stem="imagenet").eval().forward_stages(torch.zeros(1, 3, 64, 64)).shape[-1]
check.answer(
    my_answer,
    side,
    "64x64 image, ImageNet stem: layer4's side",
    hint="the stem divides the side by 4, then three stages halve it",
)

# %% [markdown]
# ## Summary
#
# - A ViT is patches → linear embedding + position → $L$ pre-norm blocks of multi-head attention and
#   MLP → norm → pooling; our hand-built one equals mtlkit's (timm's) to $10^{-5}$, stage by stage.
# - Its cost is $L(24ND^2 + 4N^2D)$ FLOPs: the patch size, through $N$, matters as much as $D$.
# - ResNet-152 is 50 bottleneck blocks with identity (or projection) shortcuts. With the ImageNet
#   stem a 32×32 image shrinks to 1×1 in layer4: 8 of 9 taps of its last two 3×3 convolutions
#   never act (over a quarter of layer4's parameters, counted above);
#   the CIFAR stem keeps a 4×4 map, at many times the compute (Part C).
# - When you compare ViT and ResNet-152 (RQ1, RQ3), say which stem, how many parameters and how many
#   FLOPs: "ResNet-152" alone does not define the model.
#
# **Practice:** exercise 3, [`03_attention/03_attention.ipynb`](../exercises/03_attention/03_attention.ipynb) (graded with nbgrader).
#
# **Next:** lesson 4 — hard vs soft sharing and cross-stitch networks.
#
# *References:* A. Dosovitskiy et al., *An Image is Worth 16x16 Words*, ICLR 2021. K. He et al.,
# *Deep Residual Learning for Image Recognition*, CVPR 2016. L. Beyer, X. Zhai, A. Kolesnikov,
# *Better plain ViT baselines for ImageNet-1k*, arXiv:2205.01580, 2022.
