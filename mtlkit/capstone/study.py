"""The original 2023 study's published results, the reference column of ``summary.md``.

Source: M. T. Nguyen & P. Chen, "Multi-task Learning with Vision Transformers" (ECE 6524 final project,
2023), https://github.com/mnguyen0226/multitask_learning_vit (Kaggle notebooks run 2023-04-16 to
2023-04-23). Every value below is copied, as printed, from a stored output of one of its notebooks; the
comment beside it gives ``notebook@commit`` and the configuration. The research questions are quoted in
:data:`RESEARCH_QUESTIONS`.

What the numbers are (facts read in the notebooks):

- **Last-epoch test accuracy.** Each is ``model.evaluate`` on the 10k CIFAR test set right after
  ``fit`` for 20 epochs, so it is the epoch-20 model. The ViT notebooks validate on
  ``validation_split=0.15`` and define a ``ModelCheckpoint(save_best_only=True, monitor="val_loss")``
  but never reload it before evaluating; the ResNet cells have no checkpoint.
- **Several ResNet configurations.** The ResNet-152 notebooks train several configurations ("Model 1..6",
  "Case 1..5": batch size, dropout, optimizer, gamma) and plot the 15 % validation accuracy under the
  label "Test Acc". We use the configuration that matches the ``seed`` preset (Adam, batch 128,
  dropout 0; gamma 0.5 for MTL).
- **Runs that did not train.** The CIFAR-100 ViT STL fine run ends at chance (1.16 %, test loss
  4.604 = ln 100) and the CIFAR-10 ViT STL fine run at 26.8 %, below its own MTL fine head (55.3 %).
  "Within +/-3 points of the study" is therefore a meaningful goal only for cells where the study's own
  run trained properly; ``summary.md`` prints the study's value and our difference to it.
- **Not found** (``None``, printed "n/a"): CIFAR-10 ResNet-152 STL coarse, CIFAR-100 ResNet-152 STL fine
  and STL coarse (their outputs were not located in the notebooks).

Where the study's training differed from the ``seed`` preset's description (Adam 1e-3, batch 256 for
ViT, cross-entropy on every head):

- The ViT notebooks compile with the bare string ``'sgd'``, i.e. Keras's SGD defaults (no learning rate,
  momentum or decay set), not Adam (all six ``*-vit-*.ipynb`` notebooks, e.g.
  ``multitask-learning-vit-cifar10-classification.ipynb@d08cce5e5abe10a1320034e694e1459f1f9cc90a``).
- ViT STL used batch 256, ViT MTL batch 128: the MTL models took twice the optimiser steps per epoch.
- ``multitask-learning-vit-cifar100-classification.ipynb`` also holds earlier runs with ``'adam'``
  ("Case 1".."Case 4", e.g. case 3, batch 256 and gamma 0.6: test accuracy 0.3336 fine, 0.4870 coarse);
  :data:`ACCURACY` takes the notebook's last run (``'sgd'``, batch 128, gamma 0.5), as for every other
  notebook.
- The ViT MTL notebooks use ``binary_crossentropy`` for task 2 on both datasets, so also on
  CIFAR-100's 20-way superclass head
  (``multitask-learning-vit-cifar100-classification.ipynb@3fc0421d17dd5f9afa9687ffc3a74c77c720aa43``); the
  CIFAR-10 ResNet MTL notebook uses it for its 2-way head
  (``multitask-learning-cnn-cifar10.ipynb@597ee8f4b49b86d89438aee5415988996bac2e2c``), the CIFAR-100 one
  ``categorical_crossentropy``.

Epoch times: ResNet-152 prints "45s 136ms/step" to "46s 139ms/step" per epoch after the first (batch 128,
333 steps; ``multitask-learning-cnn-cifar10.ipynb@597ee8f`` and ``stl-cnn-cifar10-10classes.ipynb@0630beb``),
hence 46 s. The ViT's 63 s comes from the issue that specified the capstone: the ViT notebooks' epoch
logs were not located. The ``× study speed`` column of ``summary.md`` divides these by our s/epoch
(the median after the first epoch, like the study's figures, when every run has it).
"""

from __future__ import annotations

POST = (
    "M. T. Nguyen, blog post, mnguyen0226/personal_site_v2 content/posts/multitask_learning/post.md"
    "@1f82955ff4efe772bdb0752faafdaed65a49cd81 (2023-03-20)"
)

# The study's three research questions, verbatim from POST (the study repository does not state them).
RESEARCH_QUESTIONS: dict[str, str] = {
    "RQ1": "Is an MTL ViT model superior in performance to an MTL Convolution-based model (ResNet-152)?",
    "RQ2": "Can an MTL ViT model achieve better results than two separate STL ViT models?",
    "RQ3": (
        "Does an STL ViT model outperform an STL Convolution-based model (ResNet152) in terms of accuracy?"
    ),
}

