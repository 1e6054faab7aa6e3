import pytest
import torch
from data_helpers import id_dataset

from mtlkit.data import DeviceLoader, load
from mtlkit.data.augment import normalize
from mtlkit.errors import UserError


def epoch_ids(loader):
    return torch.cat([labels["id"] for _, labels in loader]).tolist()


def test_every_sample_exactly_once_per_epoch():
    loader = DeviceLoader(id_dataset(103), 10, augment=True)
    assert len(loader) == 11
    for _ in range(3):
        assert sorted(epoch_ids(loader)) == list(range(103))


def test_order_changes_per_epoch_and_repeats_for_the_same_seed():
    a, b = DeviceLoader(id_dataset(100), 10, seed=5), DeviceLoader(id_dataset(100), 10, seed=5)
    first, second = epoch_ids(a), epoch_ids(a)
    assert first != second and first != list(range(100))
    assert epoch_ids(b) == first and epoch_ids(b) == second
    assert epoch_ids(DeviceLoader(id_dataset(100), 10, seed=6)) != first


def test_set_epoch_jumps_to_an_epoch():
    a, b = DeviceLoader(id_dataset(50), 8, augment=True), DeviceLoader(id_dataset(50), 8, augment=True)
    for _ in range(3):
        list(a)
    b.set_epoch(3)
    batches_a, batches_b = list(a), list(b)
    assert all(torch.equal(x, y) for (x, _), (y, _) in zip(batches_a, batches_b, strict=True))


def test_labels_follow_their_images():
    ds = id_dataset(40)
    for images, labels in DeviceLoader(ds, 7, seed=1):
        raw = (images[:, 0, 0, 0] * 0.25 + 0.5) * 255  # undo the normalisation of the constant images
        assert torch.allclose(raw, labels["id"].float(), atol=1e-3)
        assert torch.equal(labels["fine"], labels["id"] % 4)


def test_drop_last_and_batch_sizes():
    loader = DeviceLoader(id_dataset(25), 10, drop_last=True)
    assert len(loader) == 2 and [len(y["id"]) for _, y in loader] == [10, 10]
    assert [len(y["id"]) for _, y in DeviceLoader(id_dataset(25), 10)] == [10, 10, 5]


def test_no_augment_no_shuffle_returns_exactly_the_normalised_images():
    ds = load("shapes", "val", size=240)
    images = torch.cat([x for x, _ in DeviceLoader(ds, 16, shuffle=False)])
    expected = normalize(ds.images, torch.tensor(ds.mean), torch.tensor(ds.std))
    assert torch.equal(images, expected)
    manual = (ds.images.float() / 255 - torch.tensor(ds.mean).view(1, 3, 1, 1)) / torch.tensor(ds.std).view(
        1, 3, 1, 1
    )
    assert torch.allclose(images, manual, atol=1e-5)


def test_normalised_train_images_have_zero_mean_unit_std():
    ds = load("shapes", "train", size=600)
    images = torch.cat([x for x, _ in DeviceLoader(ds, 100)])
    assert images.mean(dim=(0, 2, 3)).abs().max() < 1e-4
    assert (images.std(dim=(0, 2, 3)) - 1).abs().max() < 1e-3


def test_augmented_batches_keep_shape_dtype_and_layout():
    ds = load("shapes", "val", size=240)
    images, labels = next(iter(DeviceLoader(ds, 16, augment=True, dtype=torch.bfloat16, channels_last=True)))
    assert images.shape == (16, 3, 32, 32) and images.dtype == torch.bfloat16
    assert images.is_contiguous(memory_format=torch.channels_last)
    assert labels["fine"].dtype == torch.int64
    plain, _ = next(iter(DeviceLoader(ds, 16, augment=True)))
    assert plain.is_contiguous() and plain.dtype == torch.float32


def test_augmentation_changes_images_but_keeps_their_statistics():
    ds = load("shapes", "val", size=240)
    plain = torch.cat([x for x, _ in DeviceLoader(ds, 60, shuffle=False)])
    augmented = torch.cat([x for x, _ in DeviceLoader(ds, 60, shuffle=False, augment=True)])
    assert not torch.equal(plain, augmented)
    assert torch.allclose(plain.mean(dim=(0, 2, 3)), augmented.mean(dim=(0, 2, 3)), atol=0.05)


@pytest.mark.parametrize("kwargs", [{"batch_size": 0}, {"batch_size": 2.0}, {"batch_size": 4, "pad": 32}])
def test_bad_arguments(kwargs):
    with pytest.raises(UserError):
        DeviceLoader(id_dataset(10), **kwargs)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_same_batches_on_cpu_and_cuda():
    ds = load("shapes", "val", size=240)
    cpu = list(DeviceLoader(ds, 32, augment=True, seed=3))
    cuda = list(DeviceLoader(ds, 32, device="cuda", augment=True, seed=3))
    for (x, y), (xc, yc) in zip(cpu, cuda, strict=True):
        assert torch.allclose(x, xc.cpu(), atol=1e-6) and torch.equal(y["fine"], yc["fine"].cpu())
