"""Classification: probe evidence -> the `sync` facts of plugins/modules/sync_facts.py.

The twelve lab profiles are probed through the lab (the same primitives a real server answers) and
classified; hand-written evidence covers what the profiles do not: missing, malformed and contradictory
evidence, Server Core and domain controller corner cases, the .NET release table.
"""

from __future__ import annotations

import copy

import pytest
import yaml

from lab.config import PROFILES_DIR
from lab.powershell.scripts import PROJECT_SCRIPTS
from lab.twin.host import Twin
from plugins.modules import sync_facts
from plugins.plugin_utils import _evidence as ev
from plugins.plugin_utils import _probe
from plugins.plugin_utils._classify import DOTNET_RELEASES, _interval, classify
from tests.twins import remove_key


def lab_evidence(twin: Twin) -> dict:
    script = _probe.build_probe(ev.build_request())
    result = PROJECT_SCRIPTS["stdin-script"](twin, _probe.STDIN_BOOTSTRAP, script.encode())
    return _probe.parse_output(result.stdout)


def classify_lab_doc(profile: str) -> dict:
    """The probe document a lab profile answers, for tests that garble parts of it."""
    return lab_evidence(Twin.from_profile("h", profile, PROFILES_DIR))


def _x(tool, version, caption, build, ps, objects, db, staging, upgrade, dotnet, tls_missing, **extra):
    return dict(tool=tool, version=version, caption=caption, build=build, ps=ps, objects=objects, db=db,
                staging=staging, upgrade=upgrade, dotnet=dotnet, tls_missing=tls_missing, **extra)


W = "Microsoft Windows Server "
EXPECTED = {
    "dirsync_2008r2": _x("dirsync", "1.0.7020.0", W + "2008 R2 Standard", 7601, "2.0", 30000, "sql_express",
                         False, "not_applicable", "4.5.2", 8),
    "dirsync_2012r2_large": _x("dirsync", "1.0.7020.0", W + "2012 R2 Datacenter", 9600, "4.0", 62000,
                               "sql_express", False, "not_applicable", "4.5.1", 5),
    "aadsync_2012r2": _x("aadsync", "1.0.494.501", W + "2012 R2 Standard", 9600, "4.0", 18000, "localdb", None,
                         "not_applicable", "4.5.1", 8),
    "connect_1x_2016": _x("connect", "1.6.16.0", W + "2016 Standard", 14393, "5.1.14393.0", 25000, "localdb",
                          False, "Suspended", "4.7.2", 6, dc=True, reboot=True),
    "connect_2_3_2019": _x("connect", "2.3.20.0", W + "2019 Standard", 17763, "5.1.17763.1", 40000, "localdb",
                           False, "Enabled", "4.8", 1),
    "connect_2_4_staging_2022": _x("connect", "2.4.131.0", W + "2022 Standard", 20348, "5.1.20348.1", 40000,
                                   "localdb", True, "Disabled", "4.8", 0),
    "connect_current_2022": _x("connect", "2.5.190.0", W + "2022 Datacenter", 20348, "5.1.20348.1", 40000,
                               "localdb", False, "Enabled", "4.8", 0),
    "connect_2_4_fullsql_2019": _x("connect", "2.4.131.0", W + "2019 Standard", 17763, "5.1.17763.1", 150000,
                                   "sql", False, "Disabled", "4.8", 0),
    "mim_connector_2012r2": _x("mim_connector", "4.6.34.0", W + "2012 R2 Standard", 9600, "5.1.14409.1005", 55000,
                               "sql", False, "not_applicable", "4.7.2", 8),
    "target_2022_clean": _x("none", "none", W + "2022 Standard", 20348, "5.1.20348.1", None, "none", None,
                            "not_applicable", "4.8", 0),
    "server_2025": _x("connect", "2.5.190.0", W + "2025 Standard", 26100, "5.1.26100.1", 12000, "localdb", False,
                      "Enabled", "4.8.1", 0),
    "server_core_2022": _x("connect", "2.3.20.0", W + "2022 Standard", 20348, "5.1.20348.1", 8000, "localdb",
                           False, "Enabled", "4.8", 0, core=True),
    "member_no_sync_2019": _x("none", "none", W + "2019 Standard", 17763, "5.1.17763.1", None, "none", None,
                              "not_applicable", "4.7.2", 8),
}


