"""The cells of lessons/02_data_and_hierarchies.ipynb from "3. The coarse-from-fine baseline" on.

lessons/_build/lesson02.py puts them after its own cells; run it to rebuild the notebook.
"""

from __future__ import annotations

from nbbuild import code, md

CELLS = [
    md(
        r"""
        ## 3. The coarse-from-fine baseline

        A network trained only on the **fine** task outputs $p(y \mid x)$ for every class. Because
        $c = g(y)$, it already predicts the superclass, in two ways:

        $$\hat c_{\text{map}} = g\Big(\arg\max_y\, p(y \mid x)\Big), \qquad
        \hat c_{\text{sum}} = \arg\max_c \sum_{y:\, g(y) = c} p(y \mid x).$$

        The second is the Bayes rule for the coarse task *if* the fine probabilities are right, since
        $p(c \mid x) = \sum_{y \in g^{-1}(c)} p(y \mid x)$. The first is what `mtlkit.train.evaluate`
        reports as `coarse_from_fine`. With the map rule the *coarse accuracy of a fine model is at least
        its fine accuracy*: every correct class gives a correct superclass, and some wrong classes still
        land in the right superclass. The sum rule has no such guarantee: with $p = (0.4 \mid 0.3, 0.3)$
        (class 1 alone in its superclass, classes 2 and 3 together in another) and class 1 the truth, the
        argmax class is right but the sum rule picks the other superclass ($0.6 > 0.4$).

        Let us train, on the fly and with the same budget, an STL-fine and an STL-coarse model on the
        dataset under study, and compare their coarse predictions.
        """
    ),
    code(
        """
        from mtlkit.backbones import create
        from mtlkit.data import DeviceLoader
        from mtlkit.models import SingleTask
        from mtlkit.train import evaluate, fit

        if NAME == "shapes":
            size = max(TRAIN_LIMIT, 1200)
            train, val, test = (load("shapes", split, size=size) for split in ("train", "val", "test"))
        else:
            train, val, test = (load(NAME, split) for split in ("train", "val", "test"))
        train = train.take(TRAIN_LIMIT)
        val, test = val.take(max(TRAIN_LIMIT // 5, 240)), test.take(max(TRAIN_LIMIT // 2, 480))
        tasks = train.tasks
        print(f"{NAME}: train {len(train)}, val {len(val)}, test {len(test)} images; tasks {tasks}")

        models = {}
        for task in ("fine", "coarse"):
            torch.manual_seed(SEED)
            models[task] = SingleTask(create("tiny_cnn", width=WIDTH), task, tasks[task])
            fit(models[task], train, val, epochs=EPOCHS, batch_size=BATCH_SIZE, lr=2e-3, seed=SEED, progress=False)
        stl_fine, stl_coarse = evaluate(models["fine"], test), evaluate(models["coarse"], test)
        print("STL-fine on test:  ", {k: round(v["acc"], 4) for k, v in stl_fine.items()})
        print("STL-coarse on test:", {k: round(v["acc"], 4) for k, v in stl_coarse.items()})
        """
    ),
    md(
        """
        `evaluate` gave us `coarse_from_fine` (the map rule). Now compute both rules by hand from the
        fine model's probabilities — and check the map rule against mtlkit.
        """
    ),
    code(
        """
        @torch.no_grad()
        def fine_probabilities(model, ds):
            model.eval()
            batches = [
                model(images)["fine"].float().softmax(dim=1).cpu()
                for images, _ in DeviceLoader(ds, 500, device, shuffle=False)
            ]
            return torch.cat(batches)


        p_fine = fine_probabilities(models["fine"].to(device), test)  # [N, K]
        g = test.coarse_of_fine
        y, c = test.labels["fine"], test.labels["coarse"]
        c_map = g[p_fine.argmax(dim=1)]
        p_coarse = torch.zeros(len(p_fine), tasks["coarse"]).index_add_(1, g, p_fine)  # sum over each superclass
        c_sum = p_coarse.argmax(dim=1)

        acc = {
            "fine (fine head)": (p_fine.argmax(dim=1) == y).float().mean().item(),
            "coarse from fine: map": (c_map == c).float().mean().item(),
            "coarse from fine: sum": (c_sum == c).float().mean().item(),
            "coarse (STL coarse head)": stl_coarse["coarse"]["acc"],
        }
        for k, v in acc.items():
            print(f"{k:>26}: {v:.1%}")
        check.close(
            acc["coarse from fine: map"],
            stl_fine["coarse_from_fine"]["acc"],
            atol=1e-6,
            what="hand-computed map rule = mtlkit's coarse_from_fine",
        )
        check.true(
            acc["coarse from fine: map"] >= acc["fine (fine head)"], "coarse-from-fine accuracy >= fine accuracy"
        )
        check.close(
            p_coarse.sum(dim=1), torch.ones(len(p_coarse)), atol=1e-5, what="superclass probabilities sum to 1"
        )
        """
    ),
    code(
        """
        fig, ax = plt.subplots(figsize=(7, 3.5))
        colors = ["tab:blue", "tab:cyan", "tab:cyan", "tab:orange"]
        ax.bar(range(len(acc)), list(acc.values()), color=colors)
        ax.set_xticks(range(len(acc)), [k.replace(": ", ":\\n").replace(" (", "\\n(") for k in acc], fontsize=8)
        counts = torch.bincount(c, minlength=tasks["coarse"])
        ax.axhline(counts.max().item() / len(c), ls=":", color="gray", label="coarse majority baseline")
        ax.axhline(1 / tasks["fine"], ls="--", color="gray", label="fine chance")
        ax.set_ylabel("test accuracy")
        ax.set_title(f"{NAME}: the fine model already predicts the superclass")
        ax.legend(fontsize=8)
        plt.show()

        fine_errors = p_fine.argmax(dim=1) != y
        within = (c_map[fine_errors] == c[fine_errors]).float().mean().item() if fine_errors.any() else float("nan")
        members = torch.bincount(g).float()
        random_within = (
            ((members[g[y]] - 1) / (tasks["fine"] - 1))[fine_errors].mean().item()
            if fine_errors.any()
            else float("nan")
        )
        print(
            f"{within:.1%} of the fine model's mistakes stay inside the right superclass; "
            f"a random wrong class would stay inside it {random_within:.1%} of the time."
        )
        """
    ),
    md(
        r"""
        When the first number is much larger than the second, the fine model's mistakes are
        *semantically structured*: it confuses a seal with an otter more often than with a truck. That is
        coarse knowledge the fine head learned without ever seeing a coarse label.

        ## 4. Why "MTL helps the superclass" is a subtle claim

        **The coarse label adds no information.** Since $c = g(y)$, the conditional entropy
        $H(c \mid y) = 0$: knowing the class, the superclass is certain. A multi-task model trained on
        (class, superclass) sees exactly the same information as a single-task class model. Whatever MTL
        changes, it changes through the *inductive bias* of the extra loss (lesson 1), not through new
        supervision. Let us confirm this from the labels themselves.
        """
    ),
    code(
        """
        def conditional_entropy(a, b, ka, kb):
            \"\"\"H(a | b) in bits, from the joint counts of two label vectors.\"\"\"
            joint = torch.zeros(ka, kb).index_put_((a, b), torch.ones(len(a)), accumulate=True)
            p_ab = joint / joint.sum()
            p_b = p_ab.sum(dim=0, keepdim=True)
            ratio = torch.where(p_ab > 0, p_ab / p_b, torch.ones_like(p_ab))
            return max(0.0, -(p_ab * ratio.log2()).sum().item())  # max: print 0.0, not -0.0


        k_fine, k_coarse = tasks["fine"], tasks["coarse"]
        h_c_given_y = conditional_entropy(train.labels["coarse"], train.labels["fine"], k_coarse, k_fine)
        h_y_given_c = conditional_entropy(train.labels["fine"], train.labels["coarse"], k_fine, k_coarse)
        print(
            f"H(coarse | fine) = {h_c_given_y:.4f} bits;  H(fine | coarse) = {h_y_given_c:.3f} bits "
            f"(log2 of {k_fine // k_coarse} members = {math.log2(k_fine / k_coarse):.3f} for equal superclasses)"
        )
        check.close(
            h_c_given_y, 0.0, atol=1e-6, what="the superclass is a function of the class: H(coarse | fine) = 0"
        )
        """
    ),
    md(
        """
        **So what should RQ2 compare against?** RQ2 asks whether a multi-task model beats two separate
        single-task models; on the superclass task, the 2023 study compared the MTL superclass head with
        an STL superclass model. But a
        practitioner who wants superclasses and already has a class model gets the superclass for free,
        through $g$. An honest answer to RQ2 therefore reports three numbers:

        1. the STL superclass model (what the study compared with);
        2. **coarse-from-fine** of the STL class model (the free baseline computed above);
        3. the MTL superclass head — and, for completeness, coarse-from-fine of the *MTL* class head.

        "MTL helps the superclass" means beating (1) **and** (2). On CIFAR-10 the bar is high: animal vs
        vehicle is nearly solved by any decent class model, and 60% is free. The capstone (lesson 7)
        answers RQ1–RQ3 with these baselines, several seeds and validation-based model selection.
        """
    ),
    md(
        """
        ## Self-check

        **Q1.** For CIFAR-100, if a class model is right 50% of the time and its mistakes fell on a
        *uniformly random* wrong class, what coarse-from-fine accuracy would it get? (Each superclass has
        5 classes.) Work it out, put the number in `my_answer`, then check it on a simulated model.
        """
    ),
    code(
        """
        my_answer = None  # your answer: the coarse-from-fine accuracy, a number in [0, 1]

        gen = torch.Generator().manual_seed(0)
        n = 200_000
        true_y = torch.randint(0, 100, (n,), generator=gen)
        right = torch.rand(n, generator=gen) < 0.5
        wrong = (true_y + torch.randint(1, 100, (n,), generator=gen)) % 100  # a uniformly random other class
        pred = torch.where(right, true_y, wrong)
        g100 = torch.arange(100) // 5  # a CIFAR-100-like map: 20 superclasses of 5 classes
        simulated = (g100[pred] == g100[true_y]).float().mean().item()
        print(f"simulation: {simulated:.4f}")
        check.answer(my_answer, simulated, "coarse-from-fine of a random-mistake model", atol=5e-3)
        """
    ),
    md(
        """
        **Q2.** Why must the *sum* rule be at least as good as the *map* rule when the fine probabilities
        are exactly right, but can lose in practice? (Hint: the sum rule trusts small probabilities,
        which an over-confident or under-trained network gets wrong. Compare the two bars above.)

        ## Summary

        - A coarse task is a table $g$ from classes to superclasses; mtlkit stores it as
          `coarse_of_fine` and evaluates the **coarse-from-fine** baseline for every fine model.
        - The superclass is a function of the class: $H(c \\mid y) = 0$, so MTL adds no information,
          only an inductive bias.
        - "MTL improves superclass accuracy" must beat the STL superclass model **and** the
          coarse-from-fine baseline (and, on CIFAR-10, the 60% majority class).

        **Next:** lesson 3 opens the two backbones of the study, a ViT and a ResNet-152.
        """
    ),
]
