"""The prerequisites rules (plugins/plugin_utils/_prerequisites.py): evidence shaped as the modules return it."""

from __future__ import annotations

import copy

import pytest

from plugins.plugin_utils import _evidence as ev
from plugins.plugin_utils import _prerequisites as pre

GIB = 1024 ** 3
BOOT = "2026-01-01T00:00:00Z"
TIERS = [{"objects_below": 50000, "gb": 70}, {"objects_below": 100000, "gb": 100},
         {"objects_below": 300000, "gb": 300}, {"objects_below": 600000, "gb": 450},
         {"objects_below": None, "gb": 500}]
NEEDS = {"drive": "C", "min_free_gb": 10, "object_count": 25000, "disk_gb_by_objects": TIERS,
         "require_adsyncadmins": False}
OPTIONS = {"fix_tls12": False, "allow_reboot": False, "change_window": {}, "reboot_timeout": 600,
           "now": "2026-11-28T23:00:00Z", "drive": "C", "min_free_gb": 10, "object_count": None,
           "disk_gb_by_objects": TIERS}


def reg_stat(read: dict, value=None, vtype="REG_DWORD") -> dict:
    """win_reg_stat's registered loop result for one read."""
    if value is None:
        return {"item": read, "exists": False, "changed": False}
    return {"item": read, "exists": True, "type": vtype, "value": value, "raw_value": value, "changed": False}


def evidence(**overrides) -> dict:
    """A clean 2022 member server, as the role's reads return it; overrides replace registry values by id."""
    values = {"edition": ("ServerStandard", "REG_SZ"), "product_name": ("Windows Server 2022 Standard", "REG_SZ"),
              "build": ("20348", "REG_SZ"), "installation_type": ("Server", "REG_SZ"),
              "dotnet_release": (528449, "REG_DWORD"), "tls12_marker": (None, None)}
    for path, name, want in ev.TLS12:
        values[f"tls12:{path}\\{name}"] = (want, "REG_DWORD")
    values.update(overrides.pop("registry", {}))
    reads = pre.registry_reads(["os", "dotnet", "tls12", "marker"])
    doc = {
        "powershell": "5.1.20348.1",
        "registry": [reg_stat(r, *values[r["id"]]) if values[r["id"]][0] is not None else reg_stat(r)
                     for r in reads],
        "domain": {"ansible_windows_domain": "corp.contoso.com", "ansible_windows_domain_member": True,
                   "ansible_windows_domain_role": "Member server"},
        "reboot": {"last_reboot": {"time": BOOT}, "reboot_required": False, "reboot_required_reasons": []},
        "disks": [{"partitions": [{"drive_letter": "\u0000", "volumes": [{"size": GIB, "size_remaining": GIB}]},
                                  {"drive_letter": "C", "volumes": [{"size": 127 * GIB,
                                                                     "size_remaining": 50 * GIB}]}]}],
        "whoami": {"account": {"domain_name": "SRV", "account_name": "labadmin"},
                   "groups": [{"sid": "S-1-5-32-544", "account_name": "Administrators",
                               "attributes": ["Mandatory", "Enabled by default", "Enabled", "Owner"]}]},
    }
    doc.update(overrides)
    return doc


def checks_of(doc=None, **needs) -> dict:
    return {c["name"]: c for c in pre.evaluate(doc or evidence(), {**NEEDS, **needs})}


def failing(doc=None, **needs) -> set[str]:
    return {name for name, c in checks_of(doc, **needs).items() if not c["ok"]}


# reads and input --------------------------------------------------------------------------------------------
def test_the_registry_reads_come_from_the_evidence_catalog():
    reads = pre.registry_reads(["tls12", "dotnet"])
    assert [(r["path"], r["name"]) for r in reads[:8]] == [(pre.ps_path(p), n) for p, n, _ in ev.TLS12]
    assert reads[8] == {"id": "dotnet_release", "path": pre.ps_path(ev.NDP4_FULL), "name": "Release"}
    assert reads[0]["path"].startswith("HKLM:\\SOFTWARE\\Microsoft\\.NETFramework")
    with pytest.raises(ValueError, match="unknown registry groups"):
        pre.registry_reads(["bios"])


