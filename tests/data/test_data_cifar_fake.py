import os
import pickle

import numpy as np
import pytest
import torch
from data_helpers import CIFAR10_NAMES, dump, write_fake_cifar10, write_fake_cifar100

from mtlkit.data import default_root, load
from mtlkit.data.cifar import ARCHIVES
from mtlkit.errors import DataNotFoundError, UserError


def test_cifar10_layout_loads(tmp_path):
    write_fake_cifar10(tmp_path)
    train, val = load("cifar10", "train", root=tmp_path), load("cifar10", "val", root=tmp_path)
    test = load("cifar10", "test", root=tmp_path)
    assert (len(train), len(val), len(test)) == (90, 10, 30)
    assert test.images.shape == (30, 3, 32, 32) and test.images.dtype == torch.uint8
    assert test.tasks == {"fine": 10, "coarse": 2} and test.class_names["fine"] == CIFAR10_NAMES
    assert test.class_names["coarse"] == ["animal", "vehicle"]
    assert torch.bincount(val.labels["fine"], minlength=10).tolist() == [1] * 10


def test_cifar10_pixels_decode_as_rgb_planes(tmp_path):
    write_fake_cifar10(tmp_path)
    test = load("cifar10", "test", root=tmp_path)
    assert torch.all(test.images[5, 0] == 1005 % 256)  # R plane: (offset + i) % 256
    assert torch.all(test.images[:, 1] == 7)  # G plane
    assert test.images[0, 2, 1, 3].item() == 32 + 3  # B plane: row-major pixel index
    assert test.labels["fine"].tolist() == [i % 10 for i in range(30)]


def test_cifar10_animal_vehicle_map(tmp_path):
    write_fake_cifar10(tmp_path)
    ds = load("cifar10", "test", root=tmp_path)
    vehicles = {"airplane", "automobile", "ship", "truck"}
    assert ds.coarse_of_fine.tolist() == [int(n in vehicles) for n in CIFAR10_NAMES]
    assert ds.coarse_of_fine.tolist() == [1, 1, 0, 0, 0, 0, 0, 0, 1, 1]
    assert torch.equal(ds.labels["coarse"], ds.coarse_of_fine[ds.labels["fine"]])


def test_cifar100_layout_loads_with_derived_coarse_map(tmp_path):
    write_fake_cifar100(tmp_path)
    train, test = load("cifar100", "train", root=tmp_path), load("cifar100", "test", root=tmp_path)
    assert (len(train), len(test)) == (180, 100)
    assert train.tasks == {"fine": 100, "coarse": 20}
    assert train.coarse_of_fine.tolist() == [f % 20 for f in range(100)]
    assert torch.equal(test.labels["coarse"], test.labels["fine"] % 20)
    assert train.class_names["coarse"][3] == "coarse3"


def test_cifar100_coarse_not_a_function_of_fine_is_rejected(tmp_path):
    folder = write_fake_cifar100(tmp_path)
    with open(folder / "train", "rb") as f:
        batch = pickle.load(f, encoding="bytes")
    batch[b"coarse_labels"][100] = (batch[b"coarse_labels"][100] + 1) % 20  # fine 0, second copy
    dump(batch, folder / "train")
    with pytest.raises(UserError, match="not a function"):
        load("cifar100", root=tmp_path)


def test_missing_data_says_how_to_get_it(tmp_path):
    with pytest.raises(DataNotFoundError) as info:
        load("cifar100", root=tmp_path)
    message = str(info.value)
    for hint in ("download=True", "mtlkit data download cifar100", "MTLKIT_DATA", "root="):
        assert hint in message
    assert "official python version (cifar-100-python.tar.gz" in message  # the offline route
    assert str(tmp_path / "cifar-100-python") in message and "train, test, meta" in message
    assert "shared/" not in message and "unpack_cifar" not in message  # developers' workspace only
    assert isinstance(info.value, UserError)


def test_default_root_follows_mtlkit_data(tmp_path, monkeypatch):
    monkeypatch.setenv("MTLKIT_DATA", str(tmp_path))
    assert default_root() == tmp_path
    write_fake_cifar10(tmp_path)
    assert len(load("cifar10", "test")) == 30
    monkeypatch.delenv("MTLKIT_DATA")
    assert default_root() == default_root().home() / ".cache" / "mtlkit"


def test_corrupt_pickle_is_a_user_error(tmp_path):
    folder = write_fake_cifar10(tmp_path)
    (folder / "data_batch_3").write_bytes(b"not a pickle at all")
    with pytest.raises(UserError, match="data_batch_3"):
        load("cifar10", root=tmp_path)


def test_pickle_with_code_is_refused(tmp_path):
    folder = write_fake_cifar10(tmp_path)

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo owned",))

    dump({b"data": Evil(), b"labels": []}, folder / "test_batch")
    with pytest.raises(UserError, match="refusing"):
        load("cifar10", "test", root=tmp_path)


def test_replaced_files_are_reread(tmp_path):
    write_fake_cifar10(tmp_path, n_test=30)
    assert len(load("cifar10", "test", root=tmp_path)) == 30
    write_fake_cifar10(tmp_path, n_test=40)
    assert len(load("cifar10", "test", root=tmp_path)) == 40


def test_download_fetches_the_official_archive(tmp_path, monkeypatch):
    import torchvision.datasets.utils as tv_utils

    calls = []

    def fake_download(url, download_root, filename, md5):
        calls.append((url, filename, md5))
        write_fake_cifar10(tmp_path / "fetched")  # what extracting the archive would produce

    monkeypatch.setattr(tv_utils, "download_and_extract_archive", fake_download)
    ds = load("cifar10", "test", root=tmp_path / "fetched", download=True)
    assert len(ds) == 30
    assert calls == [
        (
            "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
            "cifar-10-python.tar.gz",
            "c58f30108f718f92721af3b95e74349a",
        )
    ]
    assert ARCHIVES["cifar100"][1] == "eb9058c3a382ffc7106e4002c42a8d85"


def test_failed_download_is_a_user_error(tmp_path, monkeypatch):
    import torchvision.datasets.utils as tv_utils

    def offline(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(tv_utils, "download_and_extract_archive", offline)
    with pytest.raises(UserError, match="could not download cifar100"):
        load("cifar100", root=tmp_path, download=True)


def test_images_with_wrong_row_length_are_rejected(tmp_path):
    folder = write_fake_cifar10(tmp_path)
    dump({b"data": np.zeros((3, 100), dtype=np.uint8), b"labels": [0, 1, 2]}, folder / "test_batch")
    with pytest.raises(UserError, match="3072"):
        load("cifar10", "test", root=tmp_path)
