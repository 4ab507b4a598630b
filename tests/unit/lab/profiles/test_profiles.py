"""The lab's host profiles (lab/profiles/*.yml).

Each profile is loaded into a twin exactly as the lab serves it, and the twin is then read the way the probe
reads a real server: raw registry values at exact paths, services, file versions, WMI instances, SQL counts.
The expectations below are the product facts each profile stands for; they are written here independently of
the YAML so that a typo in a path or a version shows up as a failure, not as a silently different host.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from lab.config import PROFILES_DIR, inventory_dir, load_hosts
from lab.twin.errors import NotSimulated
from lab.twin.host import Twin
from lab.twin.profile import ProfileError, load_profile
from lab.twin.wmi import DOMAIN_ROLES

CURRENT_VERSION = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion"
PS1_ENGINE = r"HKLM\SOFTWARE\Microsoft\PowerShell\1\PowerShellEngine"
PS3_ENGINE = r"HKLM\SOFTWARE\Microsoft\PowerShell\3\PowerShellEngine"
NDP4_FULL = r"HKLM\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full"
UNINSTALL = r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall"
SERVICES = r"HKLM\SYSTEM\CurrentControlSet\Services"
CONNECT_KEY = r"HKLM\SOFTWARE\Microsoft\Azure AD Connect"
MSOL_COEXISTENCE = r"HKLM\SOFTWARE\Microsoft\MSOLCoExistence"
REBOOT_PENDING = r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending"
REBOOT_REQUIRED = r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired"
SESSION_MANAGER = r"HKLM\SYSTEM\CurrentControlSet\Control\Session Manager"
PRODUCT_OPTIONS = r"HKLM\SYSTEM\CurrentControlSet\Control\ProductOptions"

ADSYNC_DIR = "C:\\Program Files\\Microsoft Azure AD Sync"
WIZARD_EXE = "C:\\Program Files\\Microsoft Azure Active Directory Connect\\AzureADConnect.exe"
DIRSYNC_DIR = "C:\\Program Files\\Windows Azure Active Directory Sync"
MIM_DIR = "C:\\Program Files\\Microsoft Forefront Identity Manager\\2010\\Synchronization Service"
ENTRA_CONNECTOR_GUID = "b891884f-051e-4a83-95af-2544101c9083"

# The eight TLS 1.2 values Get-ADSyncToolsTls12 reads: (key, value name, value that means "TLS 1.2 on").
TLS12 = [
    (r"HKLM\SOFTWARE\Microsoft\.NETFramework\v4.0.30319", "SystemDefaultTlsVersions", 1),
    (r"HKLM\SOFTWARE\Microsoft\.NETFramework\v4.0.30319", "SchUseStrongCrypto", 1),
    (r"HKLM\SOFTWARE\WOW6432Node\Microsoft\.NETFramework\v4.0.30319", "SystemDefaultTlsVersions", 1),
    (r"HKLM\SOFTWARE\WOW6432Node\Microsoft\.NETFramework\v4.0.30319", "SchUseStrongCrypto", 1),
    (r"HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Server", "Enabled", 1),
    (r"HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Server",
     "DisabledByDefault", 0),
    (r"HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Client", "Enabled", 1),
    (r"HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Client",
     "DisabledByDefault", 0),
]


def _e(os_name, build, install_type, ps, dotnet, tls, product, version, objects, decision, **extra):
    return dict(os_name=os_name, build=build, install_type=install_type, ps=ps, dotnet=dotnet, tls=tls,
                product=product, version=version, objects=objects, decision=decision, **extra)


# profile -> what it must look like from the outside
EXPECTED = {
    "dirsync_2008r2": _e("Windows Server 2008 R2 Standard", 7601, "Server", "2.0", 379893, 0,
                         "dirsync", "1.0.7020.0", 30000, "parallel", sql_instance=".\\SQLEXPRESS", sql_kind="express"),
    "dirsync_2012r2_large": _e("Windows Server 2012 R2 Datacenter", 9600, "Server", "4.0", 378675, 3,
                               "dirsync", "1.0.7020.0", 62000, "parallel",
                               sql_instance=".\\SQLEXPRESS", sql_kind="express"),
    "aadsync_2012r2": _e("Windows Server 2012 R2 Standard", 9600, "Server", "4.0", 378675, 0,
                         "aadsync", "1.0.494.0501", 18000, "parallel",
                         sql_instance="(localdb)\\.\\ADSync", sql_kind="localdb"),
    "connect_1x_2016": _e("Windows Server 2016 Standard", 14393, "Server", "5.1.14393.0", 461814, 2,
                          "connect", "1.6.16.0", 25000, "in_place", sql_instance="(localdb)\\.\\ADSync",
                          sql_kind="localdb", auto_upgrade="Suspended", staging=False,
                          domain_role="backup_domain_controller", reboot_pending=True),
    "connect_2_3_2019": _e("Windows Server 2019 Standard", 17763, "Server", "5.1.17763.1", 528049, 7,
                           "connect", "2.3.20.0", 40000, "in_place", sql_instance="(localdb)\\.\\ADSync2019",
                           sql_kind="localdb", auto_upgrade="Enabled", staging=False),
    "connect_2_4_staging_2022": _e("Windows Server 2022 Standard", 20348, "Server", "5.1.20348.1", 528449, 8,
                                   "connect", "2.4.131.0", 40000, "in_place",
                                   sql_instance="(localdb)\\.\\ADSync2019", sql_kind="localdb",
                                   auto_upgrade="Disabled", staging=True),
    "connect_current_2022": _e("Windows Server 2022 Datacenter", 20348, "Server", "5.1.20348.1", 528449, 8,
                               "connect", "2.5.190.0", 40000, "none", sql_instance="(localdb)\\.\\ADSync2019",
                               sql_kind="localdb", auto_upgrade="Enabled", staging=False),
    "connect_2_4_fullsql_2019": _e("Windows Server 2019 Standard", 17763, "Server", "5.1.17763.1", 528049, 8,
                                   "connect", "2.4.131.0", 150000, "parallel", sql_instance="AADCSQL01",
                                   sql_kind="full", auto_upgrade="Disabled", staging=False),
    "mim_connector_2012r2": _e("Windows Server 2012 R2 Standard", 9600, "Server", "5.1.14409.1005", 461814, 0,
                               "mim", "4.6.34.0", 55000, "parallel", sql_instance=".", sql_kind="full"),
    "target_2022_clean": _e("Windows Server 2022 Standard", 20348, "Server", "5.1.20348.1", 528449, 8,
                            None, None, None, "none"),
    "server_2025": _e("Windows Server 2025 Standard", 26100, "Server", "5.1.26100.1", 533320, 8,
                      "connect", "2.5.190.0", 12000, "blocked", sql_instance="(localdb)\\.\\ADSync2019",
                      sql_kind="localdb", auto_upgrade="Enabled", staging=False),
    "server_core_2022": _e("Windows Server 2022 Standard", 20348, "Server Core", "5.1.20348.1", 528449, 8,
                           "connect", "2.3.20.0", 8000, "blocked", sql_instance="(localdb)\\.\\ADSync2019",
                           sql_kind="localdb", auto_upgrade="Enabled", staging=False),
    "member_no_sync_2019": _e("Windows Server 2019 Standard", 17763, "Server", "5.1.17763.1", 461814, 0,
                              None, None, None, "none"),
}

FRAGMENTS_DIR = PROFILES_DIR / "fragments"


def served_profiles() -> list[str]:
    """The profiles the lab can serve: top-level lab/profiles/*.yml, never anything under fragments/."""
    return sorted(p.stem for p in PROFILES_DIR.glob("*.yml"))


def fragment_names() -> list[str]:
    return sorted(p.relative_to(PROFILES_DIR).with_suffix("").as_posix() for p in FRAGMENTS_DIR.rglob("*.yml"))


@pytest.fixture(scope="module")
def twins() -> dict[str, Twin]:
    return {name: Twin.from_profile("h", name, PROFILES_DIR) for name in EXPECTED}


def value(twin: Twin, key: str, name: str):
    v = twin.registry.get_value(key, name)
    return None if v is None else v["data"]


def vtype(twin: Twin, key: str, name: str):
    v = twin.registry.get_value(key, name)
    return None if v is None else v["type"]


def uninstall_entries(twin: Twin) -> dict[str, dict]:
    """{subkey: {value name: data}} for every Programs and Features entry, as a probe enumerates them (the legacy
    stubs of a fresh Windows, which have no DisplayName, are not listed by Programs and Features)."""
    entries = {sub: {n: v["data"] for n, v in twin.registry.values(UNINSTALL + "\\" + sub).items()}
               for sub in twin.registry.subkeys(UNINSTALL)}
    return {sub: values for sub, values in entries.items() if "DisplayName" in values}


def answers(lookup) -> bool:
    """True when a lookup returns something: neither 'absent' (None, False) nor 'not simulated'."""
    try:
        return lookup() not in (None, False)
    except NotSimulated:
        return False


# ---------------------------------------------------------------------------------------------------------------
# the set of profiles, and fragments


def test_the_served_profiles_are_exactly_the_documented_ones():
    assert served_profiles() == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_profile_loads_and_says_what_it_is(name, twins):
    twin = twins[name]
    spec = load_profile(name, PROFILES_DIR)
    assert "extends" not in spec
    assert twin.state["hostname"] == spec["hostname"] and len(spec["hostname"]) <= 15  # NetBIOS limit
    assert twin.state["domain"] == "corp.contoso.com"
    decision = re.search(r"Expected decision: (\w+)", twin.state["description"])
    assert decision, f"{name}: description must state the expected decision"
    assert decision.group(1) == EXPECTED[name]["decision"]


def test_hostnames_are_unique(twins):
    names = [t.state["hostname"].upper() for t in twins.values()]
    assert len(names) == len(set(names))


def test_fragments_exist_and_are_never_served():
    fragments = fragment_names()
    assert any(f.startswith("fragments/os/") for f in fragments)
    assert any(f.startswith("fragments/products/") for f in fragments)
    assert not set(fragments) & set(served_profiles())
    assert all("/" not in name for name in served_profiles())
    for frag in fragments:
        raw = yaml.safe_load((PROFILES_DIR / f"{frag}.yml").read_text()) or {}
        # a fragment is a piece of a host, never a host: no identity of its own
        assert not {"description", "hostname", "domain", "domain_role"} & set(raw), frag


@pytest.mark.parametrize("frag", [f for f in fragment_names() if f.startswith("fragments/products/")])
def test_a_product_fragment_alone_is_not_a_host(frag):
    with pytest.raises(ProfileError, match="os"):
        Twin.from_profile("h", frag, PROFILES_DIR)


def test_every_fragment_is_used():
    used: set[str] = set()

    def walk(name: str) -> None:
        raw = yaml.safe_load((PROFILES_DIR / f"{name}.yml").read_text()) or {}
        for parent in raw.get("extends") or []:
            used.add(parent)
            walk(parent)

    for name in served_profiles():
        walk(name)
    assert set(fragment_names()) - used == set()


def test_lab_inventory_only_points_at_served_profiles():
    if not (inventory_dir() / "hosts.yml").is_file():
        pytest.skip("no lab inventory yet")
    for host in load_hosts():
        assert host.profile in served_profiles(), f"{host.name} uses {host.profile}"
        assert not host.profile.startswith("fragments")


# ---------------------------------------------------------------------------------------------------------------
# operating system, PowerShell, .NET, TLS


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_os_registry_mirrors_windows(name, twins):
    twin, exp = twins[name], EXPECTED[name]
    os_ = twin.state["os"]
    build = exp["build"]
    assert value(twin, CURRENT_VERSION, "ProductName") == exp["os_name"]
    assert value(twin, CURRENT_VERSION, "CurrentBuild") == str(build)
    assert value(twin, CURRENT_VERSION, "CurrentBuildNumber") == str(build)
    assert vtype(twin, CURRENT_VERSION, "CurrentBuild") == "string"
    assert value(twin, CURRENT_VERSION, "InstallationType") == exp["install_type"] == os_["installation_type"]
    edition = value(twin, CURRENT_VERSION, "EditionID")
    assert edition == os_["edition"] == ("ServerDatacenter" if "Datacenter" in exp["os_name"] else "ServerStandard")
    # CurrentVersion is frozen at 6.3 from 2012 R2 on; the real major/minor are DWORDs on Windows 10-based builds
    assert value(twin, CURRENT_VERSION, "CurrentVersion") == ("6.1" if build == 7601 else "6.3")
    if build >= 14393:
        assert value(twin, CURRENT_VERSION, "CurrentMajorVersionNumber") == 10
        assert vtype(twin, CURRENT_VERSION, "CurrentMajorVersionNumber") == "dword"
        assert value(twin, CURRENT_VERSION, "CurrentMinorVersionNumber") == 0
    else:
        assert value(twin, CURRENT_VERSION, "CurrentMajorVersionNumber") is None
    assert (value(twin, CURRENT_VERSION, "DisplayVersion") is not None) == (build >= 20348)
    # WMI derived from the same profile agrees with the registry
    wmi_os = twin.wmi.instances("root\\cimv2", "Win32_OperatingSystem")[0]
    assert wmi_os["BuildNumber"] == str(build)
    assert wmi_os["Version"].endswith(f".{build}")
    assert exp["os_name"] in wmi_os["Caption"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_powershell_version_comes_from_the_engine_keys(name, twins):
    twin, want = twins[name], EXPECTED[name]["ps"]
    assert twin.powershell_version == want
    assert value(twin, PS1_ENGINE, "PowerShellVersion") == "2.0"
    if want == "2.0":
        assert not twin.registry.key_exists(PS3_ENGINE)
        assert not twin.powershell_at_least("3.0")
    elif want == "4.0":
        assert value(twin, PS3_ENGINE, "PowerShellVersion") == "4.0"
        assert not twin.powershell_at_least("5.1")
    else:
        assert value(twin, PS3_ENGINE, "PowerShellVersion") == want
        assert twin.powershell_at_least("5.1")


def test_powershell_below_51_only_on_the_legacy_hosts(twins):
    legacy = {name for name, t in twins.items() if not t.powershell_at_least("5.1")}
    assert legacy == {"dirsync_2008r2", "dirsync_2012r2_large", "aadsync_2012r2"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_dotnet_release(name, twins):
    twin = twins[name]
    assert value(twin, NDP4_FULL, "Release") == EXPECTED[name]["dotnet"]
    assert vtype(twin, NDP4_FULL, "Release") == "dword"
    assert value(twin, NDP4_FULL, "Install") == 1


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_tls12_values(name, twins):
    twin = twins[name]
    good = sum(value(twin, key, val) == want and vtype(twin, key, val) == "dword" for key, val, want in TLS12)
    assert good == EXPECTED[name]["tls"]


def test_one_connect_2x_server_misses_exactly_one_tls_value(twins):
    partial = [n for n, e in EXPECTED.items()
               if e["product"] == "connect" and e["version"].startswith("2.") and e["tls"] == 7]
    assert partial == ["connect_2_3_2019"]
    twin = twins["connect_2_3_2019"]
    assert value(twin, r"HKLM\SOFTWARE\WOW6432Node\Microsoft\.NETFramework\v4.0.30319", "SchUseStrongCrypto") is None


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_pending_reboot_only_where_intended(name, twins):
    twin = twins[name]
    want = EXPECTED[name].get("reboot_pending", False)
    assert twin.registry.key_exists(REBOOT_PENDING) is want
    assert not twin.registry.key_exists(REBOOT_REQUIRED)
    assert value(twin, SESSION_MANAGER, "PendingFileRenameOperations") is None
    # the parent keys exist on every Windows host, so "absent" is the subkey's absence, not a missing tree
    assert twin.registry.key_exists(r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_domain_role(name, twins):
    twin = twins[name]
    role = EXPECTED[name].get("domain_role", "member_server")
    assert twin.state["domain_role"] == role
    cs = twin.wmi.instances("root\\cimv2", "Win32_ComputerSystem")[0]
    assert cs["DomainRole"] == DOMAIN_ROLES[role] and cs["PartOfDomain"] is True
    is_dc = "controller" in role
    assert value(twin, PRODUCT_OPTIONS, "ProductType") == ("LanmanNT" if is_dc else "ServerNT")
    assert (twin.services.get("NTDS") is not None) is is_dc


def test_server_core_is_the_only_core_install(twins):
    core = {n for n, t in twins.items() if value(t, CURRENT_VERSION, "InstallationType") == "Server Core"}
    assert core == {"server_core_2022"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_winrm_runs_everywhere(name, twins):
    twin = twins[name]
    svc = twin.services.get("WinRM")
    assert svc and svc.state == "running" and svc.start_mode == "auto"
    assert value(twin, SERVICES + r"\WinRM", "Start") == 2


# ---------------------------------------------------------------------------------------------------------------
# products


def _service_key_mirrors_service(twin: Twin, name: str) -> None:
    svc = twin.services.get(name)
    key = SERVICES + "\\" + name
    assert svc is not None, name
    assert svc.name == name
    assert value(twin, key, "ImagePath") == svc.image_path
    assert vtype(twin, key, "ImagePath") == "expandstring"
    assert value(twin, key, "ObjectName") == svc.username
    assert value(twin, key, "DisplayName") == svc.display_name
    assert value(twin, key, "Start") == {"auto": 2, "delayed": 2, "manual": 3, "disabled": 4}[svc.start_mode]


def _file_version(twin: Twin, path: str):
    entry = twin.files.get(path)
    assert entry is not None and entry["type"] == "file", path
    return entry.get("version")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_product_evidence_at_exact_paths(name, twins):
    twin, exp = twins[name], EXPECTED[name]
    product, version = exp["product"], exp["version"]
    arp = uninstall_entries(twin)
    names = {e.get("DisplayName") for e in arp.values()}
    for entry in arp.values():  # every Programs and Features entry is complete
        assert {"DisplayName", "DisplayVersion", "Publisher", "InstallLocation"} <= set(entry)

    has_adsync = twin.services.get("ADSync") is not None
    has_fim = twin.services.get("FIMSynchronizationService") is not None
    has_wizard = twin.registry.key_exists(CONNECT_KEY)

    if product == "dirsync":
        entry = arp["Microsoft Online Directory Sync"]
        assert entry["DisplayName"] == "Windows Azure Active Directory Sync tool"
        assert entry["DisplayVersion"] == version
        assert (has_adsync, has_fim, has_wizard) == (False, True, False)
        for svc in ("FIMSynchronizationService", "MSOnline", "MSSQL$SQLEXPRESS"):
            _service_key_mirrors_service(twin, svc)
            assert twin.services.get(svc).state == "running"
        assert value(twin, MSOL_COEXISTENCE, "InstallPath") == DIRSYNC_DIR + "\\"
        assert value(twin, MSOL_COEXISTENCE, "FullSyncNeeded") == 0
        params = SERVICES + r"\FIMSynchronizationService\Parameters"
        assert value(twin, params, "DBName") == "FIMSynchronizationService"
        assert value(twin, params, "SQLInstance") == "SQLEXPRESS"
        assert twin.files.exists(DIRSYNC_DIR + "\\DirSyncConfigShell.psc1")
        assert _file_version(twin, DIRSYNC_DIR + "\\SYNCBUS\\Synchronization Service\\Bin\\miiserver.exe")
        assert b"SyncTimeInterval" in twin.files.read(DIRSYNC_DIR + "\\Microsoft.Online.DirSync.Scheduler.exe.config")
    elif product == "aadsync":
        entry = next(e for e in arp.values() if e["DisplayName"] == "Microsoft Azure AD Sync")
        assert entry["DisplayVersion"] == version
        assert (has_adsync, has_fim, has_wizard) == (True, False, False)
        assert not twin.files.exists(WIZARD_EXE)
        _service_key_mirrors_service(twin, "ADSync")
        assert twin.services.get("ADSync").display_name == "Microsoft Azure AD Sync"
        assert value(twin, SERVICES + r"\ADSync\Parameters", "SQLInstance") == ".\\ADSync"
        assert _file_version(twin, ADSYNC_DIR + "\\Bin\\miiserver.exe") == version
        assert twin.files.exists(ADSYNC_DIR + "\\Bin\\ADSync\\ADSync.psd1")
    elif product == "connect":
        assert (has_adsync, has_fim, has_wizard) == (True, False, True)
        assert value(twin, CONNECT_KEY, "Version") == version
        wizard = value(twin, CONNECT_KEY, "WizardPath")
        assert wizard == WIZARD_EXE and _file_version(twin, wizard) == version
        assert _file_version(twin, ADSYNC_DIR + "\\Bin\\miiserver.exe") == version
        assert twin.files.exists(ADSYNC_DIR + "\\Bin\\ADSync\\ADSync.psd1")
        assert twin.files.exists("C:\\ProgramData\\AADConnect\\PersistedState.xml")
        wiz = arp["MicrosoftAzureADConnectionTool"]
        assert re.fullmatch(r"Microsoft (Azure AD|Entra) Connect", wiz["DisplayName"])
        assert wiz["DisplayVersion"] == version
        engine = [e for e in arp.values() if e["DisplayName"] == "Microsoft Azure AD Connect synchronization services"]
        assert [e["DisplayVersion"] for e in engine] == [version]
        _service_key_mirrors_service(twin, "ADSync")
        assert twin.services.get("ADSync").display_name in ("Microsoft Azure AD Sync", "Microsoft Entra ID Sync")
        assert twin.services.get("AzureADConnectHealthSyncMonitor") is not None
        assert twin.registry.key_exists(MSOL_COEXISTENCE)
        assert twin.registry.key_exists(r"HKLM\SOFTWARE\Microsoft\AD Sync")
        lines = "2." if version.startswith("2.") else "1."
        if exp["sql_kind"] == "localdb":
            assert value(twin, SERVICES + r"\ADSync\Parameters", "SQLInstance") == (
                ".\\ADSync2019" if lines == "2." else ".\\ADSync")
        assert (twin.services.get("AzureADConnectAgentUpdater") is not None) == (lines == "2.")
    elif product == "mim":
        assert (has_adsync, has_fim, has_wizard) == (False, True, False)
        _service_key_mirrors_service(twin, "FIMSynchronizationService")
        assert "Microsoft Identity Manager Synchronization Service" in names
        assert _file_version(twin, MIM_DIR + "\\Bin\\miiserver.exe") == version
        mas = twin.wmi.instances("root\\MicrosoftIdentityIntegrationServer", "MIIS_ManagementAgent")
        assert all(ma["__NAMESPACE"] == "root\\MicrosoftIdentityIntegrationServer" for ma in mas)
        azure = [ma for ma in mas if ma["Type"] == "Extensible2"]
        assert len(azure) == 1 and "Azure Active Directory Connector" in azure[0]["Connector"]
        assert {ma["Type"] for ma in mas} >= {"Active Directory", "Extensible2"}
    else:
        assert (has_adsync, has_fim, has_wizard) == (False, False, False)
        assert twin.services.get("MSOnline") is None
        assert not twin.registry.key_exists(MSOL_COEXISTENCE)
        assert not any(re.search(r"Sync|Connect|Identity Manager", n or "") for n in names)
        assert twin.state["sync"] == {} and twin.state["sql"] == {}
        assert twin.wmi.instances("root\\MicrosoftIdentityIntegrationServer", "MIIS_ManagementAgent") is None
        product = re.compile(r"ADSync|FIM|MSOnline|AzureADConnect|MSSQL|SQL", re.I)
        assert not [s.name for s in twin.services.known() if product.match(s.name)]


@pytest.mark.parametrize("name", [n for n, e in EXPECTED.items() if e["product"] == "connect"])
def test_wrong_paths_fail_like_on_windows(name, twins):
    twin = twins[name]
    # near misses of the real paths must not answer (absent, or not simulated where the lab cannot know)
    assert not answers(lambda: value(twin, r"HKLM\SOFTWARE\Microsoft\AzureADConnect", "Version"))
    assert not answers(lambda: twin.registry.key_exists(r"HKLM\SOFTWARE\Microsoft\Entra Connect"))
    assert not answers(lambda: twin.registry.key_exists(r"HKLM\SOFTWARE\WOW6432Node\Microsoft\Azure AD Connect"))
    assert not answers(lambda: value(twin, CONNECT_KEY, "WizardVersion"))
    assert not answers(lambda: value(twin, SERVICES + r"\ADSync", "SQLInstance"))  # it lives under \Parameters
    assert not answers(lambda: twin.files.exists("C:\\Program Files\\Microsoft Entra Connect\\AzureADConnect.exe"))
    assert not answers(lambda: twin.registry.key_exists(r"HKLM\SOFTWARE\Microsoft\PowerShell\5\PowerShellEngine"))
    # ... while case differences do not matter, as on Windows
    assert value(twin, r"hklm\software\microsoft\azure ad connect", "version") == EXPECTED[name]["version"]


# ---------------------------------------------------------------------------------------------------------------
# database and engine state


def _instance_from_parameters(twin: Twin, service: str) -> str:
    """The SQL instance as the sync service's Parameters name it (what MigrateSettings/community scripts build)."""
    params = SERVICES + "\\" + service + "\\Parameters"
    server = value(twin, params, "Server") or "."
    instance = value(twin, params, "SQLInstance") or ""
    return f"{server}\\{instance}" if instance else server


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sql_object_counts(name, twins):
    twin, exp = twins[name], EXPECTED[name]
    sql = twin.state["sql"]
    if exp["objects"] is None:
        assert sql == {}
        return
    service = "ADSync" if twin.services.get("ADSync") else "FIMSynchronizationService"
    instance = _instance_from_parameters(twin, service)
    assert instance == exp["sql_instance"]
    if instance.split("\\")[0].upper() == twin.state["hostname"]:  # this computer, by its name
        instance = instance.replace(twin.state["hostname"], ".", 1) if "\\" in instance else "."
    assert sql["instances"][instance]["kind"] == exp["sql_kind"]
    dbname = value(twin, SERVICES + "\\" + service + "\\Parameters", "DBName")
    [db] = [d for d in sql["databases"] if d["instance"] == instance and d["name"] == dbname]
    assert db["tables"]["mms_metaverse"] == exp["objects"]
    assert db["tables"]["mms_connectorspace"] > db["tables"]["mms_metaverse"]
    svc_name = sql["instances"][instance].get("service")
    if exp["sql_kind"] == "localdb":
        assert svc_name is None  # LocalDB is not a Windows service
    else:
        assert twin.services.get(svc_name).state == "running"


def test_threshold_cases(twins):
    counts = {n: e["objects"] for n, e in EXPECTED.items() if e["product"] == "dirsync"}
    assert counts["dirsync_2008r2"] < 50000 <= counts["dirsync_2012r2_large"]


@pytest.mark.parametrize("name", [n for n, e in EXPECTED.items() if e["product"]])
def test_sync_engine_state(name, twins):
    twin, exp = twins[name], EXPECTED[name]
    sync = twin.state["sync"]
    assert sync["version"] == exp["version"]
    assert sync["engine"] == {"dirsync": "dirsync", "mim": "fim"}.get(exp["product"], "adsync")
    assert sync["module"] == ("ADSync" if exp["product"] in ("aadsync", "connect") else None)
    ids = [c["identifier"] for c in sync["connectors"]]
    assert len(ids) == len(set(ids))
    if exp["product"] == "connect":
        assert sync["staging_mode"] is exp["staging"]
        assert sync["scheduler"]["StagingModeEnabled"] is exp["staging"]
        assert sync["scheduler"]["SyncCycleEnabled"] is True
        assert sync["scheduler"]["SchedulerSuspended"] is False
        assert sync["auto_upgrade"] == exp["auto_upgrade"]
        aad = [c for c in sync["connectors"] if c["identifier"] == ENTRA_CONNECTOR_GUID]
        assert len(aad) == 1 and aad[0]["type"] == "Extensible2"
    else:
        assert sync["staging_mode"] is False
        assert sync["auto_upgrade"] is None
        assert ENTRA_CONNECTOR_GUID not in ids


def test_free_disk_is_plenty_on_the_parallel_target(twins):
    assert twins["target_2022_clean"].free_bytes > 100 * 2**30


def test_profiles_directory_is_the_configured_one():
    assert PROFILES_DIR == Path(__file__).resolve().parents[4] / "lab" / "profiles"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_same_profile_always_builds_the_same_twin(name):
    first = Twin.from_profile("h", name, PROFILES_DIR).canonical()
    assert Twin.from_profile("h", name, PROFILES_DIR).canonical() == first