@pytest.mark.parametrize("change,error", [
    ({"drive": "CD"}, "install_drive must be one drive letter"),
    ({"min_free_gb": -1}, "min_free_gb must be a number of at least 0"),
    ({"reboot_timeout": 0}, "reboot_timeout must be a number of at least 1"),
    ({"object_count": "many"}, "object_count must be a non-negative integer"),
    ({"disk_gb_by_objects": [{"gb": 70}]}, "disk_gb_by_objects must be a list"),
    ({"change_window": {"start": "tonight", "end": "2026-11-29T04:00:00Z"}}, "change_window must be"),
    ({"change_window": {"start": "2026-11-29T04:00:00Z", "end": "2026-11-28T22:00:00Z"}}, "ends before it starts"),
    ({"change_window": {"start": "2026-11-28T22:00:00", "end": "2026-11-29T04:00:00"}}, "with a zone"),
])
def test_bad_input_is_named(change, error):
    assert any(error in e for e in pre.input_errors({**OPTIONS, **change}))


def test_good_input_has_no_errors():
    assert pre.input_errors(OPTIONS) == []
    assert pre.input_errors({**OPTIONS, "change_window": {"start": "2026-11-28T22:00:00Z",
                                                          "end": "2026-11-29T04:00:00+01:00"}}) == []


# checks -----------------------------------------------------------------------------------------------------
def test_a_clean_2022_member_server_passes_everything():
    checks = checks_of()
    assert [n for n in checks] == ["powershell", "os_version", "os_edition", "desktop_experience", "domain_member",
                                   "dotnet", "tls12", "pending_reboot", "disk_size", "disk_free", "local_admin"]
    assert all(c["ok"] and c["fix"] is None for c in checks.values())


@pytest.mark.parametrize("version,ok", [("5.1.14393.0", True), ("5.0.10586.117", False), ("2.0", False),
                                        ("4.0", False), ("", False), (None, False), ("7.4.1", True)])
def test_powershell(version, ok):
    assert pre.powershell_check(version)["ok"] is ok


def test_windows_server_2025_is_not_supported_and_2012_r2_neither():
    check = checks_of(evidence(registry={"build": ("26100", "REG_SZ"),
                                         "product_name": ("Windows Server 2025 Standard", "REG_SZ")}))["os_version"]
    assert not check["ok"] and "2025 is not supported" in check["fix"]
    assert "os_version" in failing(evidence(registry={"build": ("9600", "REG_SZ")}))


def test_server_core_fails():
    check = checks_of(evidence(registry={"installation_type": ("Server Core", "REG_SZ")}))["desktop_experience"]
    assert (check["ok"], check["found"]) == (False, "Server Core")


@pytest.mark.parametrize("edition,build,ok", [
    ("ServerDatacenter", "20348", True), ("ServerStandardEval", "17763", True), ("ServerAzureEdition", "20348", True),
    ("ServerSolution", "14393", False), ("ServerSolution", "17763", True), ("ServerWeb", "20348", False)])
def test_editions(edition, build, ok):
    doc = evidence(registry={"edition": (edition, "REG_SZ"), "build": (build, "REG_SZ")})
    assert checks_of(doc)["os_edition"]["ok"] is ok


def test_a_workgroup_server_fails_domain_membership():
    doc = evidence(domain={"ansible_windows_domain": "WORKGROUP", "ansible_windows_domain_member": False,
                           "ansible_windows_domain_role": "Stand-alone server"})
    check = checks_of(doc)["domain_member"]
    assert (check["ok"], check["found"]) == (False, "Stand-alone server of WORKGROUP")


@pytest.mark.parametrize("release,vtype,ok,found", [
    (461808, "REG_DWORD", True, "4.7.2"), (461814, "REG_DWORD", True, "4.7.2"), (394802, "REG_DWORD", False, "4.6.2"),
    (461310, "REG_DWORD", False, "4.7.1"), ("461814", "REG_SZ", False, "no .NET"), (None, None, False, "no .NET")])
def test_dotnet_472(release, vtype, ok, found):
    check = checks_of(evidence(registry={"dotnet_release": (release, vtype)}))["dotnet"]
    assert check["ok"] is ok and found in check["found"]


