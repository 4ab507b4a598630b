"""The configuration comparison (plugins/plugin_utils/_config_diff.py): its parsers and the diff, on files the
lab's settings model writes (lab/twin/syncconfig.py)."""

from __future__ import annotations

import json

import pytest

from lab.config import PROFILES_DIR
from lab.twin import syncconfig
from lab.twin.host import Twin
from plugins.plugin_utils import _config_diff as diff


def twin(profile: str = "connect_2_4_fullsql_2019", hostname: str | None = None) -> Twin:
    return Twin.from_profile("t", profile, PROFILES_DIR, hostname)


def server_config(t: Twin) -> dict:
    return diff.parse_server_configuration(syncconfig.export_files(t))


def with_config(t: Twin, change) -> Twin:
    config = syncconfig.configuration(t)
    change(config)
    t.state["sync"]["configuration"] = config
    return t


def test_the_same_configuration_compares_clean_in_every_area():
    result = diff.compare(server_config(twin()), server_config(twin()))
    assert result["clean"] and result["rows"] == [] and result["not_compared"] == []
    assert result["compared"] == ["global", "connector", "partition", "attribute_inclusion", "rule"]


def test_a_new_server_with_other_connector_and_rule_identifiers_still_compares_clean():
    target = twin(hostname="ENTRANEW05")
    with_config(target, lambda c: c["connectors"][0].update(identifier="11111111-2222-3333-4444-555555555555"))
    for rule in target.state["sync"]["configuration"]["rules"]:
        if rule["connector"] == "4f1c2a8e-93b1-4c7e-a5d2-1b7f0e6c3d90":
            rule["connector"] = "11111111-2222-3333-4444-555555555555"
    assert diff.compare(server_config(twin()), server_config(target))["clean"]


def test_a_missing_rule_a_changed_precedence_a_missing_partition_and_an_excluded_attribute_are_rows():
    def change(config):
        config["rules"] = [r for r in config["rules"] if r["name"] != "In from AD - Group Join"]
        next(r for r in config["rules"] if r["name"] == "Out to AAD - User Join")["precedence"] = 999
        config["connectors"][0]["partitions"].append({"name": "DC=emea,DC=corp,DC=contoso,DC=com",
                                                      "display_name": "emea", "inclusions": [], "exclusions": []})
        config["connectors"][0]["attributes_excluded"] = ["telephoneNumber"]
    baseline = server_config(with_config(twin(), change))
    result = diff.compare(baseline, server_config(twin()))
    rows = {(r["area"], r["name"], r["property"]): (r["source"], r["target"]) for r in result["rows"]}
    assert rows == {
        ("rule", "In from AD - Group Join", "present"): (False, True),
        ("rule", "Out to AAD - User Join", "precedence"): (999, 125),  # the 26th standard rule: 100 + 25
        ("partition", "corp.contoso.com/DC=emea,DC=corp,DC=contoso,DC=com", "present"): (True, False),
        ("attribute_inclusion", "corp.contoso.com", "telephoneNumber"): ("excluded", "included"),
    }
    assert not result["clean"] and not any(r["accepted"] for r in result["rows"])


def test_rows_carry_the_exact_precedences():
    baseline = server_config(with_config(twin(), lambda c: c["rules"][0].update(precedence=42)))
    [row] = diff.compare(baseline, server_config(twin()))["rows"]
    assert row == {"area": "rule", "name": "In from AD - User Join", "property": "precedence", "source": 42,
                   "target": 100, "accepted": False}


def test_accepted_patterns_mark_rows_and_only_all_accepted_is_clean():
    baseline = server_config(with_config(twin(), lambda c: (c["rules"][0].update(precedence=42),
                                                            c["global"].update(password_hash_sync=False))))
    target = server_config(twin())
    partly = diff.compare(baseline, target, [{"area": "rule", "name": "In from AD - *", "property": "precedence"}])
    assert [(r["area"], r["accepted"]) for r in partly["rows"]] == [("global", False), ("rule", True)] and not partly["clean"]
    whole = diff.compare(baseline, target, [{"area": "rule"}, {"area": "global", "property": "password_hash_sync"}])
    assert whole["clean"] and all(r["accepted"] for r in whole["rows"])


