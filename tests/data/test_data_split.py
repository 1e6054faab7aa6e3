import pytest
import torch

from mtlkit.data.split import stratified_permutation, stratified_split
from mtlkit.errors import UserError


def labels_with_counts(counts: list[int]) -> torch.Tensor:
    order = torch.randperm(sum(counts), generator=torch.Generator().manual_seed(0))
    return torch.cat([torch.full((n,), c) for c, n in enumerate(counts)])[order]


def test_permutation_is_a_permutation_and_seeded():
    y = labels_with_counts([30, 20, 10])
    p = stratified_permutation(y, seed=3)
    assert sorted(p.tolist()) == list(range(60))
    assert torch.equal(p, stratified_permutation(y, seed=3))
    assert not torch.equal(p, stratified_permutation(y, seed=4))


@pytest.mark.parametrize("k", [1, 6, 13, 30, 59])
def test_every_prefix_is_stratified_within_two(k):
    counts = [30, 20, 10]
    y = labels_with_counts(counts)
    prefix = y[stratified_permutation(y, seed=0)[:k]]
    for c, n in enumerate(counts):
        assert abs((prefix == c).sum().item() - k * n / 60) < 2


def test_split_is_disjoint_complete_sorted_and_exact_for_balanced_classes():
    y = torch.arange(1000) % 10
    train, val = stratified_split(y, 0.1, seed=0)
    assert len(val) == 100 and len(train) == 900
    assert set(train.tolist()).isdisjoint(val.tolist())
    assert sorted(train.tolist() + val.tolist()) == list(range(1000))
    assert torch.equal(val, val.sort().values)
    assert torch.bincount(y[val], minlength=10).tolist() == [10] * 10


def test_split_depends_on_seed_and_fraction_only():
    y = torch.arange(500) % 5
    assert torch.equal(stratified_split(y, 0.2, 1)[1], stratified_split(y, 0.2, 1)[1])
    assert not torch.equal(stratified_split(y, 0.2, 1)[1], stratified_split(y, 0.2, 2)[1])


@pytest.mark.parametrize("fraction", [0, 1, 1.5, -0.1, "0.1", True])
def test_bad_fraction_is_a_user_error(fraction):
    with pytest.raises(UserError, match="val_fraction"):
        stratified_split(torch.arange(10), fraction)


def test_fraction_leaving_an_empty_split_is_a_user_error():
    with pytest.raises(UserError, match="empty"):
        stratified_split(torch.arange(10), 0.01)
