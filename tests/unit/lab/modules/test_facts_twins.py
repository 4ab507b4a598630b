"""The read-only module twins the prerequisites role uses: setup (every subset), win_whoami, win_reboot_info,
community.windows.win_disk_facts (lab/modules/)."""

from __future__ import annotations

import importlib
import json

import pytest

from lab.modules import ModuleContext, ModuleFailed
from lab.twin import power
from tests.twins import build_twin

DOMAIN_ONLY = ["!all", "!min", "windows_domain"]


def context(twin, module, **params) -> ModuleContext:
    return ModuleContext(twin, params, meta={"_ansible_module_name": module})


def run(twin, module, **params) -> dict:
    """The module's result; read-only modules never change the twin."""
    before = twin.canonical()
    result = importlib.import_module(f"lab.modules.{module}").run(context(twin, module, **params))
    json.dumps(result)
    assert twin.canonical() == before
    return result


def fails(twin, module, **params) -> ModuleFailed:
    with pytest.raises(ModuleFailed) as info:
        run(twin, module, **params)
    return info.value


@pytest.fixture
def twin():
    return build_twin({"hostname": "SRV1", "domain": "corp.contoso.com", "domain_role": "member_server",
                       "groups": {"ADSyncAdmins": ["labadmin"]}})


# setup ---------------------------------------------------------------------------------------
def test_setup_gathers_the_domain_facts(twin):
    facts = run(twin, "setup", gather_subset=DOMAIN_ONLY)["ansible_facts"]
    assert facts == {"gather_subset": DOMAIN_ONLY, "module_setup": True,
                     "ansible_windows_domain": "corp.contoso.com", "ansible_windows_domain_member": True,
                     "ansible_windows_domain_role": "Member server"}


def test_setup_on_a_workgroup_server():
    twin = build_twin({"domain": "WORKGROUP", "domain_role": "standalone_server"})
    facts = run(twin, "setup", gather_subset=DOMAIN_ONLY)["ansible_facts"]
    assert (facts["ansible_windows_domain_member"], facts["ansible_windows_domain_role"]) == (
        False, "Stand-alone server")


def test_setup_warns_about_an_unknown_subset(twin):
    ctx = context(twin, "setup", gather_subset=["!all", "!min", "powershell_version", "bogus"])
    result = importlib.import_module("lab.modules.setup").run(ctx)
    assert result["ansible_facts"]["ansible_powershell_version"] == 5
    assert ctx.warnings == ["invalid value bogus specified in gather_subset"]


def test_setup_gathers_every_default_subset_from_the_twin(twin, monkeypatch, tmp_path):
    """gather_facts' default (`all`): what a plain playbook reads, from the twin's models, not made up."""
    from lab import modules, pki

    # the listener certificates the lab's server loads at start (lab/server.py)
    for kind, (cert, _) in pki.ensure_pki(tmp_path).items():
        monkeypatch.setitem(modules.LISTENER_CERTIFICATES, kind, cert.read_bytes())
    facts = run(twin, "setup")["ansible_facts"]
    assert (facts["ansible_distribution"], facts["ansible_distribution_version"]) == (
        "Microsoft Windows Server 2019 Standard", "10.0.17763.0")
    assert (facts["ansible_fqdn"], facts["ansible_netbios_name"], facts["ansible_domain"]) == (
        "SRV1.corp.contoso.com", "SRV1", "corp.contoso.com")
    assert facts["ansible_env"]["COMPUTERNAME"] == "SRV1" and facts["ansible_user_id"] == "labadmin"
    assert facts["ansible_machine_id"] == twin.accounts.base_sid
    assert facts["ansible_processor_vcpus"] == 4 and len(facts["ansible_processor"]) == 12
    assert facts["ansible_memtotal_mb"] == 16384 and facts["ansible_memfree_mb"] < 16384
    assert (facts["ansible_virtualization_type"], facts["ansible_reboot_pending"]) == ("Hyper-V", False)
    assert len(facts["ansible_win_rm_certificate_thumbprint"]) == 40
    for kind in list(modules.LISTENER_CERTIFICATES):  # a lab that did not load them says so
        monkeypatch.delitem(modules.LISTENER_CERTIFICATES, kind)
    with pytest.raises(ModuleFailed, match="lab: not simulated: setup option ansible_win_rm_certificate_"):
        run(twin, "setup")
    twin.power.require_restart()
    assert run(twin, "setup", gather_subset=["!all"])["ansible_facts"]["ansible_reboot_pending"] is True


