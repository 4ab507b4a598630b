"""The sync_prerequisites role against lab hosts: checks, fixes only when allowed, restarts, check mode."""

from __future__ import annotations

import pytest

from plugins.plugin_utils import _evidence as ev
from plugins.plugin_utils import _prerequisites as pre

DC_2016 = "connect1-2016"  # a 2016 DC with a reboot pending and TLS 1.2 only partly set
CLEAN = "target-2022-c"  # a clean 2022 member server, TLS 1.2 set
TLS_ONLY = "target-2022-d"
TOUCHED = (DC_2016, CLEAN, TLS_ONLY, "member-2019", "connect23-2019")
FIX = {"sync_prerequisites_fix_tls12": True}
FIX_AND_RESTART = {**FIX, "sync_prerequisites_allow_reboot": True}


@pytest.fixture(scope="module", autouse=True)
def profiles_again_afterwards(lab):
    """Later tests meet these hosts as their profiles describe them."""
    yield
    lab.reset(*TOUCHED)


def play(hosts: str, role_vars: dict | None = None, pre_tasks: list | None = None) -> list[dict]:
    return [{"hosts": hosts, "gather_facts": False, "pre_tasks": pre_tasks or [],
             "roles": [{"role": "entra.sync_upgrade.sync_prerequisites", "vars": role_vars or {}}]}]


def result_of(run, host: str) -> dict:
    """The last sync_prerequisites_result the host published (set_fact results carry it)."""
    found = None
    for one_play in run.data["plays"]:
        for task in one_play["tasks"]:
            facts = task["hosts"].get(host, {}).get("ansible_facts") or {}
            found = facts.get("sync_prerequisites_result", found)
    assert found is not None, f"{host} published no result"
    return found


def checks(result: dict) -> dict[str, dict]:
    return {c["name"]: c for c in result["checks"]}


def tls12_off(twin) -> None:
    """Take the eight TLS 1.2 values out, as on a server nobody has hardened."""
    for path, name, _ in ev.TLS12:
        if twin.registry.get_value(path, name) is not None:
            twin.registry.delete_value(path, name)


def tls12_values(twin) -> dict:
    return {(path, name): (twin.registry.get_value(path, name) or {}).get("data") for path, name, _ in ev.TLS12}


def modules_run(lab, host: str) -> list[str]:
    return [e["script"] for e in lab.log(host) if e.get("op") == "Command" and e.get("script") != "raw"]


def test_a_clean_target_passes_every_check_and_changes_nothing(lab):
    lab.reset(CLEAN)
    digest = lab.digest(CLEAN)
    run = lab.playbook(play(CLEAN))
    assert not run.failures(), run.data
    result = result_of(run, CLEAN)
    assert (result["status"], result["cause"], result["fixed"], result["rebooted"]) == ("unchanged", None, [], False)
    assert all(c["ok"] for c in result["checks"]), result["checks"]
    assert {"powershell", "os_version", "desktop_experience", "domain_member", "dotnet", "tls12", "pending_reboot",
            "disk_free", "local_admin"} <= set(checks(result))
    assert run.changed() == 0 and lab.digest(CLEAN) == digest


def test_check_mode_changes_nothing_and_lists_what_it_would_fix(lab):
    lab.reset(DC_2016)
    digest = lab.digest(DC_2016)
    run = lab.playbook(play(DC_2016, FIX_AND_RESTART), check=True)
    assert lab.digest(DC_2016) == digest
    result = result_of(run, DC_2016)
    assert result["status"] == "planned" and result["fixed"] == [] and not result["rebooted"]
    assert len(result["plan"]) == 7  # six of the eight TLS values are missing, then the restart
    assert result["plan"][-1] == "restart the server (component_based_servicing, tls12_values_set)"
    regedit = run.results("Set the TLS 1.2 registry values")[DC_2016]["results"]
    assert len(regedit) == 6 and all(r["changed"] and "diff" in r for r in regedit)


def test_the_tls_fix_without_a_restart_stops_the_host_until_it_has_restarted(lab):
    lab.reset(TLS_ONLY)
    lab.edit(TLS_ONLY, tls12_off)

    first = lab.playbook(play(TLS_ONLY, FIX))
    result = result_of(first, TLS_ONLY)
    assert first.failures() == {TLS_ONLY: 1} and result["status"] == "failed"
    assert result["reboot_required"] and len(result["fixed"]) == 8 and not result["rebooted"]
    assert "apply after a restart" in result["cause"]
    twin = lab.twin(TLS_ONLY)
    assert tls12_values(twin) == {(p, n): want for p, n, want in ev.TLS12} and twin.power.boot_count == 0
    marker = twin.registry.get_value(pre.MARKER_KEY, pre.MARKER_VALUE)
    assert marker["data"] == "2026-01-01T00:00:00Z"  # the boot during which the values were set

    second = lab.playbook(play(TLS_ONLY, FIX))
    assert second.failures() == {TLS_ONLY: 1} and second.changed() == 0
    assert checks(result_of(second, TLS_ONLY))["pending_reboot"]["found"] == "tls12_values_set"

    lab.edit(TLS_ONLY, lambda t: t.power.boot(t.power.last_boot + 3600))  # someone restarted it
    third = lab.playbook(play(TLS_ONLY, FIX))
    assert not third.failures() and third.changed() == 0
    assert result_of(third, TLS_ONLY)["status"] == "unchanged"


