"""The real CIFAR-10/100 (unpacked from ../shared/data once per session; skipped when absent)."""

import pytest
import torch

from mtlkit.data import load
from mtlkit.data.cifar import _read_part

pytestmark = [pytest.mark.cifar, pytest.mark.slow]


def _hashes(images: torch.Tensor) -> list[int]:
    return sorted(hash(bytes(im.numpy())) for im in images)


@pytest.mark.parametrize(("name", "fine", "coarse"), [("cifar10", 10, 2), ("cifar100", 100, 20)])
def test_counts_and_label_ranges(real_cifar_root, name, fine, coarse):
    splits = {s: load(name, s, root=real_cifar_root) for s in ("train", "val", "test")}
    assert [len(splits[s]) for s in ("train", "val", "test")] == [45_000, 5_000, 10_000]
    for ds in splits.values():
        assert ds.tasks == {"fine": fine, "coarse": coarse}
        assert ds.labels["fine"].min() == 0 and ds.labels["fine"].max() == fine - 1
        assert ds.labels["coarse"].min() == 0 and ds.labels["coarse"].max() == coarse - 1
    per_class = 5_000 // fine
    assert torch.bincount(splits["val"].labels["fine"], minlength=fine).tolist() == [per_class] * fine
    assert torch.bincount(splits["test"].labels["fine"], minlength=fine).tolist() == [10_000 // fine] * fine


@pytest.mark.parametrize("name", ["cifar10", "cifar100"])
def test_train_and_val_partition_the_official_train_split(real_cifar_root, name):
    train, val = load(name, "train", root=real_cifar_root), load(name, "val", root=real_cifar_root)
    official, _ = _read_part(
        name, real_cifar_root / ("cifar-10-batches-py" if name == "cifar10" else "cifar-100-python"), "train"
    )
    assert _hashes(torch.cat([train.images, val.images])) == _hashes(torch.from_numpy(official))


def test_cifar100_official_coarse_labels_agree_with_coarse_of_fine(real_cifar_root):
    ds = load("cifar100", "test", root=real_cifar_root)
    _, raw = _read_part("cifar100", real_cifar_root / "cifar-100-python", "test")
    assert torch.equal(
        ds.coarse_of_fine[torch.from_numpy(raw["fine_labels"])], torch.from_numpy(raw["coarse_labels"])
    )
    assert ds.class_names["coarse"][ds.coarse_of_fine[ds.class_names["fine"].index("maple_tree")]] == "trees"


def test_published_channel_means(real_cifar_root):
    assert load("cifar10", "test", root=real_cifar_root).mean == pytest.approx(
        (0.4914, 0.4822, 0.4465), abs=3e-3
    )
    assert load("cifar100", "val", root=real_cifar_root).mean == pytest.approx(
        (0.5071, 0.4865, 0.4409), abs=3e-3
    )
    assert load("cifar10", "train", root=real_cifar_root).std == pytest.approx(
        (0.247, 0.243, 0.261), abs=3e-3
    )
