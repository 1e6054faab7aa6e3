"""Source of lessons/02_data_and_hierarchies.ipynb (run this file to rebuild the notebook).

The later sections are in lesson02_part2.py; this file lists the first ones and assembles them all.
"""

from __future__ import annotations

from lesson02_part2 import CELLS as PART2
from nbbuild import code, defaults, header, md, parameters, setup, write

FILE = "02_data_and_hierarchies.ipynb"

CELLS = [
    header(
        FILE,
        "Lesson 2 — Data and label hierarchies",
        [
            "load CIFAR-10 (10 classes; animal / vehicle) and CIFAR-100 (100 classes; 20 superclasses) "
            "with `mtlkit.data`, and build the class and superclass tasks from one label;",
            "look at the images of each class and at the label maps, and spot class imbalance in a "
            "coarse task;",
            "compute the **coarse-from-fine** baseline from a real model trained on the fly;",
            'explain why, when the superclass is a function of the class, "MTL helps the superclass" '
            "is a subtle claim, and what RQ2 must be compared against.",
        ],
        40,
        intro="""
        The data: CIFAR is read from `$MTLKIT_DATA` (default `~/.cache/mtlkit`). If it is not there
        (and `DOWNLOAD` is off), the lesson falls back to the synthetic `shapes` data, which has the
        same two-level structure, and says so: the code and the ideas are identical.
        """,
    ),
    parameters(
        """
        # Parameters (papermill: -p NAME VALUE). None: the value for the mode, filled in by the next cell.
        import os

        SMOKE = os.environ.get("MTLKIT_SMOKE", "0") == "1"  # tiny data, one epoch: a CPU run in seconds
        SEED = 0
        DATASET = "cifar100"  # the hierarchy to study: "cifar100" (100 -> 20) or "cifar10" (10 -> 2)
        DOWNLOAD = None  # fetch CIFAR (~170 MB) when missing; None: only in Colab, and not in smoke mode
        TRAIN_LIMIT = None  # training images for the models trained on the fly
        WIDTH = None  # tiny CNN width
        EPOCHS = None
        BATCH_SIZE = 128
        """
    ),
    defaults(
        """
        import sys

        DOWNLOAD = DOWNLOAD if DOWNLOAD is not None else ("google.colab" in sys.modules and not SMOKE)
        TRAIN_LIMIT = TRAIN_LIMIT if TRAIN_LIMIT is not None else (1200 if SMOKE else 10_000)
        WIDTH = WIDTH if WIDTH is not None else (8 if SMOKE else 32)
        EPOCHS = EPOCHS if EPOCHS is not None else (1 if SMOKE else 8)
        print(f"smoke mode: {SMOKE}; DOWNLOAD={DOWNLOAD}, TRAIN_LIMIT={TRAIN_LIMIT}, WIDTH={WIDTH}, EPOCHS={EPOCHS}")
        """
    ),
    setup(),
    code(
        """
        import math

        import matplotlib.pyplot as plt
        import torch

        from mtlkit import check
        from mtlkit.data import default_root, load
        from mtlkit.errors import DataNotFoundError

        torch.manual_seed(SEED)
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


        def load_hierarchies():
            \"\"\"{name: train split} for CIFAR-10 and DATASET, or for `shapes` when CIFAR is not available.\"\"\"
            try:
                names = dict.fromkeys(["cifar10", DATASET])
                return {name: load(name, "train", download=DOWNLOAD) for name in names}
            except DataNotFoundError as error:
                print(f"CIFAR is not available in {default_root()}:\\n  {error}")
                print(">>> FALLING BACK to the synthetic `shapes` dataset (12 classes in 4 families).")
                print(">>> Same code, same ideas; the numbers below are about shapes, not CIFAR.")
                return {"shapes": load("shapes", "train", size=max(TRAIN_LIMIT, 1200))}


        data = load_hierarchies()
        NAME = DATASET if DATASET in data else "shapes"  # the dataset studied from section 4 on
        for ds in data.values():
            print(ds)
        """
    ),
    md(
        r"""
        ## 1. Two labels per image

        Every CIFAR image has a **fine** label $y \in \{1,\dots,K\}$ (the class). A **coarse** label is a
        *function* of it, $c = g(y)$:

        - **CIFAR-10**: 10 classes; the coarse task is *animal* (bird, cat, deer, dog, frog, horse) vs
          *vehicle* (airplane, automobile, ship, truck) — not part of the official dataset, the grouping
          the 2023 study used.
        - **CIFAR-100**: 100 classes in 20 official superclasses of 5 classes each (e.g.
          *aquatic mammals*: beaver, dolphin, otter, seal, whale).

        In mtlkit a dataset carries both tasks: `ds.labels = {"fine": y, "coarse": c}`, the number of
        classes of each in `ds.tasks`, and the map $g$ as a tensor `ds.coarse_of_fine` with
        `coarse_of_fine[y] = g(y)`. The label maps:
        """
    ),
    code(
        """
        def label_map(ds):
            \"\"\"{coarse class name: [fine class names]}, read from ds.coarse_of_fine.\"\"\"
            names = ds.class_names
            return {
                coarse: [names["fine"][f] for f, c in enumerate(ds.coarse_of_fine.tolist()) if c == index]
                for index, coarse in enumerate(names["coarse"])
            }


        for name, ds in data.items():
            print(f"{name}: tasks {ds.tasks}")
            for coarse, fines in label_map(ds).items():
                print(f"  {coarse:>32} <- {', '.join(fines)}")
            check.equal(
                ds.labels["coarse"], ds.coarse_of_fine[ds.labels["fine"]], f"{name}: coarse = g(fine) for every image"
            )
        """
    ),
    md(
        """
        ### Building a coarse task yourself

        A coarse task is just a table. Here is the CIFAR-10 animal/vehicle split written by hand (or the
        `shapes` families when CIFAR is absent); turning it into labels is one indexing operation.
        """
    ),
    code(
        """
        HAND_MAPS = {
            "cifar10": {
                "animal": ["bird", "cat", "deer", "dog", "frog", "horse"],
                "vehicle": ["airplane", "automobile", "ship", "truck"],
            },
            "shapes": {
                "round": ["disk", "ring", "ellipse"],
                "polygon": ["triangle", "square", "hexagon"],
                "star": ["star4", "star5", "star6"],
                "bar": ["plus", "tee", "ell"],
            },
        }
        name = "cifar10" if "cifar10" in data else "shapes"
        ds = data[name]
        coarse_names = list(HAND_MAPS[name])
        g = torch.tensor(
            [
                next(i for i, members in enumerate(HAND_MAPS[name].values()) if fine in members)
                for fine in ds.class_names["fine"]
            ]
        )
        my_coarse = g[ds.labels["fine"]]  # the whole task: look up each image's class in the table
        check.equal(coarse_names, ds.class_names["coarse"], f"{name}: same coarse class names as mtlkit")
        check.equal(my_coarse, ds.labels["coarse"], f"{name}: hand-built coarse labels = mtlkit's")
        """
    ),
    md(
        """
        ## 2. Look at the data

        Always look at the images before training anything. Each row is one superclass; each column
        group one of its classes.
        """
    ),
    code(
        """
        def grid_by_superclass(ds, per_class=1, rows=None):
            \"\"\"One row per coarse class (the first `rows`), `per_class` images of each member class.\"\"\"
            members = list(label_map(ds).values())[:rows]
            fine_index = {n: i for i, n in enumerate(ds.class_names["fine"])}
            cols = max(len(m) for m in members) * per_class
            fig, axes = plt.subplots(len(members), cols, figsize=(1.1 * cols, 1.25 * len(members)), squeeze=False)
            for ax in axes.flat:
                ax.axis("off")
            for row, classes in enumerate(members):
                for j, fine in enumerate(c for c in classes for _ in range(per_class)):
                    index = (ds.labels["fine"] == fine_index[fine]).nonzero().flatten()[j % per_class]
                    axes[row, j].imshow(ds.images[index].permute(1, 2, 0).numpy())
                    axes[row, j].set_title(fine, fontsize=7)
                axes[row, 0].text(-4, 16, ds.class_names["coarse"][row], ha="right", va="center", fontsize=8)
            fig.suptitle(f"{ds.name}: each row is one superclass")
            plt.tight_layout()
            plt.show()


        for ds in data.values():
            grid_by_superclass(ds, per_class=2 if ds.tasks["fine"] <= 12 else 1, rows=8)
        """
    ),
    md(
        """
        ### A class browser

        Pick a superclass and click **Show** to see more images of its classes. (In a notebook this is an
        interactive widget; the tests drive it headless by setting the dropdown and calling `click()`.)
        """
    ),
    code(
        """
        import ipywidgets as widgets
        from IPython.display import display


        class ClassBrowser:
            \"\"\"A dropdown of superclasses, a Show button and an output area with images of its classes.\"\"\"

            def __init__(self, ds, per_class=6):
                self.ds, self.per_class, self.shown = ds, per_class, []
                self.dropdown = widgets.Dropdown(options=ds.class_names["coarse"], description="superclass")
                self.button = widgets.Button(description="Show")
                self.output = widgets.Output()
                self.button.on_click(self.show)
                self.widget = widgets.VBox([widgets.HBox([self.dropdown, self.button]), self.output])

            def show(self, _button=None):
                members = label_map(self.ds)[self.dropdown.value]
                self.shown = members
                self.output.clear_output(wait=True)
                with self.output:
                    _fig, axes = plt.subplots(
                        len(members), self.per_class, figsize=(self.per_class, len(members)), squeeze=False
                    )
                    for row, fine in enumerate(members):
                        label = self.ds.class_names["fine"].index(fine)
                        images = self.ds.images[self.ds.labels["fine"] == label][: self.per_class]
                        for col, image in enumerate(images):
                            axes[row, col].imshow(image.permute(1, 2, 0).numpy())
                        for ax in axes[row]:
                            ax.axis("off")
                        axes[row, 0].set_title(fine, fontsize=7, loc="left")
                    plt.show()


        browser = ClassBrowser(data[NAME])
        display(browser.widget)
        browser.show()
        check.equal(
            browser.shown, label_map(data[NAME])[browser.dropdown.value], "the browser shows the selected superclass"
        )
        """
    ),
    md(
        r"""
        ### How balanced are the tasks?

        CIFAR is balanced over **classes** (5,000 training images each for CIFAR-10, 500 for CIFAR-100),
        so each coarse class has (members × images per class) images. For CIFAR-100 that is balanced
        again (5 members each); for CIFAR-10 it is **60% animals, 40% vehicles**: always answering
        "animal" already scores 60%. Any coarse accuracy has to be read against this *majority baseline*.
        """
    ),
    code(
        """
        fig, axes = plt.subplots(1, len(data), figsize=(6 * len(data), 3), squeeze=False)
        for ax, (name, ds) in zip(axes[0], data.items(), strict=True):
            counts = torch.bincount(ds.labels["coarse"], minlength=ds.tasks["coarse"])
            ax.bar(range(len(counts)), counts.tolist(), color="tab:green")
            ax.set_xticks(
                range(len(counts)),
                ds.class_names["coarse"],
                rotation=60 if len(counts) > 4 else 0,
                ha="right",
                fontsize=7,
            )
            ax.set_title(f"{name}: images per coarse class")
            majority = counts.max().item() / counts.sum().item()
            print(
                f"{name}: majority-class baseline for the coarse task = {majority:.1%} (chance 1/{len(counts)} = {1 / len(counts):.1%})"
            )
        plt.tight_layout()
        plt.show()
        """
    ),
    *PART2,
]

if __name__ == "__main__":
    write(FILE, CELLS)
