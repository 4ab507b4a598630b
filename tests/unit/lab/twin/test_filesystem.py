"""The file system model (lab/twin/filesystem.py): paths."""

from __future__ import annotations

import pytest

from lab.twin.filesystem import FileSystem, FileSystemError


def test_filesystem_paths():
    fs = FileSystem()
    fs.write("c:/Program Files/App/x.exe", b"MZ", version="1.2.3.4")
    assert fs.exists("C:\\PROGRAM FILES\\app\\X.EXE")
    assert fs.is_dir("C:\\Program Files\\App")
    assert fs.get("C:\\Program Files\\App\\x.exe")["path"] == "C:\\Program Files\\App\\x.exe"
    with pytest.raises(FileSystemError):
        fs.write("relative\\path.txt", b"")