def test_a_pending_restart_outside_the_change_window_is_reported_not_done(lab):
    lab.reset(DC_2016)
    window = {"start": "2020-01-04T22:00:00Z", "end": "2020-01-05T04:00:00Z"}
    run = lab.playbook(play(DC_2016, {**FIX_AND_RESTART, "sync_prerequisites_change_window": window}))
    result = result_of(run, DC_2016)
    assert result["status"] == "failed" and not result["rebooted"] and result["reboot_required"]
    assert "outside the change window 2020-01-04T22:00:00Z - 2020-01-05T04:00:00Z" in result["cause"]
    assert lab.twin(DC_2016).power.boot_count == 0


@pytest.mark.parametrize("host,version", [("dirsync-2008r2", "2.0"), ("aadsync-2012r2", "4.0")])
def test_powershell_below_51_stops_before_any_module_runs(lab, host, version):
    lab.clear_log(host)
    run = lab.playbook(play(host))
    result = result_of(run, host)
    assert run.failures() == {host: 1}
    assert result["status"] == "failed" and result["cause"].startswith(f"needs PowerShell 5.1 (found {version})")
    assert [c["name"] for c in result["checks"]] == ["powershell"]
    assert modules_run(lab, host) == []  # one raw command, no module payload that would crash


def test_the_assessments_powershell_version_spares_the_raw_command(lab):
    host = "dirsync-2008r2"
    lab.clear_log(host)
    assessed = {"ansible.builtin.set_fact": {"sync_assess_result": {
        "status": "assessed", "cause": None, "facts": {"powershell_version": "2.0"}, "decision": None}}}
    run = lab.playbook(play(host, pre_tasks=[assessed]))
    assert result_of(run, host)["cause"].startswith("needs PowerShell 5.1 (found 2.0)")
    assert [e for e in lab.log(host) if e.get("op") == "Command"] == []


def test_bad_input_fails_before_the_host_is_touched(lab):
    lab.clear_log(CLEAN)
    run = lab.playbook(play(CLEAN, {"sync_prerequisites_change_window": {"start": "tonight", "end": "tomorrow"}}))
    assert run.failures() == {CLEAN: 1}
    message = run.results("Check the role's input before anything runs")[CLEAN]["msg"]
    assert "sync_prerequisites_change_window must be {start, end}" in message
    assert lab.log(CLEAN) == []


def test_an_upgrade_of_an_installed_engine_needs_adsyncadmins(lab):
    host = "connect23-2019"
    lab.reset(host)
    # report only, whatever the lab inventory allows on this host (it lets the demo fix TLS 1.2 there)
    plays = [{"hosts": host, "gather_facts": False,
              "roles": ["entra.sync_upgrade.sync_assess",
                        {"role": "entra.sync_upgrade.sync_prerequisites",
                         "vars": {"sync_prerequisites_fix_tls12": False, "sync_prerequisites_allow_reboot": False}}]}]
    run = lab.playbook(plays)
    result = result_of(run, host)
    assert checks(result)["adsyncadmins"]["ok"], result
    assert checks(result)["disk_size"]["required"].startswith("70 GB (40,000 objects")  # the assessment's count
    assert result["status"] == "failed" and "tls12" in result["cause"]  # 2.3 on 2019 with TLS 7 of 8

    lab.edit(host, lambda twin: twin.state["groups"].update(ADSyncAdmins=[]))
    result = result_of(lab.playbook(plays), host)
    assert not checks(result)["adsyncadmins"]["ok"] and "adsyncadmins: add" in result["cause"]


def test_an_account_that_is_not_an_administrator_is_reported(lab):
    host = "member-2019"
    lab.reset(host)
    lab.edit(host, lambda twin: twin.state["groups"].update(
        {"Administrators": ["Administrator"], "Remote Management Users": ["labadmin"]}))
    result = result_of(lab.playbook(play(host)), host)
    assert not checks(result)["local_admin"]["ok"]
    assert "local_admin: add APPSRV01\\labadmin to the local Administrators group" in result["cause"]
    # win_disk_facts refuses a process without an administrator's token: the disk could not be read
    assert checks(result)["disk_free"]["found"] == "not read: Module was not started with elevated rights"
