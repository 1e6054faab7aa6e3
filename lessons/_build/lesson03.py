"""Source of lessons/03_backbones.ipynb (run this file to rebuild the notebook).

The later sections are in lesson03_part2.py; this file lists the first ones and assembles them all.
"""

from __future__ import annotations

from lesson03_part2 import CELLS as PART2
from nbbuild import code, defaults, header, md, parameters, setup, write

FILE = "03_backbones.ipynb"

CELLS = [
    header(
        FILE,
        "Lesson 3 — Backbones: a ViT by hand, and ResNet-152",
        [
            "build a Vision Transformer from its pieces — patches, position embeddings, multi-head "
            "self-attention, pre-norm blocks — and prove it equals mtlkit's timm-based ViT by copying "
            "weights and comparing outputs;",
            "explain a residual block and a bottleneck block, and check a hand-built bottleneck against "
            "ResNet-152's;",
            "trace a 32×32 image through ResNet-152 with the ImageNet stem and the CIFAR stem, and show "
            "why shrinking it to 1×1 wastes most of the last stage;",
            "count parameters and FLOPs, by formula and with `mtlkit.backbones.count_flops`.",
        ],
        60,
    ),
    parameters(
        """
        # Parameters (papermill: -p NAME VALUE). None: the value for the mode, filled in by the next cell.
        import os

        SMOKE = os.environ.get("MTLKIT_SMOKE", "0") == "1"  # tiny models and data: a CPU run in seconds
        SEED = 0
        EMBED_DIM = None  # None: 192 in full mode, exactly mtlkit's vit_tiny (48 in smoke mode)
        DEPTH = None  # None: 12 in full mode, as vit_tiny (2 in smoke mode)
        HEADS = 3
        PATCH = 4
        STEM_TRAIN_SIZE = None  # shapes images for the stem experiment
        STEM_EPOCHS = None
        BATCH_SIZE = None
        """
    ),
    defaults(
        """
        EMBED_DIM = EMBED_DIM if EMBED_DIM is not None else (48 if SMOKE else 192)
        DEPTH = DEPTH if DEPTH is not None else (2 if SMOKE else 12)
        STEM_TRAIN_SIZE = STEM_TRAIN_SIZE if STEM_TRAIN_SIZE is not None else (120 if SMOKE else 1200)
        STEM_EPOCHS = STEM_EPOCHS if STEM_EPOCHS is not None else (1 if SMOKE else 3)
        BATCH_SIZE = BATCH_SIZE if BATCH_SIZE is not None else (32 if SMOKE else 128)
        print(
            f"smoke mode: {SMOKE}; EMBED_DIM={EMBED_DIM}, DEPTH={DEPTH}, STEM_TRAIN_SIZE={STEM_TRAIN_SIZE}, "
            f"STEM_EPOCHS={STEM_EPOCHS}, BATCH_SIZE={BATCH_SIZE}"
        )
        """
    ),
    setup(),
    code(
        """
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
        """
    ),
    md(
        r"""
        # Part A — A Vision Transformer, by hand

        A ViT (Dosovitskiy et al., 2021) reads an image as a **sequence of patches**. With $N$ patches
        $x_p^i \in \mathbb{R}^{3P^2}$, a patch projection $E$, position embeddings $E_\text{pos}$ and $L$
        blocks:

        $$z_0 = [x_p^1 E;\, x_p^2 E;\, \dots;\, x_p^N E] + E_\text{pos}$$
        $$z'_\ell = z_{\ell-1} + \operatorname{MSA}(\operatorname{LN}(z_{\ell-1})), \qquad
          z_\ell = z'_\ell + \operatorname{MLP}(\operatorname{LN}(z'_\ell)), \qquad \ell = 1..L$$
        $$y = \frac{1}{N}\sum_{i=1}^{N} \operatorname{LN}(z_L)_i .$$

        The original ViT prepends a learned *class token* and reads $y$ from it; mtlkit's ViTs average the
        patch tokens instead (global average pooling). Beyer et al. (2022) found that global average
        pooling instead of a class token helps plain ViTs trained on ImageNet-1k (224×224 images); we use
        it on 32×32 images too. We build every piece and check it against the library as we go. All the
        comparisons run on the CPU in float32, so they are exact up to rounding.

        ## A1. Patches

        A 32×32 image with $P = 4$ gives an $8 \times 8$ grid of $N = 64$ patches, each flattened to
        $3 \cdot 4 \cdot 4 = 48$ numbers (channel-major, then rows, then columns).
        """
    ),
    code(
        """
        def patchify(x, p):
            \"\"\"[B, C, H, W] -> [B, N, C*p*p]: non-overlapping p x p patches, row by row.\"\"\"
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
        """
    ),
    md(
        r"""
        ## A2. Patch embedding and position

        Each patch is projected linearly to $D$ dimensions: $x_p^i E$ with $E \in \mathbb{R}^{3P^2 \times D}$
        (plus a bias). A convolution with kernel size and stride $P$ computes exactly the same thing —
        that is how timm implements it. We add a learned position embedding $E_\text{pos} \in
        \mathbb{R}^{N \times D}$: without it, attention is blind to where a patch is (it treats the tokens
        as a set).
        """
    ),
    code(
        """
        class PatchEmbedding(nn.Module):
            \"\"\"[B, 3, H, W] -> [B, N, D]: linear projection of the flattened patches + position embedding.\"\"\"

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
        """
    ),
    md(
        r"""
        ## A3. Multi-head self-attention

        Every token $i$ forms a query $q_i$, a key $k_i$ and a value $v_i$ (one linear layer computes all
        three). Token $i$'s output is an average of all values, weighted by how well its query matches
        each key:

        $$\operatorname{Attention}(Q, K, V) = \operatorname{softmax}\!\Big(\frac{QK^\top}{\sqrt{d_h}}\Big)V .$$

        The $\sqrt{d_h}$ keeps the dot products at unit scale, so the softmax does not saturate. With $h$
        heads, $D$ is split into $h$ slices of $d_h = D/h$; each head attends on its own, and a final
        linear layer mixes the concatenated heads. First the formula, checked against PyTorch's fused
        kernel:
        """
    ),
    code(
        """
        def attention(q, k, v):
            \"\"\"softmax(q k^T / sqrt(d)) v, for tensors [..., N, d].\"\"\"
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
            \"\"\"[B, N, D] -> [B, N, D]: h heads of scaled dot-product attention, then an output projection.\"\"\"

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
        """
    ),
    md(
        r"""
        ## A4. Blocks and the whole ViT

        A block is attention and an MLP ($D \to 4D \to D$ with a GELU), each wrapped in a **pre-norm
        residual**: $z + f(\operatorname{LN}(z))$. The residual path lets the signal and its gradient pass
        through deep stacks unchanged; LayerNorm (here with $\epsilon = 10^{-6}$, timm's choice)
        normalises each token over its $D$ features.
        """
    ),
    code(
        """
        class Block(nn.Module):
            \"\"\"Pre-norm transformer block: z + MSA(LN(z)), then z + MLP(LN(z)).\"\"\"

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
            \"\"\"Patch embedding -> `depth` blocks -> LayerNorm -> mean over tokens: [B, 3, 32, 32] -> [B, D].\"\"\"

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
        """
    ),
    md(
        """
        ## A5. Is it really the same network as mtlkit's?

        `create("vit_tiny", ...)` builds timm's `VisionTransformer` and cuts it into stages
        (`stages[0]` = patch embedding + position, `stages[1:]` = the blocks; `pool` = final norm + mean).
        We copy its weights into our model — the only non-trivial step is reshaping the convolution's
        kernel into our linear layer — and compare the outputs of every stage and of the whole network.
        Stochastic depth is switched off (`drop_path_rate=0`), and both models are in eval mode.
        """
    ),
    code(
        """
        def copy_vit_weights(lib, hand):
            \"\"\"Copy mtlkit's (timm's) ViT weights into HandViT, name by name.\"\"\"
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
        """
    ),
    md(
        r"""
        ### Parameters and FLOPs of a ViT, by formula

        A block holds $4D^2$ attention weights ($W_{qkv}$ and $W_\text{proj}$) and $8D^2$ MLP weights,
        plus $13D$ biases and LayerNorm parameters: $12D^2 + 13D$. A matrix product of an $N \times a$ and
        an $a \times b$ matrix costs $2Nab$ FLOPs (a multiply and an add), so a block costs
        $24ND^2$ FLOPs in its linear layers plus $4N^2D$ for $QK^\top$ and the weighted sum of $V$.
        """
    ),
    code(
        """
        D, L, N = EMBED_DIM, DEPTH, (32 // PATCH) ** 2
        params_formula = L * (12 * D * D + 13 * D) + (3 * PATCH * PATCH + 1) * D + N * D + 2 * D
        flops_formula = L * (24 * N * D * D + 4 * N * N * D) + 2 * N * (3 * PATCH * PATCH) * D
        check.equal(n_lib, params_formula, "ViT parameters = L(12D^2 + 13D) + embedding + position + final norm")
        check.equal(count_flops(lib_vit), flops_formula, "ViT FLOPs = L(24ND^2 + 4N^2 D) + patch embedding")
        print(
            f"D={D}, L={L}, N={N}: {params_formula:,} parameters, {flops_formula / 1e6:,.1f} MFLOPs per image; "
            f"attention's share of the FLOPs: {L * 4 * N * N * D / flops_formula:.1%}"
        )
        """
    ),
    *PART2,
]

if __name__ == "__main__":
    write(FILE, CELLS)
