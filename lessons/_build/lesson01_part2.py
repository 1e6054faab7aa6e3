"""The cells of lessons/01_why_multitask.ipynb from "5. Training two tasks at once" on.

lessons/_build/lesson01.py puts them after its own cells; run it to rebuild the notebook.
"""

from __future__ import annotations

from nbbuild import code, md

CELLS = [
    md(
        r"""
        ## 5. Training two tasks at once

        With $\lambda_t = 1$ the loss is $\mathcal{L} = \mathcal{L}_\text{fine} + \mathcal{L}_\text{coarse}$.
        Differentiation is linear, so the gradient that reaches the shared backbone is the **sum of the
        task gradients**, $\nabla_{\theta_\text{sh}}\mathcal{L} = \sum_t \lambda_t \nabla_{\theta_\text{sh}}\mathcal{L}_t$,
        while each head only ever sees its own task's gradient. Let us verify this on one batch — it is
        the whole mechanism of hard sharing, and the starting point of every loss-weighting method in
        lesson 5.
        """
    ),
    code(
        """
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
        check.close(
            g_total, g_fine + g_coarse, atol=1e-5, rtol=1e-3, what="shared gradient = sum of the task gradients"
        )
        cosine = nn.functional.cosine_similarity(g_fine, g_coarse, dim=0).item()
        print(f"cosine similarity of the two task gradients on this batch: {cosine:+.3f}")
        """
    ),
    md(
        """
        A positive cosine means the two tasks pull the shared weights in roughly the same direction on
        this batch; a negative one means they conflict. Now the training loop itself — a plain PyTorch
        loop, nothing hidden:
        """
    ),
    code(
        """
        opt = torch.optim.AdamW(model.parameters(), lr=2e-3)
        curves = {task: [] for task in tasks}
        model.train()
        for _ in range(EPOCHS):
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
        """
    ),
    md(
        r"""
        The dotted lines mark $\log K$, the loss of a network that outputs a uniform distribution over
        $K$ classes: every model starts near it, and a model that learns anything drops below it.

        ## 6. A small experiment: STL vs MTL

        Now the real comparison, with mtlkit's trainer `fit` (the same loop plus augmentation, a
        learning-rate schedule and model selection on the validation split). Three models with the
        **same backbone, data, epochs and seed**:

        - STL-fine: `SingleTask(backbone, "fine", 12)`;
        - STL-coarse: `SingleTask(backbone, "coarse", 4)`;
        - MTL: `HardSharing(backbone, {"fine": 12, "coarse": 4})`.

        Each is selected on the validation split and tested once on the test split.
        """
    ),
    code(
        """
        from mtlkit.train import evaluate, fit


        def run(model):
            torch.manual_seed(SEED)
            fit(model, train, val, epochs=EPOCHS, batch_size=BATCH_SIZE, lr=2e-3, seed=SEED, progress=False)
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
        """
    ),
    code(
        """
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.5))
        for i, task in enumerate(tasks):
            stl = results[f"STL-{task}"][task]["acc"]
            mtl = results["MTL"][task]["acc"]
            ax1.bar([3 * i, 3 * i + 1], [stl, mtl], color=["tab:blue", "tab:orange"])
            ax1.axhline(1 / tasks[task], xmin=i / 2, xmax=(i + 1) / 2, ls=":", color="gray")
        ax1.set_xticks([0, 1, 3, 4], ["STL\\nfine", "MTL\\nfine", "STL\\ncoarse", "MTL\\ncoarse"])
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
        """
    ),
    md(
        """
        **Read this with care.** The differences above come from *one seed* on a small dataset. Rerun
        with `SEED = 1` and they will move — often by as much as the gap itself. Lesson 6 shows how to
        tell a real difference from seed noise (several seeds, paired comparisons, confidence intervals).
        The parameter saving, by contrast, is exact.

        ## 7. The 2023 study, and the questions this course revisits

        The study (M. T. Nguyen & P. Chen, ECE 6524 final project, 2023,
        [github.com/mnguyen0226/multitask_learning_vit](https://github.com/mnguyen0226/multitask_learning_vit))
        trained a **ViT** and a **ResNet-152** on **CIFAR-10** (10 classes; superclasses *animal* /
        *vehicle*) and **CIFAR-100** (100 classes; 20 superclasses), each single-task (STL) or multi-task
        (MTL) with a *class* head and a *superclass* head on a shared backbone. Its research questions,
        verbatim from the author's post (`content/posts/multitask_learning/post.md` in
        `mnguyen0226/personal_site_v2` at commit `1f82955`; also in
        `mtlkit.capstone.study.RESEARCH_QUESTIONS`):

        - **RQ1** — "Is an MTL ViT model superior in performance to an MTL Convolution-based model
          (ResNet-152)?"
        - **RQ2** — "Can an MTL ViT model achieve better results than two separate STL ViT models?"
        - **RQ3** — "Does an STL ViT model outperform an STL Convolution-based model (ResNet152) in terms
          of accuracy?"

        RQ2 is the multi-task question of this lesson; RQ1 and RQ3 compare backbones (lesson 3). Four
        flaws make the study's answers unreliable, and the course fixes each one:

        1. **No model selection on held-out data.** Each number is the test accuracy of the last (20th)
           epoch; the ViT notebooks save the best checkpoint on validation loss but never reload it. The
           ResNet notebooks train several configurations (batch size, dropout, optimiser, loss weight),
           print a *test* accuracy for each, and plot the validation accuracy under the label "Test Acc":
           whichever configuration one reports, it was compared with the others on test numbers. mtlkit
           selects the epoch on a validation split and touches the test split once (`fit` + `evaluate`,
           lesson 6).
        2. **One seed per configuration**, so a difference of a point or two cannot be told apart from
           the luck of the initialisation and data order (lesson 6). Some runs did not even train: the
           CIFAR-100 ViT single-task class model ended at chance (1.16%).
        3. **Binary cross-entropy on a 20-way softmax** (the ViT multi-task notebooks use Keras's
           `binary_crossentropy` for the superclass task, on CIFAR-100's 20-way head too): applied to the
           softmax outputs $p = \\operatorname{softmax}(z)$ and averaged over the $K$ outputs,
           $-\\frac1K\\sum_k [y_k \\log p_k + (1-y_k)\\log(1-p_k)]$, it scores each output as an independent
           yes/no question although the softmax makes them compete; 19 of every 20 targets are "no", and the
           average over $K$ shrinks the task's gradient. The softmax cross-entropy of §1 is the loss for
           one-of-$K$ labels (lesson 6, §5; lesson 5, §7 measures the implicit task weight).
        4. **Unequal budgets.** The ViT single-task models trained with batch 256 and the multi-task ones
           with batch 128, so the multi-task models took twice as many optimiser steps in their 20 epochs
           (lesson 6).

        Lesson 2 adds a fifth, subtler issue: a superclass that is a *function* of the class can be
        predicted from the class head alone, which changes what the superclass half of RQ2 should be
        compared against.
        """
    ),
    md(
        """
        ## Self-check

        Try these before moving on; each cell checks itself.

        **Q1.** For CIFAR-100 (100 classes, 20 superclasses) with the tiny CNN at width 32, how many
        parameters does hard sharing save compared with two single-task networks? Use the formulas of §3,
        put the number in `my_answer`, then let mtlkit confirm.
        """
    ),
    code(
        """
        my_answer = None  # your answer: the number of parameters saved

        w = 32
        two_stl = sum(
            count_parameters(SingleTask(create("tiny_cnn", width=w), t, k))["total"]
            for t, k in {"fine": 100, "coarse": 20}.items()
        )
        one_mtl = count_parameters(HardSharing(create("tiny_cnn", width=w), {"fine": 100, "coarse": 20}))["total"]
        check.answer(my_answer, two_stl - one_mtl, "parameters saved by hard sharing")
        """
    ),
    md(
        """
        **Q2.** In `HandHardSharing`, which parameters receive a gradient from the coarse loss alone?
        Check your answer: after `losses["coarse"].backward()`, the fine head's gradient should be
        missing while every backbone parameter has one.
        """
    ),
    code(
        """
        model.zero_grad(set_to_none=True)
        images, labels = next(iter(loader))
        nn.functional.cross_entropy(model(images)["coarse"], labels["coarse"]).backward()
        check.true(
            all(p.grad is None for p in model.heads["fine"].parameters()),
            "the fine head gets no gradient from the coarse loss",
        )
        check.true(all(p.grad is not None for p in model.backbone.parameters()), "every backbone parameter gets one")
        """
    ),
    md(
        """
        ## Summary

        - MTL minimises a weighted sum of task losses over shared and task-specific parameters; hard
          sharing shares a whole backbone and adds one head per task.
        - The shared backbone receives the **sum of the task gradients**; heads see only their own task.
        - A task costs only its head: hard sharing serves two tasks for little more than the price of one.
        - Whether it also *improves accuracy* is an empirical question, and one seed on one split cannot
          answer it.

        **Next:** lesson 2 builds the CIFAR tasks and shows why "MTL helps the superclass" needs a
        careful baseline.

        *References:* R. Caruana, *Multitask Learning*, Machine Learning 28, 1997. J. Baxter, *A Model of
        Inductive Bias Learning*, JAIR 12, 2000. S. Ruder, *An Overview of Multi-Task Learning in Deep
        Neural Networks*, arXiv:1706.05098, 2017.
        """
    ),
]
