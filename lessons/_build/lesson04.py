"""Source of lessons/04_sharing_architectures.ipynb (run this file to rebuild the notebook).

The later sections are in lesson04_part2.py; this file lists the first ones and assembles them all.
"""

from __future__ import annotations

from lesson04_part2 import CELLS as PART2
from nbbuild import code, defaults, header, md, parameters, setup, write

FILE = "04_sharing_architectures.ipynb"

CELLS = [
    header(
        FILE,
        "Lesson 4 — How much to share: hard, soft and cross-stitch networks",
        [
            "place hard sharing, soft sharing and cross-stitch networks on one *sharing spectrum* and write "
            "down what each one optimises;",
            "implement the soft-sharing penalty and a cross-stitch unit by hand and check them against "
            "`mtlkit.models`;",
            "put cross-stitch units into a ResNet and a ViT, and count what they cost;",
            "train the architectures, a cross-stitch ResNet-18 and ViT among them, on `shapes` and read the "
            "**learned alphas**: how much does each depth choose to share?",
            "say what MTAN and encoder- vs decoder-focused architectures add.",
        ],
        50,
        intro="""
        Lessons 1–3 shared a *whole* backbone (hard sharing). That is one end of a spectrum: at the other
        end are independent single-task networks. This lesson walks the range in between and lets a
        network *learn* where on it to sit.

        *Smoke mode:* `MTLKIT_SMOKE=1` (or `SMOKE = True` below) runs everything on tiny data in seconds;
        the numbers are then meaningless, the code path is the same.
        """,
    ),
    parameters(
        """
        # Parameters (papermill: -p NAME VALUE). None: the value for the mode, filled in by the next cell.
        import os

        SMOKE = os.environ.get("MTLKIT_SMOKE", "0") == "1"  # tiny data, few epochs: a CPU run in seconds
        SEED = 0
        TRAIN_SIZE = None  # images in the shapes train pool (90% train, 10% validation)
        EPOCHS = None
        BATCH_SIZE = None
        LR = 2e-3
        # The convolutional backbone of the STL / hard / soft / cross-stitch comparison: a tiny CNN on a CPU;
        # "resnet18" (the study's family) if you have a GPU and a few minutes.
        CONV = "tiny_cnn"
        CONV_KWARGS = None  # None: the tiny CNN's width for the mode ({} for any other CONV)
        VIT_KWARGS = None  # None: a small ViT for the mode (embed_dim, depth, num_heads, drop_path_rate)
        # A cross-stitch ResNet-18, trained on its own smaller budget (two columns: 22 M parameters).
        RESNET_KWARGS = None  # None: the CIFAR stem; in smoke mode the ImageNet stem (15x fewer FLOPs per image)
        RESNET_TRAIN_SIZE = None  # its training images (validation and test capped at as many)
        RESNET_EPOCHS = None
        COUPLING = 1e-3  # soft sharing: strength of the L2 pull between the columns
        # The alphas' learning rate is ALPHA_LR_MULT x LR. fit() uses AdamW, which rescales its steps, so 10
        # suits it; the paper's SGD needed 10^2-10^3.
        ALPHA_LR_MULT = 10.0
        """
    ),
    defaults(
        """
        TRAIN_SIZE = TRAIN_SIZE if TRAIN_SIZE is not None else (480 if SMOKE else 4000)
        EPOCHS = EPOCHS if EPOCHS is not None else (2 if SMOKE else 8)
        BATCH_SIZE = BATCH_SIZE if BATCH_SIZE is not None else (64 if SMOKE else 128)
        CONV_KWARGS = (
            CONV_KWARGS if CONV_KWARGS is not None else ({"width": 8 if SMOKE else 16} if CONV == "tiny_cnn" else {})
        )
        VIT_KWARGS = (
            VIT_KWARGS
            if VIT_KWARGS is not None
            else {"embed_dim": 32 if SMOKE else 64, "depth": 2 if SMOKE else 4, "num_heads": 2, "drop_path_rate": 0.0}
        )
        RESNET_KWARGS = RESNET_KWARGS if RESNET_KWARGS is not None else {"stem": "imagenet" if SMOKE else "cifar"}
        RESNET_TRAIN_SIZE = RESNET_TRAIN_SIZE if RESNET_TRAIN_SIZE is not None else (200 if SMOKE else 1500)
        RESNET_EPOCHS = RESNET_EPOCHS if RESNET_EPOCHS is not None else (1 if SMOKE else 3)
        print(
            f"smoke mode: {SMOKE}; TRAIN_SIZE={TRAIN_SIZE}, EPOCHS={EPOCHS}, BATCH_SIZE={BATCH_SIZE}, "
            f"CONV={CONV}, CONV_KWARGS={CONV_KWARGS}, VIT_KWARGS={VIT_KWARGS}, RESNET_KWARGS={RESNET_KWARGS}, "
            f"RESNET_TRAIN_SIZE={RESNET_TRAIN_SIZE}, RESNET_EPOCHS={RESNET_EPOCHS}"
        )
        """
    ),
    setup(),
    code(
        """
        import matplotlib.pyplot as plt
        import torch
        from matplotlib.ticker import MaxNLocator
        from torch import nn

        from mtlkit import check
        from mtlkit.backbones import create
        from mtlkit.data import load
        from mtlkit.models import CrossStitch, CrossStitchUnit, HardSharing, SingleTask, SoftSharing, count_parameters
        from mtlkit.train import evaluate, fit

        torch.manual_seed(SEED)
        train = load("shapes", "train", size=TRAIN_SIZE)
        val = load("shapes", "val", size=TRAIN_SIZE)
        test = load("shapes", "test", size=TRAIN_SIZE)
        tasks = dict(train.tasks)
        print(train, val, test, sep="\\n")
        print("tasks:", tasks, "| smoke mode:", SMOKE)
        """
    ),
    md(
        r"""
        ## 1. The sharing spectrum

        Write $\theta_t$ for the parameters of task $t$'s network. Three ways of tying them together:

        | architecture | what is shared | objective |
        |---|---|---|
        | **single-task** | nothing | $\sum_t \mathcal{L}_t(\theta_t)$, each minimised alone |
        | **hard sharing** (Caruana 1997) | the whole backbone, $\theta_t = (\theta_\text{sh}, \phi_t)$ | $\sum_t \lambda_t \mathcal{L}_t(\theta_\text{sh}, \phi_t)$ |
        | **soft sharing** (Duong et al. 2015) | nothing in the forward pass; the backbones are *pulled together* | $\sum_t \mathcal{L}_t(\theta_t) + c \sum_{a<b} \lVert\theta_a - \theta_b\rVert^2$ |
        | **cross-stitch** (Misra et al. 2016) | activations, mixed by learned $\alpha$ after every stage | $\sum_t \mathcal{L}_t(\theta_t, \alpha)$ |

        Soft sharing interpolates with one number: the coupling $c = 0$ gives independent networks, and as
        $c \to \infty$ the backbones are forced to be equal: hard sharing, except that the common
        backbone then moves by the *mean* of the tasks' gradients where hard sharing's moves by their
        sum (and plain SGD overshoots and diverges once $c > 1/(T\,\eta)$ for $T$ tasks and learning
        rate $\eta$: the penalty's own step becomes too large). Cross-stitch
        networks interpolate **per depth and per channel**, and learn the interpolation from data.

        ## 2. Soft sharing, by hand

        mtlkit's `SoftSharing` builds one backbone per task and exposes the penalty as `regularizer()`,
        which the trainer adds to the loss. Every column starts as a copy of the first
        (`same_init=True`), so the penalty starts at zero and grows only as the tasks pull the columns
        apart. Let us recompute it from the formula.
        """
    ),
    code(
        """
        def make_conv():
            return create(CONV, **CONV_KWARGS)


        soft = SoftSharing(make_conv, tasks, coupling=COUPLING)
        check.close(soft.regularizer(), 0.0, atol=0.0, what="identical columns: the penalty starts at 0")

        with torch.no_grad():  # move the fine column away from the coarse one
            for p in soft.backbones["fine"].parameters():
                p.add_(0.01 * torch.randn_like(p))


        def soft_penalty(model, coupling):
            \"\"\"coupling * sum over task pairs and backbone tensors of ||theta_a - theta_b||^2.\"\"\"
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
        """
    ),
    md(
        r"""
        ## 3. A cross-stitch unit, by hand

        Two task columns run side by side. After stage $\ell$ they produce activations $x_A, x_B$ of the
        same shape; a cross-stitch unit replaces them by linear combinations, **per channel** $c$:

        $$\begin{pmatrix} \tilde x_A^{c} \\ \tilde x_B^{c} \end{pmatrix} =
        \begin{pmatrix} \alpha_{AA}^{c} & \alpha_{AB}^{c} \\ \alpha_{BA}^{c} & \alpha_{BB}^{c} \end{pmatrix}
        \begin{pmatrix} x_A^{c} \\ x_B^{c} \end{pmatrix}.$$

        $\alpha = I$ gives two independent networks; $\alpha_{AB} = \alpha_{AA}$ and
        $\alpha_{BA} = \alpha_{BB}$ give both columns the same input at the next stage. The paper
        initialises $\alpha_{\text{self}} = 0.9$, $\alpha_{\text{other}} = 0.1$ and gives the alphas a much
        larger learning rate than the network. A conv map is $[B, C, H, W]$ (channels at dim 1); ViT
        tokens are $[B, N, D]$ (the "channel" is the embedding dimension, the last axis): one function
        handles both.
        """
    ),
    code(
        """
        def cross_stitch(xs, alpha):
            \"\"\"x'_i = sum_j alpha[i, j, c] * x_j, per channel c (dim 1 of [B,C,H,W], last dim of [B,N,D]).\"\"\"
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
        print("initial alpha[:, :, channel 0]:\\n", init[:, :, 0].detach())
        check.close(init.sum(dim=1), torch.ones(2, 3), what="each row of the initial alphas sums to 1")
        """
    ),
    md(
        """
        With $\\alpha = I$ the columns must behave exactly like two separate single-task networks. We check
        it on the full model: the fine output of a cross-stitch network with identity units equals what
        its fine column computes on its own (stages, pooling, head), ignoring the coarse column entirely.
        """
    ),
    code(
        """
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
        """
    ),
    md(
        r"""
        ## 4. Cross-stitch in a ResNet and in a ViT

        mtlkit cuts every backbone into `stages` (design.md): for a ResNet the stem and the four residual
        stages, for a ViT the patch embedding and each transformer block. `CrossStitch` puts one unit
        after every stage. The study's two backbone families therefore get units at very different
        places: 5 for ResNet-18 (after the stem and after each of the four residual stages; with the CIFAR
        stem the stem and layer1 both work at 32×32, so 5 units over 4 resolutions), $1 + \text{depth}$ for
        a ViT (after the patch embedding and after each block). A unit
        has $T^2 C$ parameters — tiny next to the columns. What costs is the *columns*: a cross-stitch
        network is as large as $T$ single-task networks.
        """
    ),
    code(
        """
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
        """
    ),
    *PART2,
]

if __name__ == "__main__":
    write(FILE, CELLS)
