"""The cells of lessons/05_balancing_tasks.ipynb from "5. Methods that look at gradients: GradNorm and PCGrad" on.

lessons/_build/lesson05.py puts them after its own cells; run it to rebuild the notebook.
"""

from __future__ import annotations

from nbbuild import code, md

CELLS = [
    md(
        r"""
        ## 5. Methods that look at gradients: GradNorm and PCGrad

        **GradNorm** (Chen et al., ICML 2018) learns the weights so that every task's weighted gradient
        norm at the last shared layer $W$, $G_t = \lVert \nabla_W\, \lambda_t \mathcal{L}_t \rVert$, moves
        towards the average norm, scaled up for tasks that are *behind* in training:

        $$\mathcal{L}_\text{grad} = \sum_t \Big| G_t - \bar G \cdot r_t^{\,\alpha} \Big|, \qquad
        r_t = \frac{\mathcal{L}_t / \mathcal{L}_t(0)}{\operatorname{mean}_j \mathcal{L}_j / \mathcal{L}_j(0)} ,$$

        after which the weights are renormalised to sum to $K$. $\alpha$ sets how strongly slow tasks are
        pushed; $\alpha = 0$ simply equalises the gradient norms. It costs one extra partial backward pass
        per task.

        **PCGrad** (Yu et al., NeurIPS 2020) does not weight at all: when two task gradients on the shared
        parameters **conflict** ($g_i \cdot g_j < 0$) it removes from $g_i$ its component along $g_j$,

        $$g_i \leftarrow g_i - \frac{g_i \cdot g_j}{\lVert g_j \rVert^2}\, g_j ,$$

        and steps along $\sum_i g_i$. Here it is on two 2-D gradients, by hand and with mtlkit's
        `project_conflicting`:
        """
    ),
    code(
        """
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
        """
    ),
    md(
        """
        ## 6. All methods, side by side

        Same model, data, epochs and seed; only the weighting changes. mtlkit's `fit` records the weights
        in use during every epoch (`History.weight_series`). Uncertainty and GradNorm move their weights
        every step; DWA once per epoch; static, equal and PCGrad never.
        """
    ),
    code(
        """
        settings = {
            "equal": {},
            "static": {"gamma": best_gamma},
            "uncertainty": {},
            "dwa": {"temperature": TEMPERATURE},
            "gradnorm": {"alpha": GRADNORM_ALPHA},
            "pcgrad": {},
        }
        histories = {name: train_with(create(name, tasks, **options)) for name, options in settings.items()}

        fig, axes = plt.subplots(1, len(histories), figsize=(3 * len(histories), 2.8), sharey=True)
        for ax, (name, history) in zip(axes, histories.items(), strict=True):
            epochs = [r["epoch"] for r in history.epochs]
            for task in tasks:
                ax.plot(epochs, history.weight_series(task), "o-", label=task)
            ax.set_title(name)
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes[0].set_ylabel("task weight")
        axes[0].legend()
        plt.suptitle("Task weights over epochs")
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
        """
    ),
    md(
        r"""
        **Reading the table.** On a validation split of this size one image is worth a few tenths of a
        percent, and one seed decides more than the method does: before claiming that a method wins, run
        several seeds (lesson 6). Surveys that did so (e.g. Xin et al., NeurIPS 2022, *Do Current
        Multi-Task Optimization Methods in Deep Learning Even Help?*) found that a well-tuned static weighting
        is hard to beat.

        ## 7. An accidental weighting: the study's binary cross-entropy

        Weights can also hide in the loss *definition*. The study's ViT multi-task notebooks trained the
        20-way superclass head with **binary** cross-entropy on its softmax outputs, averaged over the 20
        outputs (what Keras's `binary_crossentropy` does), while the class head used softmax
        cross-entropy. Averaging over $K$ outputs scales that task's gradient by roughly $1/K$ — a static
        weight nobody chose. Let us measure it on random logits (lesson 6 looks at what else
        goes wrong with this loss).
        """
    ),
    code(
        """
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
        """
    ),
    md(
        """
        ## 8. Explore it yourself

        `mtlkit.explorer.WeightingExplorer` wraps the experiment above in widgets: pick a weighting and its
        hyper-parameter (only the one the method reads is enabled), the learning rate and the number of
        epochs, click **Run**, and the figure — weights, losses and validation accuracy per epoch — is
        redrawn after every epoch from `fit`'s callback. Every run starts from the same seed, so two runs
        differ only by your settings. Things to try:

        - static with $\\gamma = 0.3$: the weights are 0.3 / 0.7 every epoch;
        - DWA with $T = 0.5$ vs $T = 10$: how far do the weights move from 1 after epoch 2?
        - GradNorm with $\\alpha = 0$ vs $\\alpha = 3$;
        - uncertainty: which task ends up with the larger weight, and does $1/(2\\mathcal{L})$ explain it?

        (Below, the explorer is also run once from code, which is exactly what the button does.)
        """
    ),
    code(
        """
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
        """
    ),
    md(
        """
        ## Self-check

        **Q1.** Epoch-mean losses were fine 2.0, coarse 1.0 in epoch 1 and fine 1.0, coarse 0.9 in epoch 2.
        What are the DWA weights (T = 2) in epoch 3? Compute them with the formula, put them in `my_answer`
        as `{"fine": ..., "coarse": ...}`, then check against mtlkit.
        """
    ),
    code(
        """
        my_answer = None  # your answer: {"fine": ..., "coarse": ...}

        dwa = DWA(["fine", "coarse"], temperature=2.0)
        dwa.epoch_end({"fine": 2.0, "coarse": 1.0})
        dwa.epoch_end({"fine": 1.0, "coarse": 0.9})
        check.answer(my_answer, dwa.weights, "DWA weights for epoch 3", atol=1e-4)
        check.true(
            dwa.weights["coarse"] > dwa.weights["fine"], "the task whose loss fell more slowly gets more weight"
        )
        """
    ),
    md(
        """
        **Q2.** With uncertainty weighting and a task loss held at $\\mathcal{L} = 0.25$, what weight does
        the task get at the optimum of $s$? Put it in `my_answer`.
        """
    ),
    code(
        """
        my_answer = None  # your answer: the weight, a number

        u = Uncertainty(["fine", "coarse"])
        with torch.no_grad():
            u.log_vars.fill_(math.log(0.25))  # the optimum s* = log L
        check.answer(my_answer, u.weights["fine"], "uncertainty weight at the optimum", atol=1e-6)
        """
    ),
    md(
        """
        **Q3.** PCGrad on $g_1 = (1, 0)$ and $g_2 = (-1, 1)$: what is the combined update direction? Put it in
        `my_answer` as a list of two numbers.
        """
    ),
    code(
        """
        my_answer = None  # your answer: [x, y]

        g12 = torch.tensor([[1.0, 0.0], [-1.0, 1.0]])
        update = project_conflicting(g12, [[1], [0]]).sum(0)
        check.answer(my_answer, update.tolist(), "PCGrad update for g1=(1,0), g2=(-1,1)", atol=1e-6)
        """
    ),
    md(
        """
        ## Summary

        - The weights $\\lambda_t$ decide which task shapes the shared features; tasks differ in loss scale
          and gradient size, so "all ones" is a choice, not a neutral default.
        - **Static** $\\gamma$: simple, needs a grid on the validation split. **Uncertainty**: learned
          weights $\\to 1/(2\\mathcal{L}_t)$. **DWA**: more weight to the task whose loss falls slowest.
          **GradNorm**: balances gradient norms at the last shared layer. **PCGrad**: removes conflicting
          gradient components instead of weighting.
        - Loss definitions can hide weights (binary cross-entropy averaged over 20 outputs).
        - No method wins by default; compare them over seeds, on validation data (lesson 6).

        *References:* A. Kendall, Y. Gal, R. Cipolla, *Multi-Task Learning Using Uncertainty to Weigh
        Losses for Scene Geometry and Semantics*, CVPR 2018. S. Liu, E. Johns, A. Davison, *End-to-End
        Multi-Task Learning with Attention*, CVPR 2019. Z. Chen et al., *GradNorm: Gradient Normalization
        for Adaptive Loss Balancing in Deep Multitask Networks*, ICML 2018. T. Yu et al., *Gradient Surgery
        for Multi-Task Learning*, NeurIPS 2020. D. Xin et al., *Do Current Multi-Task Optimization Methods
        in Deep Learning Even Help?*, NeurIPS 2022.
        """
    ),
]