DATASETS = ("cifar10", "cifar100")

# (dataset, backbone label, mode) -> {task: test accuracy after epoch 20}; None = not found.
ACCURACY: dict[tuple[str, str, str], dict[str, float | None]] = {
    # singletask-learning-vit-cifar10-classification.ipynb@23be7f7dca860dc1b6fdff086b48599cb15b5697;
    # sgd, batch 256
    ("cifar10", "vit", "stl_fine"): {"fine": 0.2678999900817871},
    # singletask-learning-vit-cifar10-superclass.ipynb@d58ffefa1abb11fb4003f7a1c38e624ea25a74e8;
    # sgd, batch 256
    ("cifar10", "vit", "stl_coarse"): {"coarse": 0.8384000062942505},
    # multitask-learning-vit-cifar10-classification.ipynb@d08cce5e5abe10a1320034e694e1459f1f9cc90a;
    # sgd, batch 128, gamma 0.5, task 2 binary_crossentropy
    ("cifar10", "vit", "mtl"): {"fine": 0.5525000095367432, "coarse": 0.9207000136375427},
    # singletask-learning-vit-cifar100-classification.ipynb@bebcf9ead45c9e5411f2a2a7d26b71e8218e0284;
    # sgd, batch 256; chance level (test loss 4.604 = ln 100)
    ("cifar100", "vit", "stl_fine"): {"fine": 0.011599999852478504},
    # singletask-learning-vit-cifar100-superclass.ipynb@150cc39d03206d9fa8bacf424b1a58a8861e672f;
    # sgd, batch 256
    ("cifar100", "vit", "stl_coarse"): {"coarse": 0.19130000472068787},
    # multitask-learning-vit-cifar100-classification.ipynb@3fc0421d17dd5f9afa9687ffc3a74c77c720aa43;
    # sgd, batch 128, gamma 0.5, task 2 (20-way) binary_crossentropy
    ("cifar100", "vit", "mtl"): {"fine": 0.18070000410079956, "coarse": 0.23100000619888306},
    # stl-cnn-cifar10-10classes.ipynb@0630bebdf7e6151f491ee88a27239a87363d1ac9, "Model 2": Adam, batch 128,
    # dropout 0 (the seed preset's setup). Same notebook, "Model 1" (Adam, batch 256): 0.5900999903678894.
    ("cifar10", "resnet152", "stl_fine"): {"fine": 0.6320000290870667},
    ("cifar10", "resnet152", "stl_coarse"): {"coarse": None},  # stl-cnn-cifar10-2classes.ipynb: not found
    # multitask-learning-cnn-cifar10.ipynb@597ee8f4b49b86d89438aee5415988996bac2e2c, "Case 1": gamma 0.5,
    # dropout 0, Adam, batch 128; task 2 (2-way) binary_crossentropy
    ("cifar10", "resnet152", "mtl"): {"fine": 0.6525999903678894, "coarse": 0.9376999735832214},
    ("cifar100", "resnet152", "stl_fine"): {"fine": None},  # stl-cnn-cifar100-100classes.ipynb: not found
    ("cifar100", "resnet152", "stl_coarse"): {"coarse": None},  # stl-cnn-cifar100-20classes.ipynb: not found
    # multitask-learning-cnn-cifar100.ipynb@0ad0729106c94691dfa55f634f7572dd575cbae3, "Case 1": gamma 0.5,
    # dropout 0, Adam, batch 128; task 2 categorical_crossentropy
    ("cifar100", "resnet152", "mtl"): {"fine": 0.27059999108314514, "coarse": 0.4758000075817108},
}

# ResNet-152: the notebooks' Keras logs (see the module docstring); ViT: the capstone issue's figure.
SECONDS_PER_EPOCH: dict[str, float] = {"vit": 63.0, "resnet152": 46.0}

# Printed once in summary.md beside the study's column.
CAVEAT = (
    "The study's values are last-epoch test accuracies of one run each, and some of its runs did not "
    "train: its CIFAR-100 ViT STL fine run is at chance (1.16%) and its CIFAR-10 ViT STL fine run at 26.8%, "
    "below its own MTL fine head. A difference to the study is meaningful only where the study's run "
    "trained properly."
)

SOURCE = (
    "Nguyen & Chen 2023, github.com/mnguyen0226/multitask_learning_vit (last-epoch test accuracies "
    "printed in its notebooks; see mtlkit/capstone/study.py)"
)


def accuracy(dataset: str, backbone: str, mode: str, task: str) -> float | None:
    """The study's test accuracy for one cell, or None when unknown (or not part of the study)."""
    return ACCURACY.get((dataset, backbone, mode), {}).get(task)
