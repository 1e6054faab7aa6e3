"""The cells of lessons/03_backbones.ipynb from "Part B — Residual networks and ResNet-152" on.

lessons/_build/lesson03.py puts them after its own cells; run it to rebuild the notebook.
"""

from __future__ import annotations

from nbbuild import code, md

CELLS = [
    md(
        r"""
        # Part B — Residual networks and ResNet-152

        A residual block learns a *correction* to its input: $y = \operatorname{ReLU}(x + F(x))$ (He et
        al., 2016). Its Jacobian is $I + \partial F / \partial x$: even if $F$'s gradient is tiny, the
        identity carries the signal back through 150 layers. ResNet-152 stacks **bottleneck** blocks —
        $1\times1$ conv to reduce the channels by 4, a $3\times3$ conv, a $1\times1$ conv to expand them
        again, each followed by batch norm — with a $1\times1$ *projection shortcut* when the shape
        changes. Stages of 3, 8, 36 and 3 blocks: $3 \cdot (3 + 8 + 36 + 3) = 150$ convolutions, plus
        the stem convolution and the final classifier, make 152 layers.
        """
    ),
    code(
        """
        class Bottleneck(nn.Module):
            \"\"\"relu(x + BN(1x1(relu(BN(3x3(relu(BN(1x1(x))))))))), with a projection when shapes differ.\"\"\"

            def __init__(self, c_in, width, stride=1, expansion=4):
                super().__init__()
                c_out = width * expansion
                self.conv1, self.bn1 = nn.Conv2d(c_in, width, 1, bias=False), nn.BatchNorm2d(width)
                self.conv2, self.bn2 = (
                    nn.Conv2d(width, width, 3, stride, padding=1, bias=False),
                    nn.BatchNorm2d(width),
                )
                self.conv3, self.bn3 = nn.Conv2d(width, c_out, 1, bias=False), nn.BatchNorm2d(c_out)
                self.shortcut = nn.Identity()
                if stride != 1 or c_in != c_out:
                    self.shortcut = nn.Sequential(
                        nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out)
                    )

            def forward(self, x):
                out = F.relu(self.bn1(self.conv1(x)))
                out = F.relu(self.bn2(self.conv2(out)))
                out = self.bn3(self.conv3(out))
                return F.relu(out + self.shortcut(x))  # the residual connection


        r152 = create("resnet152", stem="cifar")
        theirs = r152.stages[2][0]  # layer2's first block: 256 -> 512 channels, stride 2, projection shortcut
        ours = Bottleneck(256, 128, stride=2)
        with torch.no_grad():
            theirs.train()(torch.randn(4, 256, 16, 16) * 2 + 1)  # non-trivial batch-norm statistics
        ours.load_state_dict(dict(zip(ours.state_dict(), theirs.state_dict().values(), strict=True)))
        ours.eval()
        theirs.eval()
        h = torch.randn(2, 256, 16, 16)
        with torch.no_grad():
            check.close(ours(h), theirs(h), atol=1e-5, what="hand-built bottleneck matches ResNet-152's layer2[0]")

        blocks = [len(stage) for stage in r152.stages[1:]]
        check.equal(blocks, [3, 8, 36, 3], "bottleneck blocks per stage")
        check.equal(1 + 3 * sum(blocks) + 1, 152, "stem conv + 3 convs per block + classifier = 152 layers")
        """
    ),
    md(
        r"""
        ## B2. The stem: ImageNet vs CIFAR

        ResNet was designed for 224×224 ImageNet images. Its **ImageNet stem** — a 7×7 stride-2
        convolution and a 3×3 stride-2 max-pool — divides the resolution by 4 before the first block, and
        the stages divide it by 2 three more times: $224 \to 56 \to 7$. On a 32×32 CIFAR image the same
        network gives $32 \to 8 \to 1$: the last stage sees a **single position**. The 2023 study used
        this stem. The **CIFAR stem** (He et al., 2016, §4.2) is one 3×3 stride-1 convolution and no
        pooling: $32 \to 32 \to 4$.
        """
    ),
    code(
        """
        r152_imagenet = create("resnet152", stem="imagenet")
        stems = {"cifar": r152, "imagenet": r152_imagenet}
        sides = {}
        with torch.no_grad():
            for stem, net in stems.items():
                net.eval()
                h, sides[stem] = x[:2], []
                for stage in net.stages:
                    h = stage(h)
                    sides[stem].append(h.shape[-1])
                print(f"{stem:>8} stem: spatial side after stem, layer1..4 = {sides[stem]}")
        check.equal(sides["imagenet"][-1], 1, "ImageNet stem: layer4 sees a 1x1 map")

        names = ["stem", "layer1", "layer2", "layer3", "layer4"]
        fig, ax = plt.subplots(figsize=(6, 3.2))
        for stem, values in sides.items():
            ax.plot(names, values, marker="o", label=f"{stem} stem")
        ax.set_yscale("log", base=2)
        ax.set_ylabel("feature-map side (pixels)")
        ax.set_title("ResNet-152 on a 32x32 image")
        ax.legend()
        plt.show()
        """
    ),
    md(
        r"""
        **Why 1×1 hurts.** A 3×3 convolution on a 1×1 map (padded with zeros) only ever multiplies its
        *centre* weight by a real input: the other 8 of its 9 taps see padding. In layer4 of the ImageNet
        stem, blocks 2 and 3 run their 3×3 convolutions on 1×1 maps. If that is true, zeroing their
        outer taps must leave the network's output **exactly** unchanged — let us check, and count the
        parameters that can never matter.
        """
    ),
    code(
        """
        net = r152_imagenet
        layer4 = net.stages[4]
        with torch.no_grad():
            before = net(x[:4])
            dead = 0
            for block in list(layer4)[1:]:  # blocks after the first run on 1x1 maps
                weight = block.conv2.weight  # [C, C, 3, 3]
                centre = weight[:, :, 1, 1].clone()
                dead += weight.numel() - centre.numel()
                weight.zero_()
                weight[:, :, 1, 1] = centre
            after = net(x[:4])
        check.close(after, before, atol=1e-5, what="zeroing the outer 3x3 taps of layer4's 1x1 convs changes nothing")
        total = sum(p.numel() for p in net.parameters())
        in_layer4 = sum(p.numel() for p in layer4.parameters())
        print(f"{dead:,} of ResNet-152's {total:,} parameters ({dead / total:.1%}) can never affect a 32x32 input;")
        print(
            f"layer4 holds {in_layer4:,} parameters ({in_layer4 / total:.0%}) and sees one position, no spatial layout."
        )
        """
    ),
    md(
        """
        Beyond the wasted weights, the early downsampling throws away detail before any feature is
        learned: a 7×7 stride-2 convolution and a max-pool on a 32×32 image keep an 8×8 map after only
        one layer. A small experiment with the cheaper ResNet-18 (same stems, same resolutions) on the
        `shapes` data (the cell prints how long each model trained):
        """
    ),
    code(
        """
        from mtlkit.models import SingleTask
        from mtlkit.train import evaluate, fit

        train, val, test = (load("shapes", s, size=STEM_TRAIN_SIZE) for s in ("train", "val", "test"))
        stem_acc = {}
        for stem in ("cifar", "imagenet"):
            torch.manual_seed(SEED)
            model = SingleTask(create("resnet18", stem=stem), "fine", train.tasks["fine"])
            history = fit(
                model, train, val, epochs=STEM_EPOCHS, batch_size=BATCH_SIZE, lr=2e-3, seed=SEED, progress=False
            )
            stem_acc[stem] = evaluate(model, test)["fine"]["acc"]
            seconds = sum(r["seconds"] for r in history.epochs)
            print(f"resnet18, {stem:>8} stem: test accuracy {stem_acc[stem]:.1%} ({seconds:.1f} s of training)")

        fig, ax = plt.subplots(figsize=(4, 3))
        ax.bar(list(stem_acc), list(stem_acc.values()), color=["tab:green", "tab:red"])
        ax.axhline(1 / train.tasks["fine"], ls=":", color="gray", label="chance")
        ax.set_ylabel("test accuracy (fine)")
        ax.set_title(f"ResNet-18 on shapes, {STEM_EPOCHS} epoch(s)")
        ax.legend()
        plt.show()
        """
    ),
    md(
        """
        The CIFAR stem costs far more compute (the early stages run at 32×32 instead of 8×8) — which
        is exactly why it keeps more information. One seed, a short run: treat the gap as a hint, not a
        result (lesson 6).

        # Part C — Parameters and FLOPs of the course's backbones

        `count_parameters` counts weights; `count_flops` runs one 32×32 image through the network under
        PyTorch's FLOP counter (a multiply-add counts 2).
        """
    ),
    code(
        """
        specs = {
            "tiny_cnn": {},
            "resnet18 (cifar)": {"name": "resnet18"},
            "resnet152 (imagenet)": {"model": r152_imagenet},
            "resnet152 (cifar)": {"model": r152},
            "vit_tiny": {"name": "vit_tiny"},
            "vit_small": {"name": "vit_small"},
        }
        table = {}
        for label, spec in specs.items():
            model = spec.get("model") or create(spec.get("name", label))
            table[label] = (sum(p.numel() for p in model.parameters()), count_flops(model))
        print(f"{'backbone':<22}{'parameters':>14}{'GFLOPs / image':>16}")
        for label, (params, flops) in table.items():
            print(f"{label:<22}{params:>14,}{flops / 1e9:>16.3f}")

        fig, ax = plt.subplots(figsize=(6, 4))
        for label, (params, flops) in table.items():
            ax.scatter(params, flops, s=40)
            ax.annotate(label, (params, flops), fontsize=8, xytext=(4, 4), textcoords="offset points")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("parameters")
        ax.set_ylabel("FLOPs per 32x32 image")
        ax.set_title("Size is not cost: the stem and the token count decide the FLOPs")
        plt.show()
        ratio = table["resnet152 (cifar)"][1] / table["resnet152 (imagenet)"][1]
        print(f"ResNet-152: nearly the same parameter count, {ratio:.0f}x the FLOPs with the CIFAR stem.")
        check.equal(
            table["resnet152 (cifar)"][0] - table["resnet152 (imagenet)"][0],
            3 * 64 * 9 - 3 * 64 * 49,
            "the stems differ only in the first conv (3x3 vs 7x7)",
        )
        """
    ),
    md(
        """
        ## Self-check

        **Q1.** Halving the patch size to $P = 2$ multiplies the number of tokens by 4. By how much does it
        multiply a ViT block's FLOPs at $D = 192$? Predict it with the formula of A5 (two decimals are
        enough), put it in `my_answer`, then measure.
        """
    ),
    code(
        """
        my_answer = None  # your answer: the factor, a number

        measured = [count_flops(create("vit_tiny", depth=1, patch_size=p)) for p in (4, 2)]
        embed = [2 * n * 3 * p * p * 192 for n, p in ((64, 4), (256, 2))]  # subtract the patch embedding
        ratio = (measured[1] - embed[1]) / (measured[0] - embed[0])
        check.answer(my_answer, ratio, "patch 2 vs 4: block FLOPs ratio", atol=0.01)
        """
    ),
    md(
        """
        **Q2.** With the ImageNet stem, what feature-map side would layer4 see on a 64×64 image? Work it
        out ($64 \\to$ stem $\\to$ layer1 $\\to \\dots$), put it in `my_answer`, then check with ResNet-18
        (same stem and strides).
        """
    ),
    code(
        """
        my_answer = None  # your answer: layer4's side in pixels

        with torch.no_grad():
            side = create("resnet18", stem="imagenet").eval().forward_stages(torch.zeros(1, 3, 64, 64)).shape[-1]
        check.answer(my_answer, side, "64x64 image, ImageNet stem: layer4's side")
        """
    ),
    md(
        """
        ## Summary

        - A ViT is patches → linear embedding + position → $L$ pre-norm blocks of multi-head attention and
          MLP → norm → pooling; our hand-built one equals mtlkit's (timm's) to $10^{-5}$, stage by stage.
        - Its cost is $L(24ND^2 + 4N^2D)$ FLOPs: the patch size, through $N$, matters as much as $D$.
        - ResNet-152 is 50 bottleneck blocks with identity (or projection) shortcuts. With the ImageNet
          stem a 32×32 image shrinks to 1×1 in layer4, so most of its 3×3 weights there can never act;
          the CIFAR stem keeps a 4×4 map, at many times the compute (Part C).
        - When you compare ViT and ResNet-152 (RQ1, RQ3), say which stem, how many parameters and how many
          FLOPs: "ResNet-152" alone does not define the model.

        **Next:** lesson 4 — hard vs soft sharing and cross-stitch networks.

        *References:* A. Dosovitskiy et al., *An Image is Worth 16x16 Words*, ICLR 2021. K. He et al.,
        *Deep Residual Learning for Image Recognition*, CVPR 2016. L. Beyer, X. Zhai, A. Kolesnikov,
        *Better plain ViT baselines for ImageNet-1k*, arXiv:2205.01580, 2022.
        """
    ),
]
