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
        sharing, and cross-stitch networks on the convolutional backbone and on a small ViT (then, on its own
        budget, a cross-stitch ResNet-18). For the cross-stitch networks a callback of `fit` records the
        alphas after every epoch. Every model is selected on the validation split and tested once.
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
        ### A cross-stitch ResNet-18

        The study's convolutional family is the ResNet, so we also stitch two ResNet-18 columns (22 M
        parameters together). That is far more compute per image than the tiny CNN, so this run gets its
        own, smaller budget: `RESNET_TRAIN_SIZE` training images and `RESNET_EPOCHS` epochs, and in smoke
        mode the ImageNet stem, which shrinks a 32×32 image to 8×8 before the first stage (lesson 3). Its
        accuracy is therefore not comparable with the table above; its alphas join the others below.
        """
    ),
    code(
        """
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
            epochs=RESNET_EPOCHS,
            batch_size=BATCH_SIZE,
            lr=LR,
            seed=SEED,
            progress=False,
            callback=alpha_recorder(models[name], alpha_logs[name]),
        )
        resnet_result = evaluate(models[name], small[2])
        accs = ", ".join(f"{t} {resnet_result[t]['acc']:.1%}" for t in tasks)
        print(
            f"{name} ({RESNET_KWARGS}; {len(small[0])} training images, {RESNET_EPOCHS} epoch(s)): "
            f"test {accs} on {len(small[2])} images; {count_parameters(models[name])['total']:,} parameters"
        )
        check.equal(len(alpha_logs[name]), RESNET_EPOCHS + 1, "alphas recorded at the start and after every epoch")
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
        their learned alphas layer by layer to test exactly this kind of claim. The cell above printed how far
        the alphas moved in this run: alphas that barely move are why the paper gives them a much larger
        learning rate than the network (`ALPHA_LR_MULT`). Rerun with more epochs (full mode) or a larger
        multiplier and see whether your networks agree with the paper. Note also that the alphas
        are not scale-free: a column can compensate a small alpha with larger weights in the next stage,
        so compare their *pattern over depth*, not their absolute values.

        ## 7. Beyond cross-stitch: MTAN, encoder- and decoder-focused designs

        Vandenhende et al. (TPAMI 2021) sort multi-task architectures by **where** the tasks interact.

        - **Encoder-focused** designs share (some of) the feature extractor and give each task its own
          decoder/head: hard sharing, soft sharing, cross-stitch, NDDR-CNN and **MTAN** (Liu, Johns &
          Davison, CVPR 2019). MTAN keeps *one* shared network and gives each task a small attention
          module per block that **selects** shared features. With $p^{(j)}$ the output of shared block $j$,
          $u^{(j)}$ the block's features after its first convolution(s), and $\\hat a_t^{(j-1)}$ the task's
          attended features of the previous block,
          $$a_t^{(j)} = h_t^{(j)}\\Big(g_t^{(j)}\\big([u^{(j)};\\, f^{(j)}(\\hat a_t^{(j-1)})]\\big)\\Big), \\qquad
          \\hat a_t^{(j)} = a_t^{(j)} \\odot p^{(j)}:$$
          the mask is computed from $u^{(j)}$ and multiplies the block's output $p^{(j)}$. $g_t^{(j)}$ and
          $h_t^{(j)}$ are 1×1 convolutions with batch norm, a ReLU after $g$ and a sigmoid after $h$ (so the
          mask lies in $[0, 1]$); $f^{(j)}$ is a shared 3×3 convolution, with pooling to match the
          resolution, that hands the attended features on. The first block has no previous attended
          features: $a_t^{(1)} = h_t^{(1)}(g_t^{(1)}(u^{(1)}))$. Unlike cross-stitch, the cost per task is
          a small module, not a whole column.
        - **Decoder-focused** designs (PAD-Net, MTI-Net, ...) first make an initial prediction for every
          task and then let the tasks **refine each other's predictions** (task-to-task distillation).
          For class/superclass this idea is almost free: the superclass can be *read off* the fine
          prediction (the coarse-from-fine baseline of lessons 2 and 6).

        Below, one MTAN attention step on the first residual stage (layer1) of a shared ResNet-18, as MTAN's
        ResNet version does it: $u$ is the output of layer1's first residual block, $p$ the stage's output,
        and as it is the first attended block there is no previous attended feature. The step keeps the
        shape, scales every value of $p$ by a factor in $[0, 1]$, and costs a fraction of the stage it
        attends to.
        """
    ),
    code(
        """
        class TaskAttention(nn.Module):
            \"\"\"MTAN's attention for a first block: mask = h(g(u)), g = ReLU(BN(1x1 conv)), h = sigmoid(BN(1x1 conv)).\"\"\"

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
        """
    ),
    md(
        """
        ## Self-check

        **Q1.** How many alpha parameters does a cross-stitch network over ResNet-18 have for **three**
        tasks? ResNet-18's stages have widths 64 (stem), 64, 128, 256, 512. Compute it, put it in
        `my_answer`, then let mtlkit confirm.
        """
    ),
    code(
        """
        my_answer = None  # your answer: the number of alpha parameters
        three = CrossStitch(lambda: create("resnet18"), {"fine": 10, "coarse": 2, "third": 5})
        check.answer(my_answer, count_parameters(three)["shared"], "cross-stitch alphas for 3 tasks on ResNet-18")
        del three
        """
    ),
    md(
        """
        **Q2.** In soft sharing, what penalty do two columns pay when they differ in exactly one weight, by
        $\\delta = 0.5$, with coupling $c = 10^{-3}$? Put the number in `my_answer`; the cell measures it on a
        fresh model.
        """
    ),
    code(
        """
        my_answer = None  # your answer: the penalty, a number
        pair = SoftSharing(make_conv, tasks, coupling=1e-3)
        with torch.no_grad():
            next(pair.backbones["coarse"].parameters()).view(-1)[0] += 0.5
        check.answer(my_answer, pair.regularizer().item(), "soft-sharing penalty for one weight apart", atol=1e-9)
        """
    ),
    md(
        """
        **Q3.** Which alphas make a cross-stitch unit feed **both** columns the **same** input at the next
        stage? Put such alphas in `my_answer` (a $[2, 2, 6]$ tensor: `[to column, from column, channel]`) and
        check.
        """
    ),
    code(
        """
        my_answer = None  # your answer: a [2, 2, 6] tensor of alphas
        if check.filled(my_answer):
            check.shape(my_answer, (2, 2, 6), "your alphas")
            xs = [torch.randn(2, 6, 4, 4), torch.randn(2, 6, 4, 4)]
            a, b = cross_stitch(xs, my_answer)
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
        - The learned alphas show where a network wants to share; the paper gives them a much larger
          learning rate than the network so that they move at all.
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
