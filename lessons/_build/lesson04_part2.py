"""The cells of lessons/04_sharing_architectures.ipynb from "5. Training the spectrum" on.

lessons/_build/lesson04.py puts them after its own cells; run it to rebuild the notebook.
"""

from __future__ import annotations

from nbbuild import code, md

CELLS = [
    md(
        """
        ## 5. Training the spectrum

        Now we train, with the same data, epochs and seed: two single-task networks, hard sharing, soft
        sharing, and cross-stitch networks on the convolutional backbone and on a small ViT. For the
        cross-stitch networks a callback of `fit` records the alphas after every epoch. Every model is
        selected on the validation split and tested once.
        """
    ),
    code(
        """
        def make_vit():
            return create("vit_tiny", **VIT_KWARGS)


        def alpha_recorder(model, log):
            \"\"\"A fit callback that appends the model's alphas after every epoch (the initial ones first).\"\"\"
            log.append(model.alphas())
            return lambda record: log.append(model.alphas())


        def train_and_test(model, callback=None):
            fit(
                model,
                train,
                val,
                epochs=EPOCHS,
                batch_size=BATCH_SIZE,
                lr=LR,
                seed=SEED,
                progress=False,
                callback=callback,
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
            callback = None
            if name.startswith("cross-stitch"):
                alpha_logs[name] = []
                callback = alpha_recorder(models[name], alpha_logs[name])
            results[name] = train_and_test(models[name], callback)

        print(f"{'model':>17} | {'fine':>6} | {'coarse':>6} | parameters")
        for name, result in results.items():
            accs = [f"{result[t]['acc']:6.1%}" if t in result else "     -" for t in tasks]
            print(f"{name:>17} | {' | '.join(accs)} | {count_parameters(models[name])['total']:,}")
        """
    ),
    md(
        """
        As in lesson 1, these are *single-seed* numbers on a small dataset: differences of a few points
        are within seed noise (lesson 6 measures it). The alphas, however, tell us something the
        accuracies cannot: **where** each network chose to share.

        ## 6. Reading the learned alphas

        For each unit we summarise the $[2, 2, C]$ alphas by two numbers, averaged over channels and
        both columns: the weight a column keeps on **itself** ($\\alpha_{AA}, \\alpha_{BB}$) and the weight
        it takes from the **other** task ($\\alpha_{AB}, \\alpha_{BA}$). A growing "other" weight means
        that depth wants to share; a shrinking one means the tasks prefer to keep their features apart.
        """
    ),
    code(
        """
        def self_and_other(alpha):
            \"\"\"Mean diagonal (self) and off-diagonal (other) alpha of one [T, T, C] unit.\"\"\"
            eye = torch.eye(alpha.shape[0], dtype=torch.bool)
            return alpha[eye].mean().item(), alpha[~eye].mean().item()


        fig, axes = plt.subplots(1, 3, figsize=(14, 3.6))
        for name, log in alpha_logs.items():
            final = [self_and_other(a) for a in log[-1]]
            depth = range(1, len(final) + 1)
            style = "o-" if "CNN" in name else "s--"
            axes[0].plot(depth, [s for s, _ in final], style, label=f"{name}: self")
            axes[0].plot(depth, [o for _, o in final], style, alpha=0.5, label=f"{name}: other")
            for unit in range(len(final)):
                axes[1 if "CNN" in name else 2].plot(
                    range(len(log)),
                    [self_and_other(epoch_alphas[unit])[1] for epoch_alphas in log],
                    "o-",
                    label=f"unit {unit + 1}",
                )
        axes[0].set_xlabel("unit (stage) depth")
        axes[0].xaxis.set_major_locator(MaxNLocator(integer=True))
        axes[0].set_ylabel("mean alpha after training")
        axes[0].set_title("self vs other, by depth")
        axes[0].legend(fontsize=7)
        for ax, name in zip(axes[1:], alpha_logs, strict=True):
            ax.axhline(0.1, ls=":", color="gray")
            ax.set_xlabel("epoch (0 = initial)")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_ylabel("mean 'other' alpha")
            ax.set_title(name)
            ax.legend(fontsize=7)
        plt.tight_layout()
        plt.show()

        for name, log in alpha_logs.items():
            moved = [self_and_other(a)[1] - 0.1 for a in log[-1]]
            print(f"{name}: change of the 'other' alpha per unit since initialisation:", [f"{m:+.3f}" for m in moved])
        """
    ),
    code(
        """
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
        """
    ),
    md(
        """
        **How to read this.** A common hypothesis is that early features (edges, colours, textures) serve
        every task and should be shared, while later features become task-specific; Misra et al. read
        their learned alphas layer by layer to test exactly this kind of claim. With a few epochs on a tiny dataset the alphas have hardly moved from 0.9 / 0.1 — one reason the
        paper gives them a larger learning rate (`ALPHA_LR_MULT`). Rerun with more epochs (full mode) or
        a larger multiplier and see whether your network agrees with the paper. Note also that the alphas
        are not scale-free: a column can compensate a small alpha with larger weights in the next stage,
        so compare their *pattern over depth*, not their absolute values.

        ## 7. Beyond cross-stitch: MTAN, encoder- and decoder-focused designs

        Vandenhende et al. (TPAMI 2021) sort multi-task architectures by **where** the tasks interact.

        - **Encoder-focused** designs share (some of) the feature extractor and give each task its own
          decoder/head: hard sharing, soft sharing, cross-stitch, NDDR-CNN and **MTAN** (Liu, Johns &
          Davison, CVPR 2019). MTAN keeps *one* shared network and gives each task a small attention
          module per stage that **selects** shared features: with $p^{(j)}$ the shared features of stage
          $j$ and $\\hat a_t^{(j-1)}$ the task's attended features of the previous stage,
          $$a_t^{(j)} = \\sigma\\big(h_t^{(j)}([p^{(j)};\\, \\hat a_t^{(j-1)}])\\big), \\qquad
          \\hat a_t^{(j)} = a_t^{(j)} \\odot p^{(j)},$$
          where $h$ is a pair of 1×1 convolutions and the sigmoid gives a soft mask in $[0, 1]$. Unlike
          cross-stitch, the cost per task is a small module, not a whole column.
        - **Decoder-focused** designs (PAD-Net, MTI-Net, ...) first make an initial prediction for every
          task and then let the tasks **refine each other's predictions** (task-to-task distillation).
          For class/superclass this idea is almost free: the superclass can be *read off* the fine
          prediction (the coarse-from-fine baseline of lessons 2 and 6).

        Below, one MTAN-style attention step on a shared stage of our CNN (first stage, so there is no
        previous attended feature): it keeps the shape, masks values into $[0, 1] \\times p$, and costs
        a fraction of the stage it attends to.
        """
    ),
    code(
        """
        class TaskAttention(nn.Module):
            \"\"\"MTAN's attention module (first stage): mask = sigmoid(conv1x1(ReLU(BN(conv1x1(p))))); out = mask * p.\"\"\"

            def __init__(self, channels):
                super().__init__()
                self.mask = nn.Sequential(
                    nn.Conv2d(channels, channels, 1),
                    nn.BatchNorm2d(channels),
                    nn.ReLU(),
                    nn.Conv2d(channels, channels, 1),
                    nn.Sigmoid(),
                )

            def forward(self, shared):
                return self.mask(shared) * shared


        backbone = make_conv()
        shared = backbone.stages[0](torch.randn(4, 3, 32, 32))
        attention = nn.ModuleDict({task: TaskAttention(shared.shape[1]) for task in tasks})
        attended = {task: module(shared) for task, module in attention.items()}
        for task, feature in attended.items():
            check.shape(feature, tuple(shared.shape), f"{task}-attended features")
        check.true(
            bool((attended["fine"].abs() <= shared.abs() + 1e-6).all()),
            "the mask only scales features down (sigmoid in [0, 1])",
        )
        stage_params = sum(p.numel() for p in backbone.stages[0].parameters())
        attention_params = sum(p.numel() for p in attention["fine"].parameters())
        print(f"stage 1: {stage_params:,} parameters; one task's attention module: {attention_params:,}")
        """
    ),
    md(
        """
        ## Self-check

        **Q1.** How many alpha parameters does a cross-stitch network over ResNet-18 have for **three**
        tasks? ResNet-18's stages have widths 64 (stem), 64, 128, 256, 512. Compute it, then let mtlkit
        confirm.
        """
    ),
    code(
        """
        my_answer = 3 * 3 * (64 + 64 + 128 + 256 + 512)
        three = CrossStitch(lambda: create("resnet18"), {"fine": 10, "coarse": 2, "third": 5})
        check.equal(count_parameters(three)["shared"], my_answer, "cross-stitch alphas for 3 tasks on ResNet-18")
        del three
        """
    ),
    md(
        """
        **Q2.** In soft sharing, what penalty do two columns pay when they differ in exactly one weight, by
        $\\delta = 0.5$, with coupling $c = 10^{-3}$? (Answer: $c\\,\\delta^2$.) Check it on a fresh model.
        """
    ),
    code(
        """
        pair = SoftSharing(make_conv, tasks, coupling=1e-3)
        with torch.no_grad():
            next(pair.backbones["coarse"].parameters()).view(-1)[0] += 0.5
        check.close(pair.regularizer(), 1e-3 * 0.5**2, atol=1e-9, what="soft-sharing penalty for one weight apart")
        """
    ),
    md(
        """
        **Q3.** Which alphas make a cross-stitch unit feed **both** columns the **same** input at the next
        stage? Fill in `same_input` (a $[2, 2, C]$ tensor) and check.
        """
    ),
    code(
        """
        same_input = torch.full((2, 2, 6), 0.5)  # any alpha whose two rows are equal works
        xs = [torch.randn(2, 6, 4, 4), torch.randn(2, 6, 4, 4)]
        a, b = cross_stitch(xs, same_input)
        check.close(a, b, what="both columns see the same mixture")
        """
    ),
    md(
        """
        ## Summary

        - Sharing is a spectrum: independent networks ← soft sharing (L2 pull) ← cross-stitch (learned
          per-channel mixing) ← hard sharing (one backbone).
        - A cross-stitch unit is a per-channel $T \\times T$ linear map between columns: $T^2 C$
          parameters per stage, almost free — but the columns make the network $T$ times larger than hard
          sharing.
        - The learned alphas show where a network wants to share; they move slowly unless they get a
          larger learning rate.
        - MTAN shares one network and lets each task *select* features with cheap attention masks;
          decoder-focused designs let tasks refine each other's predictions.

        **Next:** lesson 5 asks the other half of the question: given the architecture, how much should
        each task's loss count?

        *References:* R. Caruana, *Multitask Learning*, 1997. L. Duong et al., *Low Resource Dependency
        Parsing: Cross-lingual Parameter Sharing in a Neural Network Parser*, ACL 2015. I. Misra et al.,
        *Cross-stitch Networks for Multi-task Learning*, CVPR 2016. S. Liu, E. Johns, A. Davison,
        *End-to-End Multi-Task Learning with Attention*, CVPR 2019. S. Vandenhende et al., *Multi-Task
        Learning for Dense Prediction Tasks: A Survey*, TPAMI 2021.
        """
    ),
]
