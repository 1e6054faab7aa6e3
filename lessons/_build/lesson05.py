"""Source of lessons/05_balancing_tasks.ipynb (run this file to rebuild the notebook).

The later sections are in lesson05_part2.py; this file lists the first ones and assembles them all.
"""

from __future__ import annotations

from lesson05_part2 import CELLS as PART2
from nbbuild import code, defaults, header, md, parameters, setup, write

FILE = "05_balancing_tasks.ipynb"

CELLS = [
    header(
        FILE,
        "Lesson 5 — Balancing tasks: static, uncertainty, DWA, GradNorm and PCGrad",
        [
            "explain why the weights $\\lambda_t$ of $\\sum_t \\lambda_t \\mathcal{L}_t$ matter and measure "
            "the imbalance between two tasks' gradients;",
            "grid-search the study's static mix $\\gamma\\,\\mathcal{L}_\\text{fine} + (1-\\gamma)\\,"
            "\\mathcal{L}_\\text{coarse}$;",
            "build uncertainty weighting and Dynamic Weight Average by hand and check them against "
            "`mtlkit.weighting`;",
            "state what GradNorm and PCGrad do to the *gradients*, and project two conflicting gradients "
            "by hand;",
            "compare all methods by their weights over epochs, and explore them with an interactive widget.",
        ],
        55,
        intro="""
        Every multi-task model of lessons 1–4 minimised $\\sum_t \\mathcal{L}_t$: all weights 1. But the
        fine task has 12 classes and the coarse task 4, so their losses start at different scales
        ($\\log 12$ vs $\\log 4$) and fall at different speeds. This lesson asks how much each task should
        count, and surveys the main answers.

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
        WIDTH = None  # channels of the tiny CNN's first block
        TRAIN_SIZE = None  # images in the shapes train pool (90% train, 10% validation)
        EPOCHS = None  # DWA needs three epochs before its weights move
        BATCH_SIZE = None
        LR = 2e-3
        GAMMAS = None  # the static grid of gamma values
        TEMPERATURE = 2.0  # DWA
        GRADNORM_ALPHA = 1.5  # GradNorm
        """
    ),
    defaults(
        """
        WIDTH = WIDTH if WIDTH is not None else (8 if SMOKE else 16)
        TRAIN_SIZE = TRAIN_SIZE if TRAIN_SIZE is not None else (480 if SMOKE else 4000)
        EPOCHS = EPOCHS if EPOCHS is not None else (3 if SMOKE else 10)
        BATCH_SIZE = BATCH_SIZE if BATCH_SIZE is not None else (64 if SMOKE else 128)
        GAMMAS = GAMMAS if GAMMAS is not None else ([0.2, 0.8] if SMOKE else [0.0, 0.2, 0.4, 0.5, 0.6, 0.8, 1.0])
        print(
            f"smoke mode: {SMOKE}; WIDTH={WIDTH}, TRAIN_SIZE={TRAIN_SIZE}, EPOCHS={EPOCHS}, BATCH_SIZE={BATCH_SIZE}, "
            f"GAMMAS={GAMMAS}"
        )
        """
    ),
    setup(),
    code(
        """
        import itertools
        import math

        import matplotlib.pyplot as plt
        import torch
        from matplotlib.ticker import MaxNLocator
        from torch import nn

        from mtlkit import check
        from mtlkit.data import DeviceLoader, load
        from mtlkit.models import build
        from mtlkit.train import fit
        from mtlkit.weighting import DWA, Uncertainty, create
        from mtlkit.weighting.gradnorm import last_shared_layer
        from mtlkit.weighting.pcgrad import project_conflicting

        torch.manual_seed(SEED)
        train = load("shapes", "train", size=TRAIN_SIZE)
        val = load("shapes", "val", size=TRAIN_SIZE)
        tasks = dict(train.tasks)
        print(train, val, sep="\\n")
        print("tasks:", tasks, "| smoke mode:", SMOKE)


        def new_model():
            \"\"\"Hard sharing on the tiny CNN, always from the same initial weights.\"\"\"
            torch.manual_seed(SEED)
            return build("hard", "tiny_cnn", tasks, backbone_kwargs={"width": WIDTH})


        def train_with(weighting, epochs=EPOCHS):
            \"\"\"Train a fresh model with `weighting`; return fit's History (selected on validation).\"\"\"
            model = new_model()
            return fit(
                model,
                train,
                val,
                weighting=weighting,
                epochs=epochs,
                batch_size=BATCH_SIZE,
                lr=LR,
                seed=SEED,
                progress=False,
            )
        """
    ),
    md(
        r"""
        ## 1. Why the weights matter

        The shared parameters receive $\sum_t \lambda_t \nabla_{\theta_\text{sh}} \mathcal{L}_t$ (lesson 1).
        If one task's gradient is much larger, it dominates the shared features whatever the other task
        needs. Let us measure the two gradients at the **last shared layer** (the layer GradNorm will
        balance) on a few batches of an untrained model.
        """
    ),
    code(
        """
        model = new_model()
        layer = last_shared_layer(model.shared_parameters())
        loader = DeviceLoader(train, BATCH_SIZE, "cpu", shuffle=True, seed=SEED)
        norms = {task: [] for task in tasks}
        for images, labels in itertools.islice(loader, 5):  # five batches
            logits = model(images)
            for task in tasks:
                loss = nn.functional.cross_entropy(logits[task], labels[task])
                (grad,) = torch.autograd.grad(loss, [layer], retain_graph=True)
                norms[task].append(grad.norm().item())
        for task in tasks:
            print(
                f"{task:>6}: initial loss ~ log {tasks[task]} = {math.log(tasks[task]):.2f}; "
                f"gradient norm at the last shared layer {sum(norms[task]) / len(norms[task]):.4f}"
            )
        ratio = sum(norms["fine"]) / sum(norms["coarse"])
        print(f"fine / coarse gradient norm: {ratio:.2f}")
        """
    ),
    md(
        r"""
        Compare the printed ratio with the ratio of the initial losses: gradient size and loss size are
        different things, and both change during training as the tasks learn at different speeds. Which
        task *should* pull harder is not obvious either. The methods below answer it in four ways — by hand (a grid over a static weight), by a
        probabilistic argument (uncertainty), by the speed of learning (DWA), and by looking at the
        gradients themselves (GradNorm, PCGrad).

        ## 2. Static weights: the study's $\gamma$

        The 2023 study combined its heads as $\gamma\,\mathcal{L}_\text{fine} + (1-\gamma)\,\mathcal{L}_\text{coarse}$
        with a hand-picked $\gamma$. `create("static", tasks, gamma=g)` builds exactly that. A grid over
        $\gamma$ is the honest baseline every adaptive method has to beat — and the grid must be judged on
        the **validation** split (lesson 6 explains why never on the test split).
        """
    ),
    code(
        """
        grid = {}
        for gamma in GAMMAS:
            history = train_with(create("static", tasks, gamma=gamma))
            grid[gamma] = history.best["val"]
            check.close(
                history.weight_series("fine"),
                [gamma] * EPOCHS,
                what=f"gamma={gamma}: fine weight is gamma every epoch",
            )

        fig, ax = plt.subplots(figsize=(6, 3.5))
        for task in tasks:
            ax.plot(GAMMAS, [grid[g][task]["acc"] for g in GAMMAS], "o-", label=task)
        ax.set_xlabel("gamma (weight of the fine loss)")
        ax.set_ylabel("validation accuracy (selected epoch)")
        ax.set_title("The static grid")
        ax.legend()
        plt.show()
        best_gamma = max(GAMMAS, key=lambda g: (grid[g]["fine"]["acc"] + grid[g]["coarse"]["acc"]) / 2)
        print(f"best gamma by mean validation accuracy: {best_gamma}")
        """
    ),
    md(
        r"""
        Note the extremes: $\gamma = 1$ trains the fine task alone (the coarse head is never trained),
        $\gamma = 0$ the coarse task alone. A grid costs one training run per value — affordable here,
        expensive for a ResNet-152 on CIFAR-100, and it grows exponentially with the number of tasks.

        ## 3. Uncertainty weighting, by hand

        Kendall, Gal & Cipolla (CVPR 2018) treat each task's loss as a likelihood with its own noise
        $\sigma_t$ and learn $s_t = \log \sigma_t^2$ together with the network:

        $$\mathcal{L} = \sum_t \tfrac12 e^{-s_t}\,\mathcal{L}_t + \tfrac12 s_t .$$

        The first term down-weights a noisy task, the second stops $s_t$ from growing without bound. For a
        fixed $\mathcal{L}_t$, setting $\partial\mathcal{L}/\partial s_t = \tfrac12 - \tfrac12 e^{-s_t}\mathcal{L}_t = 0$ gives
        $s_t^* = \log \mathcal{L}_t$: **the effective weight $\tfrac12 e^{-s_t^*} = 1/(2\mathcal{L}_t)$ is
        inversely proportional to the task's loss.** The harder (higher-loss) task counts less.
        """
    ),
    code(
        """
        class HandUncertainty(nn.Module):
            \"\"\"total = sum_t 0.5 * exp(-s_t) * L_t + 0.5 * s_t, with learnable s = log sigma^2 (init 0).\"\"\"

            def __init__(self, task_names):
                super().__init__()
                self.task_names = list(task_names)
                self.s = nn.Parameter(torch.zeros(len(self.task_names)))

            def forward(self, losses):
                total = 0
                for i, task in enumerate(self.task_names):
                    total = total + 0.5 * torch.exp(-self.s[i]) * losses[task] + 0.5 * self.s[i]
                return total

            def weights(self):
                return {task: 0.5 * math.exp(-self.s[i].item()) for i, task in enumerate(self.task_names)}


        hand, lib = HandUncertainty(tasks), Uncertainty(tasks)
        with torch.no_grad():
            hand.s.copy_(torch.tensor([0.3, -0.7]))
            lib.log_vars.copy_(torch.tensor([0.3, -0.7]))
        losses = {"fine": torch.tensor(2.1, requires_grad=True), "coarse": torch.tensor(0.6, requires_grad=True)}
        ours, theirs = hand(losses), lib(losses)
        check.close(ours, theirs, atol=1e-6, what="hand-built uncertainty total = mtlkit's Uncertainty")
        (g_ours,) = torch.autograd.grad(ours, [hand.s])
        (g_theirs,) = torch.autograd.grad(theirs, [lib.log_vars])
        check.close(g_ours, g_theirs, atol=1e-6, what="same gradient with respect to s")
        check.close(
            list(hand.weights().values()),
            list(lib.weights.values()),
            atol=1e-6,
            what="same effective weights 0.5 exp(-s)",
        )
        """
    ),
    code(
        """
        # Minimise over s alone, losses fixed: s should reach log L, the weight 1 / (2 L).
        fixed = {"fine": torch.tensor(2.0), "coarse": torch.tensor(0.25)}
        learner = HandUncertainty(tasks)
        opt = torch.optim.Adam(learner.parameters(), lr=0.05)
        path = []
        for _ in range(400):
            opt.zero_grad()
            learner(fixed).backward()
            opt.step()
            path.append(list(learner.weights().values()))
        check.close(
            learner.s.detach(), torch.log(torch.stack(list(fixed.values()))), atol=1e-2, what="s converges to log L"
        )

        fig, ax = plt.subplots(figsize=(6, 3.2))
        for i, task in enumerate(tasks):
            ax.plot([p[i] for p in path], label=f"{task}: L = {fixed[task].item()}")
            ax.axhline(1 / (2 * fixed[task].item()), ls=":", color="gray")
        ax.set_xlabel("optimiser step (losses held fixed)")
        ax.set_ylabel("weight 0.5 exp(-s)")
        ax.set_title("Uncertainty weighting: weight -> 1 / (2 L) (dotted)")
        ax.legend()
        plt.show()
        """
    ),
    md(
        r"""
        ## 4. Dynamic Weight Average, by hand

        DWA (Liu, Johns & Davison, CVPR 2019) weights a task by how **slowly** its loss is falling. With
        $\bar{\mathcal{L}}_k(t)$ task $k$'s mean training loss in epoch $t$, $K$ tasks and a temperature $T$:

        $$w_k(t-1) = \frac{\bar{\mathcal{L}}_k(t-1)}{\bar{\mathcal{L}}_k(t-2)}, \qquad
        \lambda_k(t) = \frac{K \exp(w_k(t-1)/T)}{\sum_i \exp(w_i(t-1)/T)} ,$$

        and $\lambda_k = 1$ for the first two epochs (no two past epochs to compare). A ratio near 1 (the
        loss stalled) earns more weight than a ratio well below 1 (the task is learning fast). A large $T$
        flattens all weights towards 1. It needs only the epoch losses, no extra backward pass.
        """
    ),
    code(
        """
        def dwa_weights(epoch_losses, temperature):
            \"\"\"DWA weights for every epoch, from the list of epoch-mean losses {task: loss} that preceded it.\"\"\"
            names = list(epoch_losses[0])
            weights = []
            for t in range(len(epoch_losses)):
                if t < 2:
                    weights.append(dict.fromkeys(names, 1.0))
                    continue
                ratios = [epoch_losses[t - 1][k] / epoch_losses[t - 2][k] for k in names]
                exps = [math.exp(r / temperature) for r in ratios]
                weights.append({k: len(names) * e / sum(exps) for k, e in zip(names, exps, strict=True)})
            return weights


        dwa_history = train_with(DWA(tasks, temperature=TEMPERATURE))
        epoch_losses = [{task: r["train"][task]["loss"] for task in tasks} for r in dwa_history.epochs]
        hand_weights = dwa_weights(epoch_losses, TEMPERATURE)
        for task in tasks:
            check.close(
                [w[task] for w in hand_weights],
                dwa_history.weight_series(task),
                atol=1e-6,
                what=f"hand-built DWA = mtlkit's DWA during training ({task})",
            )

        replay = DWA(tasks, temperature=TEMPERATURE)  # the same losses, fed by hand
        for t, losses_t in enumerate(epoch_losses[:-1]):
            replay.epoch_end(losses_t)
            check.close(
                list(replay.weights.values()),
                list(hand_weights[t + 1].values()),
                atol=1e-9,
                what=f"DWA.epoch_end after epoch {t + 1}",
            )
        """
    ),
    *PART2,
]

if __name__ == "__main__":
    write(FILE, CELLS)
