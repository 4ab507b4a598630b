"""Reboots in the lab: real ansible.windows.win_reboot and pywinrm against a twin that restarts."""

from __future__ import annotations

import time

import pytest
import requests
import winrm

from lab.twin import power

HOST = "target-2022-b"


@pytest.fixture(scope="module", autouse=True)
def profile_again_afterwards(lab):
    """Later tests meet the host as its profile describes it (booted once, at the profile's time)."""
    yield
    lab.reset(HOST)


def run_ps(lab, script: str):
    port = lab.hosts[HOST].https_port
    session = winrm.Session(f"https://127.0.0.1:{port}/wsman", auth=(lab.creds.username, lab.creds.password),
                            transport="ntlm", ca_trust_path=str(lab.ca), operation_timeout_sec=5,
                            read_timeout_sec=10)
    return session.run_ps(script)


def test_a_restarting_host_resets_connections_then_answers_from_a_new_boot(lab):
    lab.reset(HOST)
    assert run_ps(lab, "hostname").status_code == 0

    def restart_now(twin):
        twin.state["power"]["restart_seconds"] = 1.5
        twin.power.schedule_restart(0, "test", "ENTRANEW02\\labadmin")

    lab.edit(HOST, restart_now)
    with pytest.raises(requests.exceptions.ConnectionError):
        run_ps(lab, "hostname")
    time.sleep(1.6)
    assert run_ps(lab, "hostname").status_code == 0
    assert lab.twin(HOST).power.boot_count == 1
    assert any(e["op"] == "reset" and e.get("error") == "host restarting" for e in lab.log(HOST))


def test_win_reboot_restarts_the_twin_and_clears_a_pending_reboot(lab):
    lab.reset(HOST)
    lab.clear_log(HOST)
    lab.edit(HOST, lambda twin: twin.power.require_restart())
    before = lab.twin(HOST).power.last_boot
    run = lab.playbook([{"hosts": HOST, "gather_facts": False, "tasks": [
        {"name": "reboot", "ansible.windows.win_reboot": {"reboot_timeout": 120}}]}])
    result = run.results("reboot")[HOST]
    assert (result.get("failed", False), result["rebooted"], result["changed"]) == (False, True, True), result
    twin = lab.twin(HOST)
    assert twin.power.boot_count == 1 and twin.power.last_boot > before
    for key in (power.CBS_REBOOT_PENDING, power.WU_REBOOT_REQUIRED):
        assert not twin.registry.key_exists(key)
    assert twin.registry.get_value(power.SESSION_MANAGER, "PendingFileRenameOperations") is None
    assert twin.services.get("WinRM").state == "running"
    # the connection made before the restart was reset; the host answered again from its new boot
    assert [e for e in lab.log(HOST) if e["op"] == "reset"]


def test_win_reboot_in_check_mode_changes_nothing(lab):
    lab.reset(HOST)
    digest = lab.digest(HOST)
    run = lab.playbook([{"hosts": HOST, "gather_facts": False, "tasks": [
        {"name": "reboot", "ansible.windows.win_reboot": {}}]}], check=True)
    assert run.results("reboot")[HOST]["rebooted"] is True
    assert lab.digest(HOST) == digest
