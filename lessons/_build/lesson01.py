"""Source of lessons/01_why_multitask.ipynb (run this file to rebuild the notebook).

The later sections are in lesson01_part2.py; this file lists the first ones and assembles them all.
"""

from __future__ import annotations

from lesson01_part2 import CELLS as PART2
from nbbuild import code, defaults, header, md, parameters, setup, write

FILE = "01_why_multitask.ipynb"

CELLS = [
    header(
        FILE,
        "Lesson 1 — Why multi-task learning?",
        [
            "write down what single-task (STL) and multi-task learning (MTL) optimise, and say what "
            "*inductive bias* a second task adds;",
            "build a hard-parameter-sharing network by hand in PyTorch and check it, weight for weight, "
            "against `mtlkit.models.HardSharing`;",
            "count the parameters of single-task and multi-task models, by formula and by code;",
            "run a small STL-vs-MTL experiment on the synthetic `shapes` data and read it critically;",
            "state the three research questions of the 2023 ViT-vs-ResNet-152 study this course revisits, "
            "and the flaws we will fix.",
        ],
        45,
        intro="""
        This course revisits a 2023 study that trained a **ViT** and a **ResNet-152** on **CIFAR-10 and
        CIFAR-100**, each either **single-task** (class only, or superclass only) or **multi-task** (one
        network, a *class* head and a *superclass* head). We start small: a 12-class synthetic dataset,
        a tiny CNN, and a network you write yourself.

        *Smoke mode:* set the environment variable `MTLKIT_SMOKE=1` (or `SMOKE = True` below) to run
        everything on tiny data in seconds; the numbers are then meaningless, the code path is the same.
        """,
    ),
    parameters(
        """
        # Parameters (papermill: -p NAME VALUE). None: the value for the mode, filled in by the next cell.
        import os

        SMOKE = os.environ.get("MTLKIT_SMOKE", "0") == "1"  # tiny data, one epoch: a CPU run in seconds
        SEED = 0
        WIDTH = None  # channels of the tiny CNN's first block (features = 4 * WIDTH)
        TRAIN_SIZE = None  # images in the shapes train pool (90% train, 10% validation)
        EPOCHS = None
        BATCH_SIZE = None
        """
    ),
    defaults(
        """
        WIDTH = WIDTH if WIDTH is not None else (8 if SMOKE else 16)
        TRAIN_SIZE = TRAIN_SIZE if TRAIN_SIZE is not None else (480 if SMOKE else 4000)
        EPOCHS = EPOCHS if EPOCHS is not None else (1 if SMOKE else 6)
        BATCH_SIZE = BATCH_SIZE if BATCH_SIZE is not None else (64 if SMOKE else 128)
        print(
            f"smoke mode: {SMOKE}; WIDTH={WIDTH}, TRAIN_SIZE={TRAIN_SIZE}, EPOCHS={EPOCHS}, BATCH_SIZE={BATCH_SIZE}"
        )
        """
    ),
    setup(),
    code(
        """
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
        print(train, val, test, sep="\\n")
        print("device:", device, "| smoke mode:", SMOKE)
        """
    ),
    md(
        r"""
        ## 1. One network, several tasks

        A **task** here is a labelling of the same images. In *single-task learning* we train one network
        per task $t$, each with its own parameters $\theta_t$:

        $$\min_{\theta_t} \; \mathcal{L}_t(\theta_t), \qquad
        \mathcal{L}_t(\theta) = -\frac{1}{N}\sum_{i=1}^{N} \log \operatorname{softmax}\big(f_t(x_i;\theta)\big)_{y_i^{t}}
        \quad\text{(cross-entropy)}.$$

        In *multi-task learning* the networks share parameters $\theta_{\text{sh}}$ and we minimise a
        weighted sum of the task losses:

        $$\min_{\theta_{\text{sh}},\,\theta_1,\dots,\theta_T} \; \sum_{t=1}^{T} \lambda_t\,
        \mathcal{L}_t(\theta_{\text{sh}}, \theta_t).$$

        **Hard parameter sharing** (Caruana, 1997) is the simplest form: one backbone
        $\varphi(\,\cdot\,;\theta_{\text{sh}})$ computes a feature vector $z = \varphi(x) \in \mathbb{R}^d$,
        and each task has a small head, here linear: $f_t(x) = W_t\, z + b_t$.

        **Why could this help?** Caruana's answer: *the training signal of a related task is an
        inductive bias*. Among all features that fit task A, the shared backbone is pushed towards
        those that also serve task B. Ruder's overview (2017) lists the mechanisms: the noise of two
        label sets averages out (a form of data augmentation); a task that makes a feature easy to learn
        lets the other *eavesdrop*; features that work for many tasks are more likely to generalise
        (Baxter, 2000); and the second loss acts as a regulariser. **Why could it hurt?** The tasks
        compete for a fixed capacity, and their gradients can point in conflicting directions
        (*negative transfer*, lessons 4–5). Whether MTL helps is an empirical question — which is
        what the 2023 study asked (its RQ2, §7).
        """
    ),
    md(
        """
        ## 2. The `shapes` data: two tasks from one image

        `shapes` is a synthetic stand-in for CIFAR that mtlkit generates on the fly (no download): 12
        *fine* classes in 4 *coarse* families. Like CIFAR-100's superclasses, the coarse label is a
        function of the fine one. Each row below is one family.
        """
    ),
    code(
        """
        def show_by_family(ds, per_class=2):
            \"\"\"A grid of images: one row per coarse family, `per_class` images of each of its classes.\"\"\"
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
        """
    ),
    md(
        r"""
        ## 3. Hard parameter sharing, by hand

        Our backbone is a tiny VGG-style CNN: four blocks of 3×3 convolution → batch norm → ReLU, with
        2×2 max-pooling after the first three ($32 \to 16 \to 8 \to 4$ pixels), widths
        $w, 2w, 4w, 4w$, then **global average pooling** turns the $[B, 4w, 4, 4]$ map into
        $z \in \mathbb{R}^{4w}$. One `nn.Linear` head per task sits on $z$.
        """
    ),
    code(
        """
        def conv_block(c_in, c_out, pool):
            \"\"\"3x3 conv (no bias: batch norm adds one) -> batch norm -> ReLU (-> 2x2 max-pool).\"\"\"
            layers = [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]
            if pool:
                layers.append(nn.MaxPool2d(2))
            return nn.Sequential(*layers)


        class HandHardSharing(nn.Module):
            \"\"\"A shared CNN backbone and one linear head per task: x -> {task: logits}.\"\"\"

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
        """
    ),
    md(
        r"""
        ### Counting parameters

        A 3×3 convolution from $C_\text{in}$ to $C_\text{out}$ channels without bias has
        $9\,C_\text{in}C_\text{out}$ weights; batch norm adds a scale and a shift per channel ($2C$); a
        linear layer from $d$ to $K$ has $(d+1)K$. The backbone is shared, so adding a task costs only
        its head. Two single-task networks pay for the backbone twice.
        """
    ),
    code(
        """
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
        """
    ),
    md(
        """
        ## 4. The same model in mtlkit

        mtlkit builds this network as `HardSharing(create("tiny_cnn", width=WIDTH), tasks)`. If our
        hand-built version really is the same architecture, then (1) the parameter counts agree, and
        (2) copying our weights into mtlkit's model gives the same outputs. Both architectures register
        their tensors in the same order, so we can copy them one by one, checking every shape. We first
        run a few batches in training mode so that batch norm's running statistics are not trivial.
        """
    ),
    code(
        """
        from mtlkit.backbones import create
        from mtlkit.models import HardSharing, SingleTask, count_parameters

        lib = HardSharing(create("tiny_cnn", width=WIDTH), tasks)
        print("mtlkit count_parameters:", count_parameters(lib))
        check.equal(count_parameters(lib)["shared"], numel(hand.backbone), "shared parameter count matches mtlkit")
        check.equal(count_parameters(lib)["total"], numel(hand), "total parameter count matches mtlkit")


        def copy_weights(source, target):
            \"\"\"Copy every tensor of `source` into `target`, in registration order, checking shapes.\"\"\"
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
        """
    ),
    *PART2,
]

if __name__ == "__main__":
    write(FILE, CELLS)
