"""The lab's answer to settings-export.ps1 (lab/powershell/scripts/settings_export.py), sent as sync_settings
sends it: bootstrap on the command line, the built script on stdin."""

from __future__ import annotations

import base64
import hashlib
import json

from lab.twin import authenticode, syncconfig
from tests.unit.lab.powershell.scripts.test_backup_scripts import run, twin_of

STAGING = "%ProgramData%\\EntraSyncUpgrade\\backup\\settings-20261203T120000Z"
TOOLS = r"C:\Program Files\Microsoft Azure Active Directory Connect\Tools\MigrateSettings.ps1"
DATA = "C:\\ProgramData\\AADConnect"


def settings(twin, **request) -> dict:
    return run(twin, "settings-export", {"folder": STAGING, **request})


def test_planning_a_json_export_hashes_the_newest_policy_and_writes_nothing():
    twin = twin_of("connect_2_4_fullsql_2019")
    before = twin.canonical()
    doc = settings(twin, operation="stage", method="json_export", collect=False)
    assert doc["error"] is None and twin.canonical() == before
    [record] = doc["files"]
    data = twin.files.read(doc["located"])
    assert record["name"] == "Applied-SynchronizationPolicy-20250214-091544.json"
    assert record["sha256"] == hashlib.sha256(data).hexdigest() and record["size"] == len(data)


def test_staging_copies_then_remove_leaves_the_server_as_it_was_but_for_the_empty_staging_root():
    twin = twin_of("connect_2_4_fullsql_2019")
    doc = settings(twin, operation="stage", method="export_config", collect=True)
    assert doc["error"] is None and len(doc["files"]) == 42
    assert all(f["name"].startswith("export\\") for f in doc["files"])
    assert settings(twin, operation="remove")["error"] is None
    assert twin.files.get("C:\\ProgramData\\EntraSyncUpgrade\\backup\\settings-20261203T120000Z") is None


def test_export_config_fails_as_windows_on_a_host_without_the_cmdlet():
    doc = settings(twin_of("aadsync_2012r2"), operation="stage", method="export_config", collect=False)
    assert doc["error"] == "this build has no Get-ADSyncServerConfiguration"


def test_migrate_runs_only_microsofts_migratesettings_and_writes_its_folder():
    twin = twin_of("connect_1x_2016")
    script = twin.files.read(TOOLS)
    doc = settings(twin, operation="migrate", script=base64.b64encode(script).decode(),
                   sha256=hashlib.sha256(script).hexdigest())
    assert doc["error"] is None and doc["signer"] == {"status": "Valid", "subject": authenticode.MICROSOFT}
    assert doc["located"].startswith(DATA + "\\Exported-ServerConfiguration-")
    migrated = json.loads(twin.files.read(doc["located"] + "\\MigratedPolicy.json"))
    assert migrated["ConnectorIds"][1] == syncconfig.ENTRA_CONNECTOR_ID
    staged = settings(twin, operation="stage", method="migrate_settings", collect=False)
    assert staged["located"] == doc["located"] and any(f["name"].endswith("PersistedState.xml")
                                                       for f in staged["files"])


def test_migrate_refuses_a_changed_an_unsigned_or_a_wrongly_hashed_script():
    twin = twin_of("connect_1x_2016")
    script = twin.files.read(TOOLS)
    changed = script.replace(b"Exports", b"Deletes")
    other = authenticode.sign(b"Remove-Item C:\\ -Recurse\r\n", "CN=Contoso, O=Contoso")
    for data, why in ((changed, "HashMismatch"), (b"Write-Host hi\r\n", "NotSigned"), (other, "Valid, CN=Contoso")):
        before = twin.canonical()
        doc = settings(twin, operation="migrate", script=base64.b64encode(data).decode(),
                       sha256=hashlib.sha256(data).hexdigest())
        assert "is not signed by Microsoft (" + why in doc["error"]
        assert not any("Exported-ServerConfiguration" in e["path"] for e in twin.files.walk(DATA)), before
    doc = settings(twin, operation="migrate", script=base64.b64encode(script).decode(), sha256="0" * 64)
    assert "does not have the SHA-256" in doc["error"]


def test_a_microsoft_signed_script_that_is_not_migratesettings_is_not_simulated():
    twin = twin_of("connect_1x_2016")
    data = authenticode.sign(b"# some other Microsoft script\r\n")
    doc = settings(twin, operation="migrate", script=base64.b64encode(data).decode(),
                   sha256=hashlib.sha256(data).hexdigest())
    assert doc["error"].startswith("lab: not simulated: running a Microsoft-signed script")


def test_migratesettings_stops_without_the_wizards_registry_value():
    twin = twin_of("connect_1x_2016")
    twin.registry.delete_value("HKLM\\SOFTWARE\\Microsoft\\Azure AD Connect", "WizardPath")
    script = twin.files.read(TOOLS)
    doc = settings(twin, operation="migrate", script=base64.b64encode(script).decode(),
                   sha256=hashlib.sha256(script).hexdigest())
    assert "WizardPath" in doc["error"]


def test_check_hashes_pushed_files_and_creates_folders_only_when_asked():
    twin = twin_of("target_2022_clean")
    folder = "C:\\ProgramData\\EntraSyncUpgrade\\settings\\src"
    doc = run(twin, "settings-export", {"operation": "check", "folder": folder, "names": ["a\\b.xml"],
                                        "create": False})
    assert doc["files"] == [{"name": "a\\b.xml", "sha256": None}] and twin.files.get(folder) is None
    run(twin, "settings-export", {"operation": "check", "folder": folder, "names": ["a\\b.xml"], "create": True})
    twin.files.write(folder + "\\a\\b.xml", b"x")
    doc = run(twin, "settings-export", {"operation": "check", "folder": folder, "names": ["a\\b.xml"]})
    assert doc["files"][0]["sha256"] == hashlib.sha256(b"x").hexdigest()
    refused = run(twin, "settings-export", {"operation": "check", "folder": "C:\\Windows", "names": []})
    assert refused["error"].startswith("refused: C:\\Windows is not below")
