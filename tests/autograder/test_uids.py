"""The uids of ``--sandbox user`` (autograder.uids): no two batches share one, and what a uid leaves in
the shared scratch folders is removed. Needs root (it creates and chowns files for other uids)."""

from __future__ import annotations

import os

import pytest
from autograder_helpers import ROOT  # noqa: F401 (puts the repository on sys.path)

from autograder import uids
from mtlkit.errors import UserError

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")


@pytest.fixture
def locks(tmp_path, monkeypatch):
    folder = tmp_path / "locks"
    monkeypatch.setattr(uids, "LOCK_DIR", folder)
    return folder


def test_concurrent_batches_get_distinct_uids_and_free_them_at_the_end(locks):
    with uids.reserved_uids(3) as first:
        with uids.reserved_uids(2) as second:
            assert not set(first) & set(second) and len(set(first + second)) == 5
        with uids.reserved_uids(2) as third:  # the second batch's uids are free again
            assert third == second
    with uids.reserved_uids(1) as again:
        assert again == first[:1] == uids.free_uids(1)
    assert locks.stat().st_mode & 0o777 == 0o700


def test_a_lock_folder_others_can_write_is_refused(locks):
    locks.mkdir(mode=0o700)
    locks.chmod(0o1777)
    with pytest.raises(UserError, match="only it can open"), uids.reserved_uids(1):
        pass


def test_what_a_sandbox_uid_left_in_the_scratch_folders_is_removed(tmp_path):
    uid = uids.free_uids(1)[0]
    scratch, precious = tmp_path / "tmp", tmp_path / "precious.txt"
    scratch.mkdir()
    precious.write_text("intact")
    left = {"file": scratch / "note.txt", "folder": scratch / "cache", "link": scratch / "link"}
    left["file"].write_text("x")
    (left["folder"] / "deep").mkdir(parents=True)
    (left["folder"] / "deep" / "x").write_text("x")
    (left["folder"] / "deep" / "to_precious").symlink_to(precious)
    left["link"].symlink_to(precious)
    mine = scratch / "the_graders.txt"
    mine.write_text("keep")
    for path in [*left.values(), left["folder"] / "deep", left["folder"] / "deep" / "x"]:
        os.lchown(path, uid, uid)
    removed = uids.remove_files_of(uid, (str(scratch), str(tmp_path / "missing")))
    assert sorted(removed) == sorted(left.values())
    assert [p.name for p in scratch.iterdir()] == ["the_graders.txt"]
    assert precious.read_text() == "intact"  # links removed, never followed
