"""The wizard model (lab/twin/wizard.py): each operation's effects, and its refusals changing nothing."""

from __future__ import annotations

import json

import pytest

from lab.config import PROFILES_DIR
from lab.twin import labmsi, syncconfig
from lab.twin.host import Twin
from lab.twin.wizard import ENTRA_CONNECTOR_ID, MIGRATE_SETTINGS, WIZARD_EXE, Wizard, WizardError
from tests.twins import build_twin

MSI = r"C:\Users\labadmin\Downloads\AzureADConnect.msi"
NEW = "2.5.190.0"
CONNECT_UNINSTALL = r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\MicrosoftAzureADConnectionTool"
CONNECT_KEY = r"HKLM\SOFTWARE\Microsoft\Azure AD Connect"
ENGINE_FILES = (WIZARD_EXE, r"C:\Program Files\Microsoft Azure AD Sync\Bin\miiserver.exe",
                r"C:\Program Files\Microsoft Azure AD Sync\Bin\ADSync\ADSync.psd1",
                r"C:\Program Files\Microsoft Azure AD Sync\UIShell\miisclient.exe")


def host(profile: str, version: str = NEW, variant: str = "signed") -> Twin:
    twin = Twin.from_profile("t", profile, PROFILES_DIR)
    twin.files.write(MSI, labmsi.build(4096, version, variant))
    return twin


def unchanged(twin: Twin, action) -> str:
    """Run an action that must refuse; return its message after checking nothing changed."""
    before = twin.canonical()
    with pytest.raises(WizardError) as raised:
        action(Wizard(twin))
    assert twin.canonical() == before
    return str(raised.value)


def dirsync_2019(objects: int = 30_000) -> Twin:
    """DirSync on an OS Connect 2.x supports (the lab's DirSync hosts run 2008 R2 and 2012 R2)."""
    twin = build_twin({}, base="base/windows-server-2019")
    twin.state["domain"] = "corp.contoso.com"
    spec = Twin.from_profile("d", "dirsync_2008r2", PROFILES_DIR).state
    from lab.twin import profile
    for _, data in profile.fragments("fragments/products/dirsync-1.0.7020", PROFILES_DIR):
        profile.apply(twin, data)
    for key in ("sync", "sql", "wmi"):
        twin.state[key] = json.loads(json.dumps(spec[key]))
    twin.state["sql"]["databases"][0]["tables"]["mms_metaverse"] = objects
    twin.files.write(MSI, labmsi.build(4096, NEW))
    return twin


# --- upgrade --------------------------------------------------------------------------------------------------
def test_upgrade_moves_a_connect_server_to_the_package_version():
    twin = host("connect_2_3_2019")
    before = twin.state["sync"]
    scheduler, connectors = dict(before["scheduler"]), list(before["connectors"])
    result = Wizard(twin).upgrade(MSI)
    assert result["changed"] and result["version"] == NEW
    assert twin.registry.get_value(CONNECT_KEY, "Version")["data"] == NEW
    assert twin.registry.get_value(CONNECT_KEY, "WizardPath")["data"] == WIZARD_EXE
    assert twin.registry.get_value(CONNECT_UNINSTALL, "DisplayVersion")["data"] == NEW
    assert twin.registry.get_value(CONNECT_UNINSTALL, "DisplayName")["data"] == "Microsoft Entra Connect"
    assert {twin.files.get(p)["version"] for p in ENGINE_FILES} == {NEW}
    sync = twin.state["sync"]
    assert sync["version"] == NEW and sync["connectors"] == connectors
    assert sync["scheduler"] == scheduler
    adsync = twin.services.get("ADSync")
    assert (adsync.display_name, adsync.state, adsync.start_mode) == ("Microsoft Entra ID Sync", "running", "auto")


def test_upgrade_keeps_a_disabled_scheduler_disabled_and_the_service_account():
    twin = host("connect_1x_2016")
    twin.state["sync"]["scheduler"]["SyncCycleEnabled"] = False
    Wizard(twin).upgrade(MSI)
    assert twin.state["sync"]["scheduler"]["SyncCycleEnabled"] is False
    assert twin.services.get("ADSync").username == "CORP\\ADSyncMSA4b1f2$"


def test_upgrade_from_1x_moves_the_database_to_localdb_2019():
    twin = host("connect_1x_2016")
    Wizard(twin).upgrade(MSI)
    db = next(d for d in twin.state["sql"]["databases"] if d["name"] == "ADSync")
    assert db["instance"] == r"(localdb)\.\ADSync2019" and db["tables"]["mms_metaverse"] == 25000
    assert all(twin.files.exists(f) for f in db["files"])
    assert twin.registry.get_value(r"HKLM\SYSTEM\CurrentControlSet\Services\ADSync\Parameters",
                                   "SQLInstance")["data"] == r".\ADSync2019"