def test_tls12_lists_each_missing_or_wrong_value_in_win_regedit_terms():
    schannel = ev.TLS12[4][0]
    doc = evidence(registry={f"tls12:{schannel}\\Enabled": (0, "REG_DWORD"),
                             f"tls12:{schannel}\\DisabledByDefault": (None, None),
                             f"tls12:{ev.TLS12[0][0]}\\SchUseStrongCrypto": ("1", "REG_SZ")})
    check = checks_of(doc)["tls12"]
    assert not check["ok"] and check["found"].startswith("5 of 8 values set")
    assert check["values"] == [{"path": pre.ps_path(ev.TLS12[0][0]), "name": "SchUseStrongCrypto", "data": 1},
                               {"path": pre.ps_path(schannel), "name": "Enabled", "data": 1},
                               {"path": pre.ps_path(schannel), "name": "DisabledByDefault", "data": 0}]


def test_pending_reboot_names_its_sources_and_the_toolkits_own_marker():
    reboot = {"last_reboot": {"time": BOOT}, "reboot_required_reasons": [{"source": "windows_update"}]}
    assert checks_of(evidence(reboot=reboot))["pending_reboot"]["found"] == "windows_update"
    marked = evidence(registry={"tls12_marker": (BOOT, "REG_SZ")})
    assert checks_of(marked)["pending_reboot"]["reasons"] == ["tls12_values_set"]
    stale = evidence(registry={"tls12_marker": ("2025-06-01T00:00:00Z", "REG_SZ")})
    assert checks_of(stale)["pending_reboot"]["ok"]  # set before the last boot: applied


@pytest.mark.parametrize("count,gb", [(None, 70), (0, 70), (49999, 70), (50000, 100), (150000, 300),
                                      (600000, 500), (2_000_000, 500)])
def test_disk_size_follows_microsofts_table(count, gb):
    assert pre.disk_gb_required(count, TIERS)[0] == gb


def test_disk_size_and_free_space():
    assert "disk_size" in failing(object_count=150000)  # 127 GB < 300 GB
    assert failing(min_free_gb=60) == {"disk_free"}
    assert failing(drive="D") == {"disk_size", "disk_free"}
    unread = checks_of(evidence(disks={"error": "Module was not started with elevated rights"}))["disk_free"]
    assert not unread["ok"] and "elevated rights" in unread["found"]


def test_rights_need_an_enabled_administrator_and_adsyncadmins_for_an_upgrade():
    assert failing(require_adsyncadmins=True) == {"adsyncadmins"}
    doc = evidence()
    doc["whoami"]["groups"].append({"account_name": "ADSyncAdmins", "sid": "S-1-5-21-1-2-3-1001",
                                    "attributes": ["Mandatory", "Enabled by default", "Enabled"]})
    assert failing(doc, require_adsyncadmins=True) == set()
    filtered = copy.deepcopy(doc)
    filtered["whoami"]["groups"][0]["attributes"] = ["Mandatory", "Use for deny only"]  # a UAC-filtered token
    assert failing(filtered) == {"local_admin"}


# plan -------------------------------------------------------------------------------------------------------
TLS_OFF = {f"tls12:{path}\\{name}": (None, None) for path, name, _ in ev.TLS12}
PENDING = {"last_reboot": {"time": BOOT}, "reboot_required_reasons": [{"source": "component_based_servicing"}]}


def plan(doc, **options):
    return pre.plan(pre.evaluate(doc, NEEDS), {**OPTIONS, **options})


def test_nothing_to_do():
    assert plan(evidence()) == {"set_tls12": [], "reboot": False, "reboot_required": False, "blocking": [],
                                "cause": None, "steps": []}


def test_without_permission_tls_and_a_pending_restart_block_the_host():
    planned = plan(evidence(registry=TLS_OFF, reboot=PENDING))
    assert planned["blocking"] == ["tls12", "pending_reboot"] and not planned["set_tls12"]
    assert "sync_prerequisites_fix_tls12: true" in planned["cause"]
    assert "restart pending (component_based_servicing)" in planned["cause"]


def test_the_tls_fix_alone_leaves_a_restart_to_do():
    planned = plan(evidence(registry=TLS_OFF), fix_tls12=True)
    assert len(planned["set_tls12"]) == 8 and planned["reboot_required"] and not planned["reboot"]
    assert planned["blocking"] == ["pending_reboot"]
    assert "the TLS 1.2 values set in this run apply after a restart" in planned["cause"]


