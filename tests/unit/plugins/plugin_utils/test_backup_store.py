"""The controller's backup store: owner-only folders and files, safe names, which backups count as verified."""

from __future__ import annotations

import datetime as dt
import os
import stat

import pytest
from ansible.parsing.vault import VaultLib, VaultSecret

from plugins.plugin_utils import _backup_store as store

NOW = dt.datetime(2026, 12, 3, 12, 0, 0, tzinfo=dt.UTC)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def make_backup(root, host, when: dt.datetime, status="verified", files=(("a\\b.txt", b"x"),)):
    folder = store.new_backup_dir(root, host, store.stamp(when))
    entries = []
    for name, data in files:
        sink = store.FileSink(folder, name)
        sink.write(data)
        entries.append({"name": str(store.local_name(name)), "sha256_controller": sink.close()})
    store.write_manifest(folder, {"format": store.FORMAT, "host": host, "status": status,
                                  "created_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "files": entries})
    return folder


def test_folders_are_0700_and_files_0600_whatever_the_umask(tmp_path):
    old = os.umask(0)
    try:
        folder = make_backup(tmp_path / "backups", "h1", NOW)
    finally:
        os.umask(old)
    for path in (tmp_path / "backups", tmp_path / "backups" / "h1", folder, folder / "a"):
        assert mode(path) == 0o700, path
    assert mode(folder / "a" / "b.txt") == 0o600 and mode(folder / store.MANIFEST) == 0o600


def test_a_second_backup_in_the_same_second_gets_its_own_folder(tmp_path):
    first = store.new_backup_dir(tmp_path, "h1", "20261203T120000Z")
    second = store.new_backup_dir(tmp_path, "h1", "20261203T120000Z")
    assert first != second and second.name == "20261203T120000Z-2"


def test_the_sink_hashes_what_it_wrote_and_never_overwrites(tmp_path):
    sink = store.FileSink(tmp_path, "x\\y.bin")
    sink.write(b"hello ")
    sink.write(b"world")
    assert sink.close() == "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9" and sink.size == 11
    with pytest.raises(FileExistsError):
        store.FileSink(tmp_path, "x\\y.bin")


@pytest.mark.parametrize("name", ["..\\x", "a\\..\\..\\x", "C:\\x", "\\x", ""])
def test_names_from_the_server_cannot_leave_the_backup_folder(name):
    with pytest.raises(store.StoreError):
        store.local_name(name)


def test_relative_roots_and_odd_host_names_are_refused(tmp_path):
    with pytest.raises(store.StoreError, match="absolute"):
        store.new_backup_dir(tmp_path.relative_to(tmp_path.parent), "h", "s")
    with pytest.raises(store.StoreError):
        store.new_backup_dir(tmp_path, "../h", "s")


def test_only_complete_verified_backups_of_the_host_count_newest_first(tmp_path):
    old = make_backup(tmp_path, "h1", NOW - dt.timedelta(hours=10))
    new = make_backup(tmp_path, "h1", NOW - dt.timedelta(hours=1))
    make_backup(tmp_path, "h1", NOW - dt.timedelta(minutes=5), status="failed")
    incomplete = make_backup(tmp_path, "h1", NOW - dt.timedelta(minutes=1))
    (incomplete / "a" / "b.txt").unlink()
    make_backup(tmp_path, "h2", NOW)
    assert [f for f, _ in store.verified_backups(tmp_path, "h1")] == [new, old]


def test_a_young_backup_is_one_within_the_age_limit_and_zero_means_never(tmp_path):
    folder = make_backup(tmp_path, "h1", NOW - dt.timedelta(hours=3))
    assert store.young_backup(tmp_path, "h1", NOW, 4)[0] == folder
    assert store.young_backup(tmp_path, "h1", NOW, 2) is None
    assert store.young_backup(tmp_path, "h1", NOW, 0) is None


def test_vault_encryption_keeps_the_file_owner_only_and_decryptable(tmp_path):
    folder = make_backup(tmp_path, "h1", NOW, files=(("f.txt", b"secret config"),))
    secret = VaultSecret(b"pw")
    store.encrypt(folder, ["f.txt"], VaultLib(), secret, "backup")
    data = (folder / "f.txt").read_bytes()
    assert data.startswith(b"$ANSIBLE_VAULT;1.2;AES256;backup") and mode(folder / "f.txt") == 0o600
    assert VaultLib([("backup", secret)]).decrypt(data) == b"secret config"
