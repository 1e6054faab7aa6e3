import math

import torch

from mtlkit.train.losses import coarse_from_fine_correct, correct_counts, task_losses


def test_task_losses_are_softmax_cross_entropy():
    logits = {"fine": torch.tensor([[2.0, 0.0, 0.0]]), "coarse": torch.tensor([[0.0, 0.0]])}
    labels = {"fine": torch.tensor([0]), "coarse": torch.tensor([1])}
    losses = task_losses(logits, labels)
    assert math.isclose(losses["fine"].item(), -math.log(math.exp(2) / (math.exp(2) + 2)), rel_tol=1e-6)
    assert math.isclose(losses["coarse"].item(), math.log(2), rel_tol=1e-6)


def test_label_smoothing_raises_the_loss_of_a_confident_correct_prediction():
    logits = {"fine": torch.tensor([[10.0, 0.0, 0.0]])}
    labels = {"fine": torch.tensor([0])}
    assert task_losses(logits, labels, 0.1)["fine"] > task_losses(logits, labels)["fine"]


def test_losses_are_float32_under_bf16_logits():
    logits = {"fine": torch.randn(4, 3).bfloat16()}
    assert task_losses(logits, {"fine": torch.tensor([0, 1, 2, 0])})["fine"].dtype == torch.float32


def test_correct_counts():
    logits = {"fine": torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])}
    assert correct_counts(logits, {"fine": torch.tensor([0, 1, 1])})["fine"].item() == 2


def test_coarse_from_fine_maps_the_argmax_through_the_hierarchy():
    coarse_of_fine = torch.tensor([0, 0, 1, 1])
    fine_logits = torch.tensor([[0.0, 5.0, 0.0, 0.0], [0.0, 0.0, 0.0, 5.0], [5.0, 0.0, 0.0, 0.0]])
    coarse_labels = torch.tensor([0, 1, 1])  # predicted coarse: 0, 1, 0
    assert coarse_from_fine_correct(fine_logits, coarse_labels, coarse_of_fine).item() == 2
