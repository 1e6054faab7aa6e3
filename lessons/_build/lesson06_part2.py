"""The cells of lessons/06_evaluating_honestly.ipynb from "4. The coarse-from-fine baseline" on.

lessons/_build/lesson06.py puts them after its own cells; run it to rebuild the notebook.
"""

from __future__ import annotations

from nbbuild import code, md

CELLS = [
    md(
        r"""
        ## 4. The coarse-from-fine baseline

        A superclass is a *function* of the class (lesson 2). So any fine head also predicts the coarse
        task: $\hat y_\text{coarse} = \text{coarse\_of\_fine}[\arg\max \text{fine logits}]$, and
        `evaluate` reports this accuracy as `coarse_from_fine`. A dedicated coarse head — single-task or
        multi-task — is only useful if it beats it. On the superclass task, the study's RQ2 ("Can an MTL
        ViT model achieve better results than two separate STL ViT models?") should therefore be asked
        against **both** STL-coarse and the coarse-from-fine baseline.
        """
    ),
    code(
        """
        coarse = {
            "STL-coarse head": acc[("STL-coarse", "coarse")],
            "MTL coarse head": acc[("MTL", "coarse")],
            "from STL-fine": [runs[("STL-fine", s)]["test"]["coarse_from_fine"]["acc"] for s in SEEDS],
            "from MTL fine head": [runs[("MTL", s)]["test"]["coarse_from_fine"]["acc"] for s in SEEDS],
        }
        # the baseline by hand, for one model: map the argmax of the fine logits through coarse_of_fine
        model_tasks = KINDS["STL-fine"]
        torch.manual_seed(0)
        probe = build("single", "tiny_cnn", model_tasks, backbone_kwargs={"width": WIDTH}).eval()
        hits = 0
        with torch.no_grad():
            for images, labels in DeviceLoader(test, 500, "cpu", shuffle=False):  # normalised, in order
                predicted = test.coarse_of_fine[probe(images)["fine"].argmax(dim=1)]
                hits += (predicted == labels["coarse"]).sum().item()
        by_hand = hits / len(test)
        check.close(
            by_hand,
            evaluate(probe, test)["coarse_from_fine"]["acc"],
            atol=1e-6,
            what="hand-computed coarse-from-fine = evaluate()'s",
        )

        fig, ax = plt.subplots(figsize=(7, 3.4))
        for x, (name, values) in enumerate(coarse.items()):
            low, high = interval95(values)
            ax.bar(x, mean(values), color="tab:orange" if "head" in name else "tab:green")
            ax.errorbar(x, mean(values), yerr=[[mean(values) - low], [high - mean(values)]], color="black", capsize=5)
        ax.axhline(1 / tasks["coarse"], ls=":", color="gray", label="chance")
        ax.set_xticks(range(len(coarse)), list(coarse), fontsize=8)
        ax.set_ylabel("coarse test accuracy")
        ax.set_title("Coarse heads vs reading the coarse label off a fine head (mean, 95% CI)")
        ax.legend()
        plt.show()
        for name, values in coarse.items():
            print(f"{name:>20}: {mean(values):.1%}")
        """
    ),
    md(
        r"""
        ## 5. Binary cross-entropy on a 20-way softmax

        The study's ViT multi-task notebooks train the superclass head with Keras's **binary**
        cross-entropy on both datasets, so also on CIFAR-100's 20-way head. On softmax outputs
        $p = \operatorname{softmax}(z)$, averaged over the $K$ outputs (as Keras's `binary_crossentropy`
        does), it is:

        $$\mathcal{L}_\text{BCE} = -\frac1K \sum_{k=1}^{K} \big[y_k \log p_k + (1 - y_k) \log(1 - p_k)\big]
        \qquad\text{vs}\qquad \mathcal{L}_\text{CE} = -\log p_y .$$

        BCE models $K$ independent yes/no questions — the right loss for *multi-label* outputs with
        sigmoids, not for one-of-$K$ labels with a softmax. Three things go wrong numerically:

        1. **Scale.** The softmax CE gradient is $\partial\mathcal{L}_\text{CE}/\partial z = p - y$. The
           averaged BCE gradient is roughly $K$ times smaller: in a multi-task sum it silently down-weights
           the superclass task (lesson 5, §7).
        2. **Shape.** As the correct class's probability $p_y$ grows, the two losses push differently.
        3. **The metric.** With a binary loss, a "binary accuracy" thresholds each of the $K$ outputs at
           0.5 and averages the $K$ answers; then predicting *no superclass at all* scores $(K-1)/K$.
           Whatever a study reports, the accuracy must be the one-of-$K$ accuracy $\mathbb{1}[\arg\max p = y]$.
        """
    ),
    code(
        """
        K = 20


        def bce_on_softmax(z, y):
            p = torch.softmax(z, dim=-1)
            return nn.functional.binary_cross_entropy(p, nn.functional.one_hot(y, K).float())


        # 1. the CE gradient is p - y; compare the gradient sizes on random logits
        z = torch.randn(512, K, requires_grad=True)
        y = torch.randint(0, K, (512,))
        (g_ce,) = torch.autograd.grad(nn.functional.cross_entropy(z, y, reduction="sum"), [z])
        check.close(
            g_ce,
            torch.softmax(z, -1).detach() - nn.functional.one_hot(y, K),
            atol=1e-6,
            what="softmax CE gradient = p - y",
        )
        (g_bce,) = torch.autograd.grad(bce_on_softmax(z, y) * len(y), [z])
        print(
            f"mean gradient norm per example: CE {g_ce.norm(dim=1).mean():.3f}, BCE-on-softmax {g_bce.norm(dim=1).mean():.4f} "
            f"(ratio {(g_bce.norm(dim=1).mean() / g_ce.norm(dim=1).mean()).item():.3f}, 1/K = {1 / K:.3f})"
        )

        # 2. the push on the correct logit as its probability grows (the other logits at 0)
        p_true, push_ce, push_bce = [], [], []
        for a in torch.linspace(-4, 8, 49):
            z1 = torch.zeros(1, K)
            z1[0, 0] = a
            z1.requires_grad_(True)
            target = torch.tensor([0])
            (gc,) = torch.autograd.grad(nn.functional.cross_entropy(z1, target), [z1])
            (gb,) = torch.autograd.grad(bce_on_softmax(z1, target), [z1])
            p_true.append(torch.softmax(z1, -1)[0, 0].item())
            push_ce.append(-gc[0, 0].item())
            push_bce.append(-gb[0, 0].item())

        # 3. binary accuracy vs one-of-K accuracy of a model that says "no" to every superclass
        says_no = torch.full((1000, K), 0.01)
        labels = torch.randint(0, K, (1000,))
        binary_acc = ((says_no > 0.5).float() == nn.functional.one_hot(labels, K)).float().mean().item()
        one_of_k_acc = (says_no.argmax(dim=1) == labels).float().mean().item()
        check.close(binary_acc, (K - 1) / K, atol=1e-6, what="binary accuracy of 'no to everything' = (K-1)/K")
        print(f"'no to everything': binary accuracy {binary_acc:.1%}, one-of-K accuracy {one_of_k_acc:.1%}")

        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.4))
        ax1.plot(p_true, push_ce, label="softmax CE: 1 - p_y")
        ax1.plot(p_true, push_bce, label="BCE on softmax (mean over 20)")
        ax1.plot(p_true, [K * b for b in push_bce], "--", label="BCE on softmax x 20")
        ax1.set_xlabel("probability of the correct class p_y")
        ax1.set_ylabel("-dL/dz_y (push on the correct logit)")
        ax1.set_title("How hard each loss pushes the right answer")
        ax1.legend(fontsize=8)
        ax2.bar(["binary accuracy", "one-of-K accuracy"], [binary_acc, one_of_k_acc], color=["tab:red", "tab:blue"])
        ax2.set_title("A model that predicts nothing")
        ax2.set_ylim(0, 1)
        plt.tight_layout()
        plt.show()
        """
    ),
    md(
        """
        ## 6. Unequal training budgets

        STL and MTL must be compared at the **same training budget** (epochs, or better, optimiser steps
        and images seen): a model trained for longer can look better for that reason alone. The study
        trained every model for 20 epochs, but its ViT single-task models with batch 256 and its ViT
        multi-task models with batch 128: the multi-task models took twice as many optimiser steps. Below, every cell is "MTL after $e_m$
        epochs minus STL after $e_s$ epochs" (fine task, test accuracy averaged over seeds; each epoch's
        accuracy on the full test split is the size-weighted mean of the two halves). Only the
        **diagonal** is a fair comparison; off the diagonal, the sign of the "MTL effect" depends on which
        cell you pick.
        """
    ),
    code(
        """
        def full_test_curve(kind, task, seed):
            r = runs[(kind, seed)]
            a, b = accuracies(r, task, "A"), accuracies(r, task, "B")
            return [(x * len(test_a) + w * len(test_b)) / len(test) for x, w in zip(a, b, strict=True)]


        mtl_curve = np.mean([full_test_curve("MTL", "fine", s) for s in SEEDS], axis=0)
        stl_curve = np.mean([full_test_curve("STL-fine", "fine", s) for s in SEEDS], axis=0)
        gap = mtl_curve[:, None] - stl_curve[None, :]  # gap[m, s]: MTL at epoch m+1 minus STL at epoch s+1

        fig, ax = plt.subplots(figsize=(5.5, 4.2))
        bound = max(abs(gap).max(), 1e-6)
        image = ax.imshow(gap, cmap="RdBu", vmin=-bound, vmax=bound, origin="lower")
        ax.set_xticks(range(EPOCHS), range(1, EPOCHS + 1))
        ax.set_yticks(range(EPOCHS), range(1, EPOCHS + 1))
        ax.set_xlabel("STL-fine epochs")
        ax.set_ylabel("MTL epochs")
        ax.set_title("MTL - STL fine accuracy (blue: MTL ahead)")
        fig.colorbar(image)
        plt.show()
        print(f"equal budgets ({EPOCHS} epochs each): MTL - STL = {gap[-1, -1]:+.2%}")
        print(f"over all unequal pairs the 'MTL effect' ranges from {gap.min():+.2%} to {gap.max():+.2%}")
        for seed in SEEDS:  # the curve at fit's selected epoch is the model we tested (up to one image)
            r = runs[("MTL", seed)]
            check.close(
                full_test_curve("MTL", "fine", seed)[r["history"].best_epoch - 1],
                r["test"]["fine"]["acc"],
                atol=1 / len(test) + 1e-9,
                what=f"seed {seed}: per-epoch curve matches the final test accuracy",
            )
        """
    ),
    md(
        r"""
        ## 7. A checklist for an honest MTL comparison

        1. **Select on validation**, touch the test split once (mtlkit's `fit` + `evaluate`).
        2. **Several seeds** (≥ 3, better 5+), report mean ± t-interval, and **paired** differences.
        3. Summarise with **$\Delta_m$** against single-task baselines trained the same way.
        4. For a superclass task, compare against the **coarse-from-fine** baseline.
        5. Use the **softmax cross-entropy** and the one-of-$K$ accuracy for one-of-$K$ labels.
        6. Give STL and MTL the **same budget** (epochs, steps, tuning effort).
        7. Report everything: the grid, the seeds, the selection rule.

        The capstone (lesson 7) applies this checklist to the study's full grid.

        ## Self-check

        **Q1.** Five seeds gave accuracies 0.61, 0.64, 0.60, 0.63, 0.62. Compute the 95% interval by hand
        (use $t_{0.975,4} = 2.776$) and put it in `my_answer` as `(low, high)`.
        """
    ),
    code(
        """
        my_answer = None  # your answer: (low, high)

        values = [0.61, 0.64, 0.60, 0.63, 0.62]
        check.answer(my_answer, interval95(values), "95% interval of five seeds", atol=1e-4)
        """
    ),
    md(
        r"""
        **Q2.** A multi-task model reaches a fine **loss** of 1.0 where the single-task model reaches 1.25.
        What is $\Delta_m$ on this one lower-is-better metric? Put it in `my_answer`.
        """
    ),
    code(
        """
        my_answer = None  # your answer: delta_m, a number (0.1 for +10%)

        measured = delta_m({"fine": 1.0}, {"fine": 1.25}, lower_is_better={"fine"})
        check.answer(my_answer, measured, "delta_m of a loss", atol=1e-9)
        check.true(measured > 0, "a lower loss is an improvement: delta_m > 0")
        """
    ),
    md(
        """
        **Q3.** CIFAR-100 has 100 classes. What "binary accuracy" does a model that answers "no" to every
        class get? Put it in `my_answer` (a number in [0, 1]).
        """
    ),
    code(
        """
        my_answer = None  # your answer: the binary accuracy

        no = torch.zeros(10, 100)
        truth = nn.functional.one_hot(torch.arange(10), 100).float()
        binary_accuracy = ((no > 0.5).float() == truth).float().mean().item()
        check.answer(my_answer, binary_accuracy, "binary accuracy of 'no to all 100'", atol=1e-6)
        """
    ),
    md(
        r"""
        ## Summary

        - Picking the best epoch on the test set reports a maximum of noisy numbers: an optimistic bias you
          measured against untouched data. Validation selection does not have it.
        - One seed is one sample: report a mean with a t-interval over seeds, and pair MTL with STL by seed.
        - $\Delta_m$ summarises the relative gain over single-task baselines; a superclass head must also
          beat reading the superclass off the class head.
        - Binary cross-entropy on a softmax shrinks and distorts the gradient and invites a meaningless
          "binary accuracy"; use softmax cross-entropy for one-of-$K$ labels.
        - Compare STL and MTL at equal budgets: off the diagonal, the "effect" is whatever you want it to be.

        *References:* K.-K. Maninis, I. Radosavovic, I. Kokkinos, *Attentive Single-Tasking of Multiple
        Tasks*, CVPR 2019. S. Vandenhende et al., *Multi-Task Learning for Dense Prediction Tasks: A
        Survey*, TPAMI 2021. G. C. Cawley, N. L. C. Talbot, *On Over-fitting in Model Selection and
        Subsequent Selection Bias in Performance Evaluation*, JMLR 2010. X. Bouthillier et al.,
        *Accounting for Variance in Machine Learning Benchmarks*, MLSys 2021.
        """
    ),
]
