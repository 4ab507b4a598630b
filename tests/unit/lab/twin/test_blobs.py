"""The content store (lab/twin/blobs.py) under the file system model: large bodies leave the twin's JSON."""

from __future__ import annotations

import json

import pytest

from lab.twin.blobs import BLOB_THRESHOLD, BlobStore
from lab.twin.filesystem import DiskFull, FileSystem


@pytest.fixture
def fs(tmp_path) -> FileSystem:
    return FileSystem(blobs=BlobStore(tmp_path / "blobs"))


def test_a_large_body_lives_in_the_store_and_reads_back(fs, tmp_path):
    body = bytes(range(256)) * (BLOB_THRESHOLD // 256 + 1)
    fs.write(r"C:\Lab\big.bin", body)
    entry = fs.get(r"C:\Lab\big.bin")
    assert "content_b64" not in entry and entry["size"] == len(body)
    assert len(json.dumps(fs.data)) < 1000, "the body must not be in the twin's state"
    assert fs.read(r"C:\Lab\big.bin") == body
    assert fs.checksum(r"C:\Lab\big.bin", "sha256") == entry["blob"]
    assert (tmp_path / "blobs" / entry["blob"][:2] / entry["blob"]).read_bytes() == body


def test_a_small_body_stays_inline(fs):
    fs.write(r"C:\Lab\small.txt", b"x" * BLOB_THRESHOLD)
    assert "blob" not in fs.get(r"C:\Lab\small.txt") and fs.read(r"C:\Lab\small.txt") == b"x" * BLOB_THRESHOLD


def test_other_bytes_change_the_state(fs):
    body = b"a" * (BLOB_THRESHOLD + 1)
    fs.write(r"C:\Lab\f.bin", body)
    before = json.dumps(fs.data, sort_keys=True)
    fs.write(r"C:\Lab\f.bin", body[:-1] + b"b")
    assert json.dumps(fs.data, sort_keys=True) != before


def test_a_copy_shares_the_blob(fs):
    fs.write(r"C:\Lab\a.bin", b"z" * (BLOB_THRESHOLD + 5))
    fs.copy(r"C:\Lab\a.bin", r"C:\Lab\sub\b.bin")
    assert fs.get(r"C:\Lab\sub\b.bin")["blob"] == fs.get(r"C:\Lab\a.bin")["blob"]
    assert fs.read(r"C:\Lab\sub\b.bin") == b"z" * (BLOB_THRESHOLD + 5)


def test_prune_keeps_only_what_twins_hold(tmp_path):
    store = BlobStore(tmp_path)
    kept, dropped = store.put(b"keep"), store.put(b"drop")
    assert store.prune({kept}) == 1
    assert store.get(kept) == b"keep"
    with pytest.raises(LookupError, match="no blob"):
        store.get(dropped)


def test_a_write_that_does_not_fit_fails_and_changes_nothing(tmp_path):
    free = [100]
    fs = FileSystem(blobs=BlobStore(tmp_path), free_space=lambda: free[0])
    fs.write(r"C:\Lab\ok.bin", b"x" * 60)
    before = json.dumps(fs.data, sort_keys=True)
    with pytest.raises(DiskFull, match="There is not enough space on the disk."):
        fs.write(r"C:\Lab\big.bin", b"y" * 101)
    free[0] = 59
    with pytest.raises(DiskFull):
        fs.copy(r"C:\Lab\ok.bin", r"C:\Lab\copy.bin")
    assert json.dumps(fs.data, sort_keys=True) == before
    assert DiskFull().code == 112
    free[0] = 10
    fs.write(r"C:\Lab\ok.bin", b"x" * 70)  # replacing a file needs only the growth


def test_a_range_of_a_large_file_is_read_from_the_content_store(tmp_path):
    files = FileSystem(blobs=BlobStore(tmp_path))
    body = bytes(range(256)) * 1024  # 256 KiB: stored as a blob
    files.write("C:\\big.bin", body)
    assert "blob" in files.get("C:\\big.bin")
    assert files.read_range("C:\\big.bin", 1000, 300) == body[1000:1300]
    assert files.read_range("C:\\big.bin", len(body) - 10, 100) == body[-10:]
