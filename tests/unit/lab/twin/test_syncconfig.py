"""The settings model (lab/twin/syncconfig.py): derivation, the export's layout, settings round trips, import
gaps."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from lab.config import PROFILES_DIR
from lab.twin import syncconfig
from lab.twin.host import Twin


def twin(profile: str = "connect_2_4_fullsql_2019", hostname: str | None = None) -> Twin:
    return Twin.from_profile("t", profile, PROFILES_DIR, hostname)


def test_the_configuration_is_derived_from_the_sync_state_and_is_deterministic():
    config = syncconfig.configuration(twin())
    assert config == syncconfig.configuration(twin())
    ad, entra = config["connectors"]
    assert (ad["name"], ad["partitions"][0]["name"]) == ("corp.contoso.com", "DC=corp,DC=contoso,DC=com")
    assert ad["partitions"][0]["inclusions"] == ["DC=corp,DC=contoso,DC=com"]
    assert (entra["identifier"], entra["partitions"][0]["name"]) == (syncconfig.ENTRA_CONNECTOR_ID,
                                                                      "woodgrovebank.onmicrosoft.com")
    assert len(config["rules"]) == 38 and [r["precedence"] for r in config["rules"]] == list(range(100, 138))
    join = config["rules"][0]
    assert (join["name"], join["direction"], join["connector"]) == ("In from AD - User Join", "Inbound",
                                                                    ad["identifier"])
    assert config["rules"][25]["direction"] == "Outbound" and config["rules"][25]["connector"] == entra["identifier"]
    assert config["global"] == {"tenant": "woodgrovebank.onmicrosoft.com", "password_hash_sync": True}


def test_custom_rules_take_precedence_below_100_and_dirsync_has_no_rules():
    t = twin()
    t.state["sync"]["server_configuration"]["custom_rules"] = ["In from AD - User Custom", {"name": "Out to AAD - X",
                                                                                             "precedence": 7}]
    custom = [r for r in syncconfig.configuration(t)["rules"] if not r["standard"]]
    assert [(r["name"], r["precedence"], r["direction"]) for r in custom] == [
        ("In from AD - User Custom", 50, "Inbound"), ("Out to AAD - X", 7, "Outbound")]
    dirsync = syncconfig.configuration(twin("dirsync_2008r2"))
    assert dirsync["rules"] == [] and dirsync["connectors"][0]["partitions"][0]["name"] == "DC=corp,DC=contoso,DC=com"


def test_export_files_have_the_layout_get_adsyncserverconfiguration_writes():
    t = twin()
    files = syncconfig.export_files(t)
    folders = {name.split("\\")[0] for name in files}
    assert folders == {"Connectors", "GlobalSettings", "SynchronizationRules"}
    assert "Connectors\\Connector_{b891884f-051e-4a83-95af-2544101c9083}.xml" in files
    assert sum(name.startswith("SynchronizationRules\\SynchronizationRule_{") for name in files) == 38
    connector = ET.fromstring(files["Connectors\\Connector_{b891884f-051e-4a83-95af-2544101c9083}.xml"])
    assert connector.tag == "ma-data" and connector.findtext("category") == "Extensible2"
    assert connector.find("ma-partition-data/partition/filter/containers/inclusions") is not None
    rule = ET.fromstring(next(v for k, v in files.items() if k.startswith("SynchronizationRules")))
    assert rule.tag == "synchronizationRule"
    assert [c.tag for c in rule][:3] == ["id", "version", "name"]
    assert rule.find("attribute-mappings/mapping/dest") is not None
    assert rule.find("synchronizationCriteria/conditions/scope/csOperator") is not None
    assert syncconfig.parse_export(files) == syncconfig.configuration(t)


@pytest.mark.parametrize("method", ["json_export", "migrate_settings"])
def test_settings_applied_on_a_fresh_engine_give_the_same_configuration(method):
    source = twin()
    target = twin("target_2022_clean", "ENTRANEW05")
    syncconfig.apply_settings(target, syncconfig.settings_files(source, method), method)
    got, want = syncconfig.configuration(target), syncconfig.configuration(source)
    assert [c["name"] for c in got["connectors"]] == [c["name"] for c in want["connectors"]]
    assert got["connectors"][0]["identifier"] != want["connectors"][0]["identifier"]  # a new AD connector
    strip = lambda c: {**c, "identifier": None}  # noqa: E731
    assert [strip(c) for c in got["connectors"]] == [strip(c) for c in want["connectors"]]
    assert [(r["name"], r["precedence"]) for r in got["rules"]] == [(r["name"], r["precedence"]) for r in want["rules"]]
    assert got["global"] == want["global"]
    assert target.state["sync"]["connectors"][1]["identifier"] == syncconfig.ENTRA_CONNECTOR_ID


def test_the_json_export_is_the_file_the_profile_holds():
    t = twin()
    [(name, data)] = syncconfig.settings_files(t, "json_export").items()
    assert name == "Applied-SynchronizationPolicy-20250214-091544.json"
    assert t.files.read(f"C:\\ProgramData\\AADConnect\\{name}") == data


def test_import_gaps_custom_precedence_attribute_selection_and_edited_standard_rules():
    source = twin()
    config = syncconfig.configuration(source)
    config["connectors"][0]["attributes_excluded"] = ["mobile"]
    config["rules"][0]["precedence"] = 5  # an edited standard rule
    config["rules"].append({**config["rules"][1], "name": "In from AD - Custom", "standard": False, "precedence": 20})
    source.state["sync"]["configuration"] = config
    target = twin("target_2022_clean", "ENTRANEW05")
    syncconfig.apply_settings(target, syncconfig.settings_files(source, "json_export"), "json_export")
    got = syncconfig.configuration(target)
    assert got["connectors"][0]["attributes_excluded"] == []  # redone by hand after the import
    assert got["rules"][0]["name"] == "In from AD - Custom" and got["rules"][0]["precedence"] == 20
    assert next(r for r in got["rules"] if r["name"] == "In from AD - User Join")["precedence"] == 100
    config["rules"][-1]["precedence"] = 150
    with pytest.raises(ValueError, match="precedence between 0 and 99"):
        syncconfig.apply_settings(target, syncconfig.settings_files(source, "json_export"), "json_export")


def test_dirsync_settings_become_connects_connectors_with_attribute_filtering_kept():
    source = twin("dirsync_2008r2")
    source.state["sync"]["connectors"][0]["filtering"] = {"attributes_excluded": ["mobile"],
                                                          "exclusions": ["OU=Test,DC=corp,DC=contoso,DC=com"]}
    target = twin("target_2022_clean", "ENTRANEW01")
    syncconfig.apply_settings(target, syncconfig.settings_files(source, "dirsync_export"), "dirsync_export")
    ad, entra = syncconfig.configuration(target)["connectors"]
    # the tenant follows: DirSync's own (its profile's), though its agents' names never show it
    assert (ad["name"], entra["name"], entra["identifier"]) == ("corp.contoso.com", "wingtiptoys.onmicrosoft.com - AAD",
                                                                syncconfig.ENTRA_CONNECTOR_ID)
    assert ad["attributes_excluded"] == ["mobile"]
    assert ad["partitions"][0]["exclusions"] == ["OU=Test,DC=corp,DC=contoso,DC=com"]


@pytest.mark.parametrize("files, method", [
    ({"a.json": b"not json"}, "json_export"),
    ({"a.json": json.dumps({"schema": "something else"}).encode()}, "json_export"),
    ({"a.json": b"{}", "b.json": b"{}"}, "json_export"),
    ({"x\\Connectors\\Connector_{1}.xml": b"<ma-data/>"}, "migrate_settings"),
])
def test_a_file_that_is_not_a_settings_file_is_refused_with_the_wizards_message(files, method):
    target = twin("target_2022_clean", "ENTRANEW05")
    before = json.dumps(target.state["sync"], sort_keys=True)
    with pytest.raises(ValueError, match="not a valid synchronization settings file"):
        syncconfig.apply_settings(target, files, method)
    assert json.dumps(target.state["sync"], sort_keys=True) == before


def test_migrate_settings_needs_the_wizards_registry_value():
    t = twin()
    t.registry.delete_value("HKLM\\SOFTWARE\\Microsoft\\Azure AD Connect", "WizardPath")
    with pytest.raises(syncconfig.MigrateSettingsError, match="WizardPath"):
        syncconfig.settings_files(t, "migrate_settings")
    files = syncconfig.settings_files(twin(), "migrate_settings")
    [folder] = {k.split("\\")[0] for k in files}
    assert folder.startswith("Exported-ServerConfiguration-")
    migrated = json.loads(files[f"{folder}\\MigratedPolicy.json"])
    assert migrated["DBName"] == "ADSync" and f"{folder}\\PersistedState.xml" in files
