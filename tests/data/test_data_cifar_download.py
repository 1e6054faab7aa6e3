"""A failed or interrupted CIFAR download leaves nothing behind (no empty folder, no partial archive)."""

from __future__ import annotations

import os
import urllib.error

import pytest
import torchvision.datasets.utils as tv_utils
from data_helpers import write_fake_cifar10

from mtlkit.cli import main
from mtlkit.data import load
from mtlkit.errors import UserError


def offline_after_creating_files(url, download_root, filename, md5):
    """What torchvision does offline, at worst: create the folder, start the file, then fail."""
    os.makedirs(download_root, exist_ok=True)
    with open(os.path.join(download_root, filename), "wb") as f:
        f.write(b"partial")
    raise urllib.error.URLError("[Errno -2] Name or service not known")


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.setattr(tv_utils, "download_and_extract_archive", offline_after_creating_files)


def test_a_failed_download_removes_the_folders_and_files_it_created(tmp_path, offline):
    root = tmp_path / "new" / "data"
    with pytest.raises(UserError, match="could not download cifar10") as info:
        load("cifar10", root=root, download=True)
    assert list(tmp_path.iterdir()) == []
    message = str(info.value)
    assert "official python version" in message and "unpack_cifar" not in message


def test_a_failed_download_keeps_what_was_there_before(tmp_path, offline):
    (tmp_path / "cifar-100-python").mkdir()
    (tmp_path / "cifar-100-python" / "meta").write_bytes(b"an earlier partial copy")
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(UserError):
        load("cifar100", root=tmp_path, download=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cifar-100-python", "notes.txt"]
    assert (tmp_path / "cifar-100-python" / "meta").read_bytes() == b"an earlier partial copy"


def test_an_interrupted_download_cleans_up_and_propagates(tmp_path, monkeypatch):
    def interrupted(url, download_root, filename, md5):
        (tmp_path / "data").mkdir()
        raise KeyboardInterrupt

    monkeypatch.setattr(tv_utils, "download_and_extract_archive", interrupted)
    with pytest.raises(KeyboardInterrupt):
        load("cifar10", root=tmp_path / "data", download=True)
    assert list(tmp_path.iterdir()) == []


def test_mtlkit_data_download_offline_is_one_line_and_leaves_no_folder(tmp_path, offline, capsys):
    root = tmp_path / "dl"
    assert main(["data", "download", "cifar10", "--root", str(root)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mtlkit: error: could not download cifar10") and err.count("\n") == 1
    assert not root.exists()


def test_data_present_needs_no_download(tmp_path, monkeypatch, capsys):
    write_fake_cifar10(tmp_path)
    monkeypatch.setattr(tv_utils, "download_and_extract_archive", pytest.fail)
    assert main(["data", "download", "cifar10", "--root", str(tmp_path)]) == 0
    assert "cifar10: ok" in capsys.readouterr().out