def test_fix_and_restart_together():
    planned = plan(evidence(registry=TLS_OFF, reboot=PENDING), fix_tls12=True, allow_reboot=True)
    assert planned["reboot"] and planned["blocking"] == [] and planned["cause"] is None
    assert planned["steps"][-1] == "restart the server (component_based_servicing, tls12_values_set)"


def test_a_restart_waits_for_the_change_window():
    window = {"start": "2026-11-29T22:00:00Z", "end": "2026-11-30T04:00:00Z"}
    before = plan(evidence(reboot=PENDING), allow_reboot=True, change_window=window)
    assert not before["reboot"] and "outside the change window" in before["cause"]
    inside = plan(evidence(reboot=PENDING), allow_reboot=True, change_window=window, now="2026-11-29T23:00:00Z")
    assert inside["reboot"]
    too_late = plan(evidence(reboot=PENDING), allow_reboot=True, change_window=window, now="2026-11-30T03:55:00Z")
    assert not too_late["reboot"]  # 600 s would not fit before the end


def test_checks_the_role_cannot_fix_block_even_when_fixes_are_allowed():
    doc = evidence(registry={"installation_type": ("Server Core", "REG_SZ")})
    planned = plan(doc, fix_tls12=True, allow_reboot=True)
    assert planned["blocking"] == ["desktop_experience"] and "Desktop Experience" in planned["cause"]


# result -----------------------------------------------------------------------------------------------------
def result(doc, outcome, **options):
    checks = pre.evaluate(doc, NEEDS)
    return pre.result(checks, pre.plan(checks, {**OPTIONS, **options}), outcome)


def test_unchanged_and_the_published_checks_hold_the_contracts_keys():
    out = result(evidence(), {"check_mode": False})
    assert (out["status"], out["cause"], out["fixed"], out["rebooted"], out["reboot_required"]) == (
        "unchanged", None, [], False, False)
    assert all(set(c) == {"name", "ok", "found", "required", "fix"} for c in out["checks"])
    assert "plan" not in out


def test_check_mode_plans_and_reports_nothing_fixed():
    out = result(evidence(registry=TLS_OFF), {"check_mode": True, "tls12_changed": [{"path": "x", "name": "y",
                                                                                      "data": 1}], "rebooted": True},
                 fix_tls12=True, allow_reboot=True)
    assert (out["status"], out["fixed"], out["rebooted"]) == ("planned", [], False)
    assert len(out["plan"]) == 9


def test_check_mode_with_a_blocker_is_failed():
    out = result(evidence(reboot=PENDING), {"check_mode": True})
    assert out["status"] == "failed" and out["plan"] == []


def test_done_after_the_fix_and_the_restart():
    doc = evidence(registry=TLS_OFF, reboot=PENDING)
    changed = pre.tls12_missing(pre._registry(doc))
    out = result(doc, {"check_mode": False, "tls12_changed": changed, "rebooted": True, "reasons_after_reboot": []},
                 fix_tls12=True, allow_reboot=True)
    assert out["status"] == "done" and out["rebooted"] and not out["reboot_required"]
    assert out["fixed"][-1] == "restarted" and len(out["fixed"]) == 9


def test_the_tls_fix_without_a_restart_is_failed_with_a_restart_required():
    doc = evidence(registry=TLS_OFF)
    out = result(doc, {"check_mode": False, "tls12_changed": pre.tls12_missing(pre._registry(doc))}, fix_tls12=True)
    assert out["status"] == "failed" and out["reboot_required"] and len(out["fixed"]) == 8


def test_a_restart_that_fails_or_leaves_a_restart_pending_is_failed():
    failed = result(evidence(reboot=PENDING), {"rebooted": False, "reboot_failed": "Timed out waiting for last "
                                               "boot time check (timeout=600)"}, allow_reboot=True)
    assert failed["status"] == "failed" and "the restart failed: Timed out" in failed["cause"]
    again = result(evidence(reboot=PENDING), {"rebooted": True, "reasons_after_reboot": ["component_based_servicing"]},
                   allow_reboot=True)
    assert again["status"] == "failed" and again["reboot_required"] and "still pending" in again["cause"]


def test_windows_server_2016_passes_with_a_warning():
    doc = evidence(registry={"build": ("14393", "REG_SZ")})
    out = result(doc, {})
    assert out["status"] == "unchanged" and "extended (paid) support" in out["warnings"][0]
