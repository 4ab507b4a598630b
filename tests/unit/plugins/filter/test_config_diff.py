"""The config_diff filter (plugins/filter/config_diff.py): paths or models in, the comparison out."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

from lab.config import PROFILES_DIR
from lab.twin import syncconfig
from lab.twin.host import Twin

ROOT = Path(__file__).resolve().parents[4]


@pytest.fixture
def config_diff(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / ".ansible" / "collections"))
    return importlib.import_module("ansible_collections.entra.sync_upgrade.plugins.filter.config_diff").config_diff


def write_export(folder: Path, twin: Twin) -> Path:
    for relative, data in syncconfig.export_files(twin).items():
        path = folder / relative.replace("\\", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return folder


def test_two_folders_of_one_configuration_compare_clean_and_a_change_is_a_row(config_diff, tmp_path):
    source = Twin.from_profile("s", "connect_2_3_2019", PROFILES_DIR)
    baseline = str(write_export(tmp_path / "a", source))
    assert config_diff(baseline, str(write_export(tmp_path / "b", source)))["clean"]
    source.state["sync"]["password_hash_sync"] = False
    result = config_diff(baseline, str(write_export(tmp_path / "c", source)), accepted=[])
    assert result["rows"] == [{"area": "global", "name": "global", "property": "password_hash_sync",
                               "source": True, "target": False, "accepted": False}]


def test_an_unreadable_side_or_bad_accepted_list_fails_the_filter(config_diff, tmp_path):
    with pytest.raises(AnsibleFilterError, match="the baseline: .*no such file"):
        config_diff(str(tmp_path / "missing"), str(tmp_path))
    with pytest.raises(AnsibleFilterError, match="controller path or a parsed model"):
        config_diff(None, str(tmp_path))
    with pytest.raises(AnsibleFilterError, match="accepted must be a list"):
        config_diff(str(tmp_path), str(tmp_path), accepted="rule")
