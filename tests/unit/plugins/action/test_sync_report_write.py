"""sync_report_write's file handling: owner-only from creation, never over an existing file, the latest link
replaced in one rename."""

from __future__ import annotations

import stat

import pytest

ACTION = "sync_report_write"  # conftest.py imports it


@pytest.fixture(scope="module")
def writer(action_module):
    return action_module


def test_a_report_file_is_owner_only_and_never_overwrites(writer, tmp_path):
    path = tmp_path / "report.md"
    writer._write_new(path, "# report\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_text() == "# report\n"
    with pytest.raises(FileExistsError):
        writer._write_new(path, "another run's report")
    assert path.read_text() == "# report\n"


def test_the_latest_link_moves_to_the_newest_folder_and_stays_relative(writer, tmp_path):
    first, second = tmp_path / "20261204T100000Z-aaa", tmp_path / "20261204T110000Z-bbb"
    first.mkdir()
    second.mkdir()
    writer._point_latest(first)
    writer._point_latest(second)
    latest = tmp_path / writer.LATEST
    assert latest.is_symlink() and str(latest.readlink()) == second.name
    assert sorted(p.name for p in tmp_path.iterdir()) == [first.name, second.name, writer.LATEST]  # no leftovers