@pytest.fixture(scope="module")
def facts() -> dict[str, dict]:
    return {name: classify(lab_evidence(Twin.from_profile("h", name, PROFILES_DIR))) for name in EXPECTED}


def test_every_lab_profile_is_covered():
    assert sorted(EXPECTED) == sorted(p.stem for p in PROFILES_DIR.glob("*.yml"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_lab_profile_classification(name, facts):
    f, x = facts[name], EXPECTED[name]
    assert (f["tool"], f["version"]) == (x["tool"], x["version"])
    assert (f["os"]["caption"], f["os"]["build"]) == (x["caption"], x["build"])
    assert f["os"]["version"].endswith(f".{x['build']}")
    assert f["os"]["server_core"] is x.get("core", False)
    assert f["os"]["domain_controller"] is x.get("dc", False)
    assert f["os"]["domain"] == "corp.contoso.com"
    assert f["powershell_version"] == x["ps"]
    assert f["object_count"] == x["objects"]
    assert f["object_count_source"] == ("sql:mms_metaverse" if x["objects"] else "none")
    assert f["database"]["type"] == x["db"]
    assert f["staging_mode"] is x["staging"]
    assert f["auto_upgrade"] == x["upgrade"]
    assert f["dotnet"]["version"] == x["dotnet"]
    assert len(f["tls12"]["missing"]) == x["tls_missing"] and f["tls12"]["enabled"] is (x["tls_missing"] == 0)
    assert f["pending_reboot"] is x.get("reboot", False)
    assert f["system_drive"]["drive"] == "C:" and f["system_drive"]["free_bytes"] > 0
    assert f["evidence_errors"] == []
    # only AADSync's missing scheduler cmdlet is worth a warning on the lab hosts
    assert f["warnings"] == (["Azure AD Sync has no Get-ADSyncScheduler: staging mode unknown"]
                             if name == "aadsync_2012r2" else [])


def test_details_of_the_lab_classification(facts):
    connect = facts["connect_2_3_2019"]
    assert connect["product"] == "Microsoft Azure AD Connect"
    assert connect["install_path"] == "C:\\Program Files\\Microsoft Azure AD Sync"
    assert connect["database"] == {"type": "localdb", "server": "(localdb)", "instance": ".\\ADSync2019",
                                   "name": "ADSync", "size_mb": 1200, "version": "15.0.2000.5"}
    assert connect["scheduler"] == {"enabled": True, "suspended": False, "interval": "00:30:00",
                                    "source": "Get-ADSyncScheduler"}
    assert {"name": "contoso.onmicrosoft.com - AAD", "type": "Extensible2",
            "identifier": "b891884f-051e-4a83-95af-2544101c9083"} in connect["connectors"]
    assert connect["tls12"]["missing"] == [
        "HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\.NETFramework\\v4.0.30319\\SchUseStrongCrypto"]
    assert {s["name"] for s in connect["services"]} >= {"ADSync", "AzureADConnectAgentUpdater"}
    assert connect["services"][0] == {"name": "ADSync", "display_name": "Microsoft Azure AD Sync", "state": "running",
                                      "start_mode": "auto", "account": "NT SERVICE\\ADSync"}
    dirsync = facts["dirsync_2008r2"]
    assert dirsync["database"] == {"type": "sql_express", "server": "DIRSYNC01", "instance": "SQLEXPRESS",
                                   "name": "FIMSynchronizationService", "size_mb": 920, "version": "11.0.3000.0"}
    assert dirsync["scheduler"]["interval"] == "03:00:00" and dirsync["scheduler"]["enabled"] is True
    assert dirsync["product"] == "Windows Azure Active Directory Sync tool"
    aadsync = facts["aadsync_2012r2"]
    assert aadsync["scheduler"] == {"enabled": True, "suspended": None, "interval": "03:00:00",
                                    "source": "scheduled_task"}
    mim = facts["mim_connector_2012r2"]
    assert mim["database"]["type"] == "sql" and mim["database"]["instance"] == ""
    assert [c["type"] for c in mim["connectors"]] == ["Active Directory", "FIM", "Extensible2"]
    assert facts["connect_1x_2016"]["pending_reboot_reasons"] == [ev.REBOOT_PENDING]
    assert facts["target_2022_clean"]["services"] == [] and facts["target_2022_clean"]["connectors"] == []


def _schema() -> dict:
    return yaml.safe_load(sync_facts.RETURN)["ansible_facts"]["contains"]["sync"]["contains"]


def test_facts_have_exactly_the_documented_shape(facts):
    schema = _schema()
    for f in [*facts.values(), classify({})]:
        assert set(f) == set(schema)
        for name in ("os", "database", "scheduler", "tls12"):
            assert set(f[name]) == set(schema[name]["contains"]), name
        assert set(f["dotnet"]) == {"release", "version"}
        assert set(f["system_drive"]) == {"drive", "free_bytes", "size_bytes"}
        for svc in f["services"]:
            assert set(svc) == set(schema["services"]["contains"])


# ---- hand-written evidence ---------------------------------------------------------------------------------

def _key(**values) -> dict:
    return {"exists": True, "values": {n: {"type": "dword" if isinstance(v, int) else
                                           ("multistring" if isinstance(v, list) else "string"), "data": v}
                                       for n, v in values.items()}}


def _arp(**entries) -> dict:
    return {"exists": True, "children": {k: {"values": {n: {"type": "string", "data": d} for n, d in v.items()}}
                                         for k, v in entries.items()}}


BARE = {  # a Windows Server 2019 member server with nothing installed, as the probe reports it
    "probe": 1,
    "host": {"computer_name": "SRV01", "powershell_version": "5.1.17763.1", "process_64bit": True},
    "environment": {"SystemDrive": "C:"},
    "registry": {
        ev.CURRENT_VERSION: _key(ProductName="Windows Server 2019 Standard", CurrentBuildNumber="17763",
                                 CurrentMajorVersionNumber=10, CurrentMinorVersionNumber=0, EditionID="ServerStandard",
                                 InstallationType="Server"),
        ev.PRODUCT_OPTIONS: _key(ProductType="ServerNT"),
        ev.NDP4_FULL: _key(Release=528049),
        ev.REBOOT_PENDING: {"exists": False}, ev.REBOOT_REQUIRED: {"exists": False},
        ev.SESSION_MANAGER: _key(),
        **{k: {"exists": False} for k, _, _ in ev.TLS12},
    },
    "registry_children": {ev.UNINSTALL: _arp(), ev.UNINSTALL_WOW: _arp()},
    "services": {name: {"exists": False} for name in ev.SYNC_SERVICES},
    "files": {},
    "text_files": {},
    "wmi": {
        "os": {"exists": True, "instances": [{"Caption": "Microsoft Windows Server 2019 Standard",
                                              "Version": "10.0.17763", "BuildNumber": "17763",
                                              "OperatingSystemSKU": 7, "ProductType": 3}]},
        "computer_system": {"exists": True, "instances": [{"Domain": "corp.contoso.com", "DomainRole": 3,
                                                           "PartOfDomain": True}]},
        "system_disk": {"exists": True, "instances": [{"DeviceID": "C:", "FreeSpace": 10, "Size": 100}]},
        "management_agents": {"exists": False, "instances": []},
    },
    "sql": {},
    "cmdlets": None,
    "errors": [],
}


def bare(**changes) -> dict:
    doc = copy.deepcopy(BARE)
    for section, items in changes.items():
        doc[section].update(items)
    return doc


def test_a_bare_server_is_none():
    f = classify(bare())
    assert (f["tool"], f["product"], f["version"], f["warnings"]) == ("none", "none", "none", [])
    assert f["os"] == {"caption": "Microsoft Windows Server 2019 Standard", "version": "10.0.17763", "build": 17763,
                       "ubr": None, "edition": "ServerStandard", "server_core": False, "domain_controller": False,
                       "domain": "corp.contoso.com", "part_of_domain": True}
    assert f["system_drive"] == {"drive": "C:", "free_bytes": 10, "size_bytes": 100}
    assert f["tls12"]["enabled"] is False and len(f["tls12"]["missing"]) == 8


def test_no_evidence_at_all_is_unknown():
    f = classify({})
    assert f["tool"] == "unknown" and f["version"] == "unknown" and f["object_count"] is None
    assert f["os"]["caption"] == "unknown" and f["os"]["build"] is None and f["os"]["server_core"] is None
    assert f["pending_reboot"] is None and f["tls12"]["enabled"] is None and f["dotnet"]["version"] == "unknown"
    assert any("no registry evidence" in w for w in f["warnings"])
    assert any("rule out" in w for w in f["warnings"])


@pytest.mark.parametrize("doc", [
    None, [], "text", 42, {"registry": []}, {"registry": {"x": "y"}}, {"registry": {ev.CURRENT_VERSION: {"values": 3}}},
    {"registry_children": {ev.UNINSTALL: {"exists": True, "children": [1]}}}, {"services": {"ADSync": "up"}},
    {"wmi": {"os": {"instances": ["x", None]}}}, {"cmdlets": {"results": {"scheduler": {"available": True}}}},
    {"errors": "boom"}, {"files": {ev.WIZARD_EXE: {"exists": True, "version": 7}}},
    {"registry": {ev.NDP4_FULL: {"exists": True, "values": {"Release": {"data": "many"}}}}},
])
def test_malformed_evidence_never_raises(doc):
    f = classify(doc)
    assert f["tool"] in ("unknown", "none", "connect")
    assert set(f) == set(_schema())


def test_failed_evidence_reads_are_unknown_not_none():
    doc = bare(services={name: {"error": "Access denied"} for name in ev.SYNC_SERVICES})
    doc["errors"] = [{"section": "services", "item": "*", "message": "Access denied"}] * 2
    f = classify(doc)
    assert f["tool"] == "unknown"
    assert f["evidence_errors"] == ["services *: Access denied"]


CONNECT = {
    "registry": {ev.CONNECT_KEY: _key(WizardPath="C:\\Program Files\\...\\AzureADConnect.exe", Version="2.3.20.0"),
                 ev.ADSYNC_SERVICE_KEY: _key(ImagePath="miiserver.exe"),
                 ev.ADSYNC_PARAMETERS: _key(Server="(localdb)", SQLInstance=".\\ADSync2019", DBName="ADSync")},
    "files": {ev.WIZARD_EXE: {"exists": True, "type": "file", "size": 1, "version": "2.3.20.0"},
              ev.ADSYNC_ENGINE_EXE: {"exists": True, "type": "file", "size": 1, "version": "2.3.20.0"}},
    "services": {"ADSync": {"exists": True, "name": "ADSync", "display_name": "Microsoft Azure AD Sync",
                            "state": "Running", "start_mode": "Auto", "account": "NT SERVICE\\ADSync"}},
}


def test_connect_without_sql_or_cmdlets_is_connect_with_unknowns():
    f = classify(bare(**copy.deepcopy(CONNECT)))
    assert (f["tool"], f["version"]) == ("connect", "2.3.20.0")
    assert f["database"]["type"] == "localdb" and f["object_count"] is None and f["object_count_source"] == "unknown"
    assert f["staging_mode"] is None and f["auto_upgrade"] == "unknown" and f["scheduler"]["source"] == "unknown"
    assert any("object count" in w for w in f["warnings"])
    assert any("Get-ADSyncScheduler" in w for w in f["warnings"])


def test_connect_and_dirsync_together_is_connect_with_a_warning():
    doc = bare(**copy.deepcopy(CONNECT))
    doc["registry_children"][ev.UNINSTALL] = _arp(**{"Microsoft Online Directory Sync": {
        "DisplayName": "Windows Azure Active Directory Sync tool", "DisplayVersion": "1.0.7020.0"}})
    f = classify(doc)
    assert f["tool"] == "connect"
    assert any("DirSync evidence also present" in w for w in f["warnings"])


def test_disagreeing_connect_versions_warn():
    doc = bare(**copy.deepcopy(CONNECT))
    doc["registry_children"][ev.UNINSTALL] = _arp(MicrosoftAzureADConnectionTool={
        "DisplayName": "Microsoft Entra Connect", "DisplayVersion": "2.4.131.0"})
    doc["files"][ev.ADSYNC_ENGINE_EXE]["version"] = "2.4.131.0"
    f = classify(doc)
    assert f["version"] == "2.3.20.0"  # the wizard's file version comes first
    assert f["product"] == "Microsoft Entra Connect"
    assert any("Connect version evidence disagrees" in w for w in f["warnings"])
    assert any("unfinished upgrade" in w for w in f["warnings"])


def test_wizard_only_from_the_uninstall_entry():
    doc = bare()
    doc["registry_children"][ev.UNINSTALL] = _arp(X={"DisplayName": "Microsoft Entra Connect Sync",
                                                     "DisplayVersion": "2.5.79.0"})
    f = classify(doc)
    # an installer started and stopped at Welcome leaves the wizard: no sync engine runs there
    assert (f["tool"], f["version"]) == ("none", "none")
    assert any("no ADSync engine" in w for w in f["warnings"])


def test_wizard_files_next_to_dirsync_leave_dirsync_the_tool():
    doc = bare(registry_children={ev.UNINSTALL: _arp(**{"Windows Azure Active Directory Sync tool": {
        "DisplayName": "Windows Azure Active Directory Sync tool", "DisplayVersion": "1.0.7020.0"}})})
    doc["files"][ev.WIZARD_EXE] = {"exists": True, "type": "file", "size": 1, "version": "2.5.190.0"}
    doc["files"][ev.WIZARD_MIGRATE_SETTINGS] = {"exists": True, "type": "file", "size": 1, "version": None}
    f = classify(doc)
    assert f["tool"] == "dirsync"
    assert f["wizard"] == {"version": "2.5.190.0", "migrate_settings": True}
    assert any("started here" in w for w in f["warnings"])


@pytest.mark.parametrize(("text", "expected"), [
    (None, None),
    ('{"source": "dirsync-2008r2", "source_computer": "DIRSYNC01", "started": "2026-12-03T10:00:00Z"}',
     {"source": "dirsync-2008r2", "source_computer": "DIRSYNC01", "started": "2026-12-03T10:00:00Z", "cutover": None}),
    ('{"source": "a", "started": "x", "cutover": {"completed": "2026-12-04T10:00:00Z", "old_server": "standby"}}',
     {"source": "a", "source_computer": None, "started": "x",
      "cutover": {"completed": "2026-12-04T10:00:00Z", "old_server": "standby"}}),
    ("not json", None), ('{"source": 3}', None)])
def test_deployment_mark(text, expected):
    doc = bare()
    if text is not None:
        doc["text_files"][ev.DEPLOYMENT_MARKER] = {"exists": True, "text": text}
    f = classify(doc)
    assert f["deployment"] == expected
    assert any("deployment mark" in w for w in f["warnings"]) == (text is not None and expected is None)


@pytest.mark.parametrize(("version", "tool"), [("1.0.494.0501", "aadsync"), ("1.0.419.911", "aadsync"),
                                               ("1.6.16.0", "unknown"), (None, "unknown")])
def test_engine_without_wizard(version, tool):
    doc = bare(registry={ev.ADSYNC_SERVICE_KEY: _key(ImagePath="x")},
               files={ev.ADSYNC_ENGINE_EXE: {"exists": True, "type": "file", "size": 1, "version": version}})
    f = classify(doc)
    assert f["tool"] == tool
    if tool == "unknown":
        assert any("without the Connect wizard" in w for w in f["warnings"])


def test_dirsync_from_its_folder_alone():
    doc = bare(files={ev.DIRSYNC_SHELLS[1]: {"exists": True, "type": "file", "size": 1, "version": None}})
    f = classify(doc)
    assert f["tool"] == "dirsync" and f["version"] == "unknown"
    assert f["install_path"] == "%ProgramFiles%\\Microsoft Online Directory Sync"
    assert any("version is unknown" in w for w in f["warnings"])


FIM = {"registry": {ev.FIM_SERVICE_KEY: _key(ImagePath="miiserver.exe")},
       "services": {"FIMSynchronizationService": {"exists": True, "name": "FIMSynchronizationService",
                                                  "display_name": "FIM", "state": "Running", "start_mode": "Auto",
                                                  "account": "CORP\\svc"}}}


def test_mim_without_the_azure_connector_is_none():
    f = classify(bare(**copy.deepcopy(FIM)))
    assert f["tool"] == "none" and f["product"] == "FIM/MIM Synchronization Service"
    assert any("without an Azure AD connector" in w for w in f["warnings"])


def test_mim_connector_when_agents_cannot_be_read():
    doc = bare(**copy.deepcopy(FIM))
    doc["files"][ev.MIM_AZURE_CONNECTOR_DLL] = {"exists": True, "type": "file", "size": 1, "version": "1.0"}
    doc["wmi"]["management_agents"] = {"error": "Access denied"}
    f = classify(doc)
    assert f["tool"] == "mim_connector"
    assert any("management agents not readable" in w for w in f["warnings"])


@pytest.mark.parametrize(("install_type", "sku", "core", "warns"), [
    ("Server Core", 7, True, False), ("Server", 7, False, False), (None, 13, True, False), (None, 7, False, False),
    ("Server", 13, True, True), (None, None, None, False),
])
def test_server_core(install_type, sku, core, warns):
    doc = bare()
    values = doc["registry"][ev.CURRENT_VERSION]["values"]
    if install_type is None:
        values.pop("InstallationType")
    else:
        values["InstallationType"]["data"] = install_type
    doc["wmi"]["os"]["instances"][0]["OperatingSystemSKU"] = sku
    f = classify(doc)
    assert f["os"]["server_core"] is core
    assert any("Server Core edition" in w for w in f["warnings"]) is warns


@pytest.mark.parametrize(("role", "product_type", "options", "dc", "warns"), [
    (5, 2, "LanmanNT", True, False), (4, 2, "LanmanNT", True, False), (3, 3, "ServerNT", False, False),
    (3, 3, "LanmanNT", True, True), (None, None, None, None, False), (None, None, "LanmanNT", True, False),
])
def test_domain_controller(role, product_type, options, dc, warns):
    doc = bare()
    doc["wmi"]["computer_system"]["instances"][0]["DomainRole"] = role
    doc["wmi"]["os"]["instances"][0]["ProductType"] = product_type
    doc["registry"][ev.PRODUCT_OPTIONS] = _key(ProductType=options) if options else {"exists": True, "values": {}}
    f = classify(doc)
    assert f["os"]["domain_controller"] is dc
    assert any("domain controller evidence disagrees" in w for w in f["warnings"]) is warns


def test_os_facts_fall_back_to_the_registry():
    doc = bare()
    doc["wmi"]["os"] = {"error": "RPC server unavailable"}
    f = classify(doc)
    assert f["os"]["caption"] == "Windows Server 2019 Standard"
    assert (f["os"]["version"], f["os"]["build"]) == ("10.0.17763", 17763)
    assert any("Win32_OperatingSystem not read" in w for w in f["warnings"])


BRIEF_RELEASES = {378389: "4.5", 378675: "4.5.1", 378758: "4.5.1", 379893: "4.5.2", 393295: "4.6", 393297: "4.6",
                  394254: "4.6.1", 394271: "4.6.1", 394802: "4.6.2", 394806: "4.6.2", 460798: "4.7", 460805: "4.7",
                  461308: "4.7.1", 461310: "4.7.1", 461808: "4.7.2", 461814: "4.7.2", 528040: "4.8", 528049: "4.8",
                  528372: "4.8", 528449: "4.8", 533320: "4.8.1", 533325: "4.8.1"}


def test_the_dotnet_table_is_complete():
    assert DOTNET_RELEASES == BRIEF_RELEASES


@pytest.mark.parametrize(("release", "version", "warns"), [
    *((r, v, False) for r, v in BRIEF_RELEASES.items()), (533509, "4.8.1", True), (461000, "4.7", True),
    (1000, "unknown", True),
])
def test_dotnet_release(release, version, warns):
    doc = bare(registry={ev.NDP4_FULL: _key(Release=release)})
    f = classify(doc)
    assert f["dotnet"] == {"release": release, "version": version}
    assert any(".NET Release" in w for w in f["warnings"]) is warns


def test_dotnet_absent_or_40():
    assert classify(bare(registry={ev.NDP4_FULL: {"exists": True, "values": {}}}))["dotnet"] == {
        "release": None, "version": "4.0"}
    f = classify(bare(registry={ev.NDP4_FULL: {"exists": False}}))
    assert f["dotnet"] == {"release": None, "version": "unknown"}
    assert ".NET Framework 4 not found" in f["warnings"]


def test_tls12_needs_dwords_with_the_right_values():
    registry = {k: _key(**{n: want for kk, n, want in ev.TLS12 if kk == k}) for k, _, _ in ev.TLS12}
    assert classify(bare(registry=registry))["tls12"]["enabled"] is True
    first_key, first_name, _ = ev.TLS12[0]
    registry[first_key]["values"][first_name] = {"type": "string", "data": "1"}
    tls = classify(bare(registry=registry))["tls12"]
    assert tls["enabled"] is False and tls["missing"] == [f"{first_key}\\{first_name}"]
    assert tls["values"][f"{first_key}\\{first_name}"] is None


def test_pending_reboot_reasons():
    doc = bare(registry={ev.SESSION_MANAGER: _key(PendingFileRenameOperations=["\\??\\C:\\x", ""]),
                         ev.REBOOT_REQUIRED: {"exists": True, "values": {}}})
    f = classify(doc)
    assert f["pending_reboot"] is True
    assert f["pending_reboot_reasons"] == [ev.REBOOT_REQUIRED, ev.SESSION_MANAGER + "\\PendingFileRenameOperations"]


@pytest.mark.parametrize(("text", "want"), [("3:0:0", "03:00:00"), ("PT3H", "03:00:00"), ("00:30:00", "00:30:00"),
                                            ("7.00:00:00", "7.00:00:00"), ("PT30M", "00:30:00"),
                                            ("P1DT2H", "1.02:00:00"), ("odd", "odd"), (None, None)])
def test_intervals_read_as_timespans(text, want):
    assert _interval(text) == want


def test_a_lab_host_whose_sql_fails_keeps_its_tool_and_reports_why():
    twin = Twin.from_profile("h", "aadsync_2012r2", PROFILES_DIR)
    remove_key(twin, r"HKLM\SOFTWARE\Microsoft\PowerShell\3")  # PowerShell 2.0: no LocalDB SqlClient
    f = classify(lab_evidence(twin))
    assert (f["tool"], f["version"], f["powershell_version"]) == ("aadsync", "1.0.494.501", "2.0")
    assert f["object_count"] is None and f["connectors"] == []
    assert any(e.startswith("sql adsync.metaverse_objects: A network-related") for e in f["evidence_errors"])
    assert any("object count" in w for w in f["warnings"])


# ---- garbled evidence gives unknown with a warning naming the value, never a confident answer ---------------

def _mim_doc(agent_type) -> dict:
    return bare(
        services={"FIMSynchronizationService": {"exists": True, "name": "FIMSynchronizationService",
                                                "state": "Running", "start_mode": "Auto"}},
        registry_children={ev.UNINSTALL: _arp(**{"{MIM}": {"DisplayName": "Microsoft Identity Manager "
                                                                          "Synchronization Service",
                                                           "DisplayVersion": "4.6.34.0"},
                                                 "{CONN}": {"DisplayName": "Windows Azure Active Directory "
                                                                           "Connector for FIM 2010 R2"}})},
        wmi={"management_agents": {"exists": True, "instances": [{"Name": "AAD", "Type": agent_type,
                                                                   "Guid": "{1}"}]}})


def test_a_management_agent_without_a_type_is_not_no_sync_tool():
    f = classify(_mim_doc(""))
    assert f["tool"] == "unknown"
    assert any("report no type" in w and "AAD" in w for w in f["warnings"])
    assert classify(_mim_doc("Extensible2"))["tool"] == "mim_connector"


@pytest.mark.parametrize("release,vtype", [("abc", "string"), ("528049", "string"), (-5, "dword")])
def test_a_release_that_is_not_a_dword_number_leaves_dotnet_unknown(release, vtype):
    doc = bare()
    doc["registry"][ev.NDP4_FULL] = {"exists": True, "values": {"Release": {"type": vtype, "data": release}}}
    f = classify(doc)
    assert f["dotnet"] == {"release": None, "version": "unknown"}
    assert any(repr(release) in w for w in f["warnings"])


def _connect_doc(**sql) -> dict:
    doc = classify_lab_doc("connect_2_3_2019")
    for query, value in sql.items():
        doc["sql"][ev.sql_id("adsync", query)]["value"] = value
    return doc


@pytest.mark.parametrize("count", [-5, 3.5, "many", True, "12,000"])
def test_a_count_that_is_not_a_non_negative_integer_is_unknown(count):
    f = classify(_connect_doc(metaverse_objects=count))
    assert f["object_count"] is None and f["object_count_source"] == "unknown"
    assert any(repr(count) in w and "not a non-negative integer" in w for w in f["warnings"])


@pytest.mark.parametrize("version", ["2.5.79.0.1", "2.5.79.0.1.2", "2.5.x.0", "2.5.79.99999"])
def test_a_version_that_is_not_a_windows_file_version_is_unknown(version):
    doc = classify_lab_doc("connect_current_2022")
    for path in (ev.WIZARD_EXE, ev.ADSYNC_ENGINE_EXE):
        doc["files"][path]["version"] = version
    doc["registry"][ev.CONNECT_KEY]["values"]["Version"]["data"] = version
    for child in doc["registry_children"][ev.UNINSTALL]["children"].values():
        if "DisplayVersion" in child["values"]:
            child["values"]["DisplayVersion"]["data"] = version
    f = classify(doc)
    assert (f["tool"], f["version"]) == ("connect", "unknown")
    assert any(version in w and "not a Windows file version" in w for w in f["warnings"])


def test_a_32_bit_probe_cannot_prove_that_no_sync_tool_is_there():
    doc = bare()
    doc["host"]["process_64bit"] = False
    f = classify(doc)
    assert f["tool"] == "unknown"
    assert any("32-bit" in w for w in f["warnings"])
    found = classify_lab_doc("connect_current_2022")
    found["host"]["process_64bit"] = False
    assert classify(found)["tool"] == "connect"  # what it did see still counts


def test_ubr_sql_version_and_domain_membership_are_read():
    f = classify(classify_lab_doc("mim_connector_2012r2"))
    assert f["database"]["version"] == "13.0.6300.2"
    f = classify(classify_lab_doc("server_2025"))
    assert (f["os"]["build"], f["os"]["ubr"], f["os"]["part_of_domain"]) == (26100, 4061, True)


def test_a_cutover_entry_that_is_not_the_toolkit_s_is_ignored_with_a_warning():
    doc = bare()
    doc["text_files"][ev.DEPLOYMENT_MARKER] = {"exists": True, "text": '{"source": "a", "cutover": "yes"}'}
    f = classify(doc)
    assert f["deployment"]["source"] == "a" and f["deployment"]["cutover"] is None
    assert any("cutover entry" in w for w in f["warnings"])


def test_the_tenant_is_read_from_the_entra_connector_name(facts):
    tenants = {name: f["tenant"] for name, f in facts.items()}
    assert tenants["connect_2_3_2019"] == tenants["connect_2_4_staging_2022"] == "contoso.onmicrosoft.com"
    assert tenants["aadsync_2012r2"] == "northwind.onmicrosoft.com"
    # DirSync's and MIM's management agents carry no tenant in their names: unknown, never guessed
    assert tenants["dirsync_2008r2"] == tenants["mim_connector_2012r2"] == "unknown"
    assert tenants["target_2022_clean"] == "none"


@pytest.mark.parametrize("names,tenant,warns", [
    (["corp.contoso.com", "Fabrikam.onmicrosoft.com - AAD"], "fabrikam.onmicrosoft.com", False),
    (["corp.contoso.com", "Azure AD"], "unknown", True),
    (["a.onmicrosoft.com - AAD", "b.onmicrosoft.com - AAD"], "unknown", True),
    (["<script>x</script> - AAD"], "unknown", True),
])
def test_a_tenant_only_from_one_well_formed_entra_connector(names, tenant, warns):
    from plugins.plugin_utils._classify import _tenant
    warnings: list[str] = []
    connectors = [{"name": n, "type": "AD" if "." in n and " " not in n else "Extensible2", "identifier": "x"}
                  for n in names]
    assert _tenant("connect", connectors, warnings) == tenant
    assert bool(warnings) is warns and all("tenant unknown" in w for w in warnings)
