"""What a backup holds per tool, decided on the controller from the assessment's facts."""

from __future__ import annotations

import functools

import pytest

from lab.config import PROFILES_DIR
from lab.powershell.scripts import PROJECT_SCRIPTS
from lab.twin.host import Twin
from plugins.plugin_utils import _backup_catalog as catalog
from plugins.plugin_utils import _classify, _probe
from plugins.plugin_utils import _evidence as ev


@functools.cache
def _facts(profile: str) -> dict:
    twin = Twin.from_profile("h", profile, PROFILES_DIR)
    answer = PROJECT_SCRIPTS["probe"](twin, _probe.build_probe(ev.build_request()), b"")
    return _classify.classify(_probe.parse_output(answer.stdout))


def facts_of(profile: str) -> dict:
    """The facts the assessment gives for a lab profile (a copy: tests may change it)."""
    import copy

    return copy.deepcopy(_facts(profile))


def ids(items):
    return {i["id"]: i for i in items}


def test_connect_2x_backs_up_its_exports_state_registry_and_a_fresh_export():
    items = ids(catalog.items(facts_of("connect_2_3_2019"), False, "S"))
    assert items["server_configuration"]["required"] and items["server_configuration"]["command"] == \
        "Get-ADSyncServerConfiguration"
    assert items["persisted_state"]["required"]
    assert items["engine_parameters"]["key"] == r"HKLM\SYSTEM\CurrentControlSet\Services\ADSync\Parameters"
    assert items["applied_policy"]["filter"] == "Applied-SynchronizationPolicy-*.json"
    assert items["exported_configuration"]["type"] == "folder"
    assert "database" not in items


def test_connect_before_the_export_feature_and_aadsync_take_the_export_only_where_it_exists():
    old = facts_of("connect_2_3_2019")
    old["version"] = "1.4.38.0"
    assert not ids(catalog.items(old, False, "S"))["server_configuration"]["required"]
    aadsync = ids(catalog.items(facts_of("aadsync_2012r2"), False, "S"))
    assert not aadsync["server_configuration"]["required"] and not aadsync["persisted_state"]["required"]
    assert aadsync["scheduler_task"]["path"].endswith("Azure AD Sync Scheduler")


def test_dirsync_always_includes_its_database_as_a_copy_only_sql_backup():
    items = ids(catalog.items(facts_of("dirsync_2008r2"), False, "20261203T120000Z"))
    db = items["database"]
    assert db["kind"] == "sql_backup" and db["data_source"] == "DIRSYNC01\\SQLEXPRESS"
    assert db["database"] == "FIMSynchronizationService" and db["stamp"] == "20261203T120000Z"
    assert items["coexistence_settings"]["required"] and items["engine_parameters"]["key"].endswith(
        r"FIMSynchronizationService\Parameters")


@pytest.mark.parametrize("profile,folder", [("connect_2_3_2019", r"Data\ADSync2019"), ("connect_1x_2016", "Data")])
def test_localdb_files_are_copied_with_the_sync_service_stopped(profile, folder):
    db = ids(catalog.items(facts_of(profile), True, "S"))["database"]
    assert db["kind"] == "offline_copy" and db["service"] == "ADSync"
    assert db["paths"] == [rf"C:\Program Files\Microsoft Azure AD Sync\{folder}\ADSync.mdf",
                           rf"C:\Program Files\Microsoft Azure AD Sync\{folder}\ADSync_log.ldf"]


def test_full_sql_gets_a_backup_on_its_default_instance():
    db = ids(catalog.items(facts_of("connect_2_4_fullsql_2019"), True, "S"))["database"]
    assert db["kind"] == "sql_backup" and db["data_source"] == "AADCSQL01" and db["database"] == "ADSync"


@pytest.mark.parametrize("change,message", [
    ({"tool": "none"}, "nothing to back up"),
    ({"tool": "unknown"}, "nothing to back up"),
    ({"database": {"type": "unknown", "name": "ADSync"}}, "cannot back it up"),
    ({"database": {"type": "localdb", "name": "ADSync", "instance": ".\\Other"}}, "no folder this toolkit knows"),
    ({"database": {"type": "sql", "name": "unknown", "server": "x"}}, "name is unknown"),
])
def test_facts_that_do_not_allow_a_backup_are_refused_with_the_reason(change, message):
    facts = facts_of("connect_2_3_2019")
    facts.update(change)
    with pytest.raises(catalog.CatalogError, match=message):
        catalog.items(facts, True, "S")


def test_the_request_carries_what_the_script_needs_and_no_descriptions():
    request = catalog.request("plan", "F", catalog.items(facts_of("connect_2_3_2019"), True, "S"))
    assert request["mode"] == "plan" and request["folder"] == "F"
    assert all("what" not in i and "required" not in i for i in request["items"])


def test_only_hklm_keys_are_exported():
    with pytest.raises(ValueError, match="HKLM"):
        catalog._registry("x", r"HKCU\Software\X", True, "x")
