import pytest
import torch

from mtlkit.data import TaskDataset, describe, load, names
from mtlkit.data.registry import channel_stats
from mtlkit.errors import UserError


@pytest.fixture(scope="module")
def small():
    return {split: load("shapes", split, size=600) for split in ("train", "val", "test")}


def test_names():
    assert names() == ["cifar10", "cifar100", "shapes"]


def test_dataset_fields(small):
    ds = small["train"]
    assert isinstance(ds, TaskDataset) and ds.name == "shapes" and ds.split == "train"
    assert ds.images.dtype == torch.uint8 and ds.images.shape == (540, 3, 32, 32)
    assert set(ds.labels) == {"fine", "coarse"}
    assert all(y.dtype == torch.int64 and y.shape == (540,) for y in ds.labels.values())
    assert ds.coarse_of_fine.dtype == torch.int64 and ds.coarse_of_fine.shape == (12,)
    assert len(ds) == 540 and len(ds.class_names["fine"]) == 12


def _rows(ds):
    return {bytes(im.numpy()) for im in ds.images}


def test_val_is_a_disjoint_stratified_holdout(small):
    train, val = small["train"], small["val"]
    assert _rows(train).isdisjoint(_rows(val))
    assert torch.bincount(val.labels["fine"], minlength=12).tolist() == [5] * 12


def test_val_depends_on_seed():
    a, b = load("shapes", "val", size=600, seed=0), load("shapes", "val", size=600, seed=1)
    assert _rows(a) != _rows(b)
    assert _rows(a) == _rows(load("shapes", "val", size=600, seed=0))


def test_mean_std_are_the_train_statistics_for_every_split(small):
    mean, std = channel_stats(small["train"].images)
    expected = small["train"].images.float().div(255)
    assert mean == pytest.approx(expected.mean(dim=(0, 2, 3)).tolist(), abs=1e-5)
    assert std == pytest.approx(expected.std(dim=(0, 2, 3), unbiased=False).tolist(), abs=1e-5)
    for ds in small.values():
        assert ds.mean == pytest.approx(mean) and ds.std == pytest.approx(std)


def test_channel_stats_by_hand():
    images = torch.zeros(2, 3, 2, 2, dtype=torch.uint8)
    images[0] = 255  # channel values: half 0, half 1 -> mean 0.5, std 0.5
    images[:, 2] = 51  # constant 0.2 -> std 0
    mean, std = channel_stats(images)
    assert mean == pytest.approx((0.5, 0.5, 0.2)) and std == pytest.approx((0.5, 0.5, 0.0))


def test_subset_take_and_to(small):
    ds = small["train"]
    sub = ds.subset([3, 1])
    assert torch.equal(sub.images[0], ds.images[3]) and sub.labels["fine"][1] == ds.labels["fine"][1]
    assert len(ds.subset(ds.labels["fine"] == 0)) == (ds.labels["fine"] == 0).sum()
    taken = ds.take(36)
    assert len(taken) == 36 and torch.bincount(taken.labels["fine"], minlength=12).tolist() == [3] * 12
    assert torch.equal(taken.images, ds.take(36).images)
    assert len(ds.take(10_000)) == len(ds)
    moved = ds.to("cpu")
    assert moved.device == torch.device("cpu") and moved.mean == ds.mean


def test_loaded_tensors_are_copies_of_the_cache():
    a = load("shapes", "test", size=60)
    a.images.zero_()
    a.labels["fine"].zero_()
    b = load("shapes", "test", size=60)
    assert b.images.any() and b.labels["fine"].any()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "cifar"}, "cifar10, cifar100, shapes"),
        ({"name": "shapes", "split": "valid"}, "test, train, val"),
        ({"name": "shapes", "val_fraction": 0.0}, "val_fraction"),
        ({"name": "shapes", "val_fraction": 1.0}, "val_fraction"),
        ({"name": "shapes", "seed": 1.5}, "seed"),
        ({"name": "shapes", "size": 3}, "size"),
        ({"name": "cifar10", "size": 100}, "dataset 'cifar10' has no option 'size'; valid options: none"),
    ],
)
def test_bad_arguments_are_user_errors(kwargs, match):
    with pytest.raises(UserError, match=match):
        load(**kwargs)


@pytest.mark.parametrize("bad", [[600], [1.0], torch.zeros(3, dtype=torch.bool)])
def test_bad_subset_indices(small, bad):
    with pytest.raises(UserError):
        small["val"].subset(bad)


@pytest.mark.parametrize("bad", [0, -1, 2.5])
def test_bad_take(small, bad):
    with pytest.raises(UserError, match="take"):
        small["val"].take(bad)


def test_describe_counts_classes(small):
    text = describe(small["val"])
    assert text.startswith("shapes val: 60 images (3x32x32 uint8)")
    assert "task fine: 12 classes" in text and "disk=5" in text and "task coarse: 4 classes" in text
    assert "round=15" in text