def test_a_changed_flow_and_scope_are_rows_per_property():
    def change(config):
        rule = config["rules"][3]
        rule["flows"][0]["expression"] = "Trim([displayName])"
        rule["scope"] = [[{"attribute": "department", "operator": "EQUAL", "value": "Sales"}]]
    [scope, flow] = diff.compare(server_config(with_config(twin(), change)), server_config(twin()))["rows"]
    assert (scope["property"], flow["property"]) == ("scope", "flow displayName")
    assert "Sales" in scope["source"] and "Trim" in flow["source"] and "Direct" in flow["target"]


def test_the_json_export_and_the_migrate_settings_folder_read_as_the_server_configuration():
    t = twin()
    [json_bytes] = syncconfig.settings_files(t, "json_export").values()
    folder = syncconfig.settings_files(t, "migrate_settings")
    baseline = diff.parse_json_export(json_bytes)
    assert diff.compare(baseline, server_config(twin()))["clean"]
    assert diff.compare(diff.parse_migrate_settings(folder), server_config(twin()))["clean"]


def test_a_file_of_another_shape_is_refused_not_read_as_empty():
    with pytest.raises(diff.ConfigParseError, match="shape"):
        diff.parse_json_export(json.dumps({"policyMetadata": {}}).encode())
    with pytest.raises(diff.ConfigParseError, match="not JSON"):
        diff.parse_json_export(b"\x00" * 100)
    with pytest.raises(diff.ConfigParseError, match="Connector"):
        diff.parse_server_configuration({"GlobalSettings\\MV.xml": b"<saved-mv-configuration/>"})
    with pytest.raises(diff.ConfigParseError, match="MigratedPolicy"):
        diff.parse_migrate_settings(syncconfig.export_files(twin()))


def test_a_dirsync_baseline_maps_its_connectors_to_connects_and_does_not_compare_rules():
    source = twin("dirsync_2008r2")
    [export] = syncconfig.settings_files(source, "dirsync_export").values()
    baseline = diff.parse_dirsync_export(export)
    assert sorted(baseline["connectors"]) == ["corp.contoso.com", "wingtiptoys.onmicrosoft.com - AAD"]
    target = twin("target_2022_clean", "ENTRANEW01")
    syncconfig.apply_settings(target, {"DirSyncSettings.json": export}, "dirsync_export")
    result = diff.compare(baseline, server_config(target))
    assert result["rows"] == [] and "rule" not in result["compared"]
    assert result["not_compared"] == [{"area": "rule", "accepted": False, "why": (
        "DirSync has no declarative synchronization rules; the new server runs Connect's standard rules")}]
    assert not result["clean"]  # an area that could not be compared is never clean...
    assert diff.compare(baseline, server_config(target), [{"area": "rule", "property": "not_compared"}])["clean"]


def test_load_reads_a_controller_folder_by_its_manifest_or_its_layout(tmp_path):
    t = twin()
    for relative, data in syncconfig.export_files(t).items():
        path = tmp_path / "export" / relative.replace("\\", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    [(name, data)] = syncconfig.settings_files(t, "json_export").items()
    (tmp_path / "json").mkdir()
    (tmp_path / "json" / name).write_bytes(data)
    (tmp_path / "json" / "manifest.json").write_text(json.dumps({"method": "json_export"}))
    assert diff.load(tmp_path / "export")["kind"] == "server_configuration"
    assert diff.compare(diff.load(tmp_path / "json"), diff.load(tmp_path / "export"))["clean"]
    with pytest.raises(diff.ConfigParseError, match="no such"):
        diff.load(tmp_path / "missing")