def test_setup_fails_loudly_where_the_lab_does_not_model(twin):
    assert "lab: not simulated: setup option fact_path" in fails(twin, "setup", fact_path="C:\\facts").msg
    del twin.state["machine"]["bios"]  # a twin stored before the lab modeled the machine
    assert "lab: not simulated: the machine's bios" in fails(twin, "setup", gather_subset=["!all", "bios"]).msg
    assert run(twin, "setup", gather_subset=["!all", "!min", "windows_domain"])


# win_whoami ----------------------------------------------------------------------------------
def test_whoami_reports_the_logon_and_its_groups(twin):
    result = run(twin, "win_whoami")
    assert (result["authentication_package"], result["logon_type"], result["token_type"]) == (
        "NTLM", "Network", "TokenPrimary")
    assert result["account"]["account_name"] == "labadmin"
    assert {g["account_name"] for g in result["groups"]} >= {"Administrators", "ADSyncAdmins", "Everyone"}
    assert result["label"]["account_name"] == "High Mandatory Level"
    assert "Unsupported parameters for (win_whoami) module: x" in fails(twin, "win_whoami", x=1).msg


# win_reboot_info -----------------------------------------------------------------------------
def test_reboot_info_of_a_cold_booted_host(twin):
    result = run(twin, "win_reboot_info")
    assert result["last_reboot"] == {"time": "2026-01-01T00:00:00Z", "time_epoch": 1767225600.0, "details": None}
    assert (result["reboot_required"], result["reboot_required_reasons"]) == (False, [])


def test_reboot_info_names_each_pending_source(twin):
    twin.power.require_restart()
    twin.registry.set_value(power.COMPUTER_NAME, "ComputerName", "string", "NEWNAME")
    twin.registry.set_value(power.NETLOGON, "AvoidSpnSet", "dword", 1)
    twin.registry.set_value(power.SERVER_MANAGER_CACHE, "RestartRequired", "dword", 1)
    result = run(twin, "win_reboot_info")
    assert [r["source"] for r in result["reboot_required_reasons"]] == [
        "component_based_servicing", "windows_update", "pending_file_rename", "pending_computer_rename",
        "domain_join", "server_manager"]
    assert result["reboot_required_reasons"][3]["description"] == \
        "Computer name change pending from 'SRV1' to 'NEWNAME'."


def test_reboot_info_after_a_restart_shows_its_event(twin):
    twin.power.schedule_restart(2, "Reboot initiated by Ansible", "SRV1\\labadmin", now=1_800_000_000.0)
    twin.power.settle(now=1_800_000_010.0)
    last = run(twin, "win_reboot_info")["last_reboot"]
    assert last["time"] == "2027-01-15T08:00:04Z"
    assert last["details"]["comment"] == "Reboot initiated by Ansible"
    assert last["details"]["reason_code"] == 0x800000FF and last["details"]["initiated_by"] == "SRV1\\labadmin"


# win_disk_facts ------------------------------------------------------------------------------
def test_disk_facts_give_the_system_drive_and_its_free_space(twin):
    disks = run(twin, "win_disk_facts", filter=["volumes"])["ansible_facts"]["ansible_disks"]
    assert len(disks) == 1 and disks[0]["system_disk"] is True and disks[0]["partition_style"] == "GPT"
    system = next(p for p in disks[0]["partitions"] if p["drive_letter"] == "C")
    assert system["volumes"][0]["size"] == twin.state["disk"]["size_bytes"]
    assert system["volumes"][0]["size_remaining"] == twin.free_bytes
    reserved = next(p for p in disks[0]["partitions"] if p["type"] == "Reserved")
    assert "volumes" not in reserved
    partitions_only = run(twin, "win_disk_facts", filter=["partitions"])["ansible_facts"]["ansible_disks"][0]
    assert all("volumes" not in p for p in partitions_only["partitions"])


def test_disk_facts_refuse_what_the_lab_does_not_model_and_a_non_administrator(twin):
    assert fails(twin, "win_disk_facts").msg == "lab: not simulated: win_disk_facts option filter physical_disk"
    twin.state["groups"]["Administrators"] = ["Administrator"]
    assert fails(twin, "win_disk_facts", filter=["volumes"]).msg == "Module was not started with elevated rights"