def test_the_same_version_again_changes_nothing():
    twin = host("connect_current_2022")
    before = twin.canonical()
    assert Wizard(twin).upgrade(MSI)["changed"] is False
    assert twin.canonical() == before


@pytest.mark.parametrize("variant", ["unsigned", "tampered", "wrong_signer", "untrusted"])
def test_a_package_that_is_not_validly_microsoft_signed_is_refused(variant):
    assert "not a valid Microsoft-signed package" in unchanged(host("connect_2_3_2019", variant=variant),
                                                             lambda w: w.upgrade(MSI))


def test_a_missing_package_or_a_file_that_is_no_package_is_refused():
    twin = host("connect_2_3_2019")
    assert "could not be opened" in unchanged(twin, lambda w: w.upgrade(r"C:\Users\labadmin\Downloads\none.msi"))
    twin.files.write(MSI, b"MZ not a package")
    assert "valid Windows Installer package" in unchanged(twin, lambda w: w.upgrade(MSI))


def test_an_older_package_is_refused():
    assert "newer version" in unchanged(host("connect_current_2022", version="2.4.131.0"), lambda w: w.upgrade(MSI))


@pytest.mark.parametrize("profile,words", [("aadsync_2012r2", "Windows Server 2016"),
                                           ("server_core_2022", "Server Core")])
def test_connect_2x_refuses_an_os_too_old_and_server_core(profile, words):
    assert words in unchanged(host(profile), lambda w: w.upgrade(MSI))


def test_a_missing_entra_connector_guid_means_the_configuration_cannot_be_upgraded():
    twin = host("connect_2_3_2019")
    twin.state["sync"]["connectors"][1]["identifier"] = "c608b552-abc9-4f2d-8fe3-45bc9a58a439"
    assert "cannot be upgraded" in unchanged(twin, lambda w: w.upgrade(MSI))


def test_nothing_to_upgrade_on_a_server_without_sync():
    assert "nothing to upgrade" in unchanged(host("member_no_sync_2019"), lambda w: w.upgrade(MSI))


# --- DirSync in place -----------------------------------------------------------------------------------------
def test_dirsync_is_replaced_by_connect_with_its_connectors_carried_over():
    twin = dirsync_2019()
    ad_id = twin.state["sync"]["connectors"][0]["identifier"]
    Wizard(twin).upgrade(MSI)
    for service in ("FIMSynchronizationService", "MSOnline"):
        assert twin.services.get(service) is None
    assert not twin.files.exists(r"C:\Program Files\Windows Azure Active Directory Sync")
    assert not twin.registry.key_exists(
        r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\Microsoft Online Directory Sync")
    assert "MIIS_ManagementAgent" not in twin.state["wmi"]
    sync = twin.state["sync"]
    assert (sync["engine"], sync["product"], sync["version"]) == ("adsync", "connect", NEW)
    assert sync["connectors"] == [
        {"name": "corp.contoso.com", "type": "AD", "identifier": ad_id},
        {"name": "contoso.onmicrosoft.com - AAD", "type": "Extensible2", "identifier": ENTRA_CONNECTOR_ID}]
    assert sync["auto_upgrade"] == "Enabled" and sync["staging_mode"] is False
    assert twin.services.get("ADSync").state == "running"


def test_dirsync_at_or_above_50000_objects_needs_the_continue_choice():
    twin = dirsync_2019(objects=62_000)
    assert "parallel deployment" in unchanged(twin, lambda w: w.upgrade(MSI))
    assert Wizard(twin).upgrade(MSI, continue_large=True)["changed"]


def test_dirsync_on_2008_r2_cannot_take_connect_2x_in_place():
    assert "Windows Server 2016" in unchanged(host("dirsync_2008r2"), lambda w: w.upgrade(MSI))


# --- stop at Welcome, export, install, staging -----------------------------------------------------------------
def test_wizard_files_leave_the_wizard_and_a_signed_migrate_settings_and_configure_nothing():
    twin = host("target_2022_clean")
    Wizard(twin).wizard_files(MSI)
    assert twin.files.get(WIZARD_EXE)["version"] == NEW
    signature = labmsi.authenticode(twin.files.read(MIGRATE_SETTINGS), MIGRATE_SETTINGS)
    assert (signature["status"], signature["signer_name"]) == ("Valid", "Microsoft Corporation")
    assert twin.services.get("ADSync") is None and not twin.state["sync"]
    assert not twin.registry.key_exists(CONNECT_KEY)


def test_wizard_files_on_a_connect_server_would_be_an_upgrade():
    assert "already installed" in unchanged(host("connect_2_3_2019"), lambda w: w.wizard_files(MSI))


@pytest.mark.parametrize("objects,how", [(30_000, "/ForceExport"), (62_000, "Export settings")])
def test_dirsync_export_writes_the_settings_and_changes_dirsync_no_further(objects, how):
    twin = host("dirsync_2008r2")
    twin.state["sql"]["databases"][0]["tables"]["mms_metaverse"] = objects
    sync_before = json.dumps(twin.state["sync"], sort_keys=True)
    out = r"C:\ProgramData\EntraSyncUpgrade\export\DirSyncSettings.json"
    result = Wizard(twin).dirsync_export(MSI, out)
    assert result["how"] == how
    assert twin.files.read(out) == syncconfig.settings_files(twin, "dirsync_export")["DirSyncSettings.json"]
    assert json.dumps(twin.state["sync"], sort_keys=True) == sync_before
    assert twin.services.get("FIMSynchronizationService").state == "running"
    assert twin.files.get(WIZARD_EXE)["version"] == NEW


def test_dirsync_export_needs_dirsync():
    assert "DirSync is not installed" in unchanged(host("connect_2_3_2019"), lambda w: w.dirsync_export(MSI, r"C:\x.json"))


def test_install_with_imported_settings_makes_a_staging_connect_server():
    source = host("connect_2_3_2019")
    files = syncconfig.settings_files(source, "json_export")
    twin = host("target_2022_clean")
    Wizard(twin).install(MSI, files, "json_export", staging=True)
    sync = twin.state["sync"]
    assert (sync["product"], sync["version"], sync["staging_mode"]) == ("connect", NEW, True)
    assert sync["scheduler"]["StagingModeEnabled"] is True and sync["scheduler"]["SyncCycleEnabled"] is True
    assert [c["name"] for c in sync["connectors"]] == [c["name"] for c in source.state["sync"]["connectors"]]
    adsync = twin.services.get("ADSync")
    assert (adsync.state, adsync.start_mode, adsync.username) == ("running", "auto", "NT SERVICE\\ADSync")
    assert "labadmin" in twin.state["groups"]["ADSyncAdmins"]
    assert twin.state["sql"]["instances"][r"(localdb)\.\ADSync2019"]["owner"] == "ADSync"
    assert twin.adsync.invoke("Get-ADSyncConnector", "labadmin")


def test_install_reads_like_a_profile_built_connect_host():
    """The engine's files, keys and services are those of connect_current_2022 (same build)."""
    twin, reference = host("target_2022_clean"), Twin.from_profile("r", "connect_current_2022", PROFILES_DIR)
    Wizard(twin).install(MSI, None, "json_export", staging=False)
    for path in ENGINE_FILES + (MIGRATE_SETTINGS.replace("MigrateSettings.ps1", "AdSyncTools.psm1"),):
        assert twin.files.get(path)["version" if path in ENGINE_FILES else "size"] == \
            reference.files.get(path)["version" if path in ENGINE_FILES else "size"]
    for name in ("ADSync", "AzureADConnectAgentUpdater", "AzureADConnectHealthSyncMonitor"):
        mine, theirs = twin.services.get(name), reference.services.get(name)
        assert (mine.display_name, mine.username, mine.start_mode, mine.state) == \
            (theirs.display_name, theirs.username, theirs.start_mode, theirs.state)
    assert twin.registry.values(CONNECT_UNINSTALL) == reference.registry.values(CONNECT_UNINSTALL)


def test_install_with_bad_settings_files_changes_nothing():
    twin = host("target_2022_clean")
    before = twin.canonical()
    with pytest.raises(ValueError, match="not a valid synchronization settings file"):
        Wizard(twin).install(MSI, {"x.json": b"{}"}, "json_export", staging=True)
    assert twin.canonical() == before


def test_install_refuses_a_server_that_has_a_sync_engine():
    assert "already installed" in unchanged(host("connect_2_3_2019"),
                                            lambda w: w.install(MSI, None, "json_export", True))


def test_install_by_hand_copies_the_source_configuration():
    source = host("aadsync_2012r2")
    twin = host("target_2022_clean")
    Wizard(twin).install(MSI, None, "manual", staging=True, configuration=syncconfig.configuration(source))
    names = [c["name"] for c in twin.state["sync"]["connectors"]]
    assert names == ["corp.contoso.com", "northwind.onmicrosoft.com - AAD"]  # the source's tenant
    assert twin.state["sync"]["connectors"][1]["identifier"] == ENTRA_CONNECTOR_ID
    persisted = twin.files.read(f"{syncconfig.AADCONNECT_DATA}\\PersistedState.xml").decode()
    assert "<Value>northwind.onmicrosoft.com</Value>" in persisted  # the wizard's install state too


def test_staging_mode_on_and_off():
    twin = host("connect_2_3_2019")
    wizard = Wizard(twin)
    assert wizard.set_staging(True)["changed"]
    assert twin.state["sync"]["staging_mode"] is True and twin.state["sync"]["scheduler"]["StagingModeEnabled"]
    assert wizard.set_staging(True)["changed"] is False
    wizard.set_staging(False)
    assert twin.state["sync"]["staging_mode"] is False
    assert "not installed" in unchanged(host("member_no_sync_2019"), lambda w: w.set_staging(True))
