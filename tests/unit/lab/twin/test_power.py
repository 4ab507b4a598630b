"""The power model: restarts shutdown.exe schedules, the outage, and what a boot does (lab/twin/power.py)."""

from __future__ import annotations

import pytest

from lab.twin import power
from lab.twin.errors import Win32Error
from lab.twin.host import Twin
from tests.twins import build_twin

SPEC = {
    "hostname": "T",
    "files": {r"C:\LabSvc\svc.exe": {"size": 10}},
    "services": {
        "LabManualRunning": {"start_mode": "manual", "state": "running", "path": r"C:\LabSvc\svc.exe"},
        "LabAutoStopped": {"start_mode": "auto", "state": "stopped", "path": r"C:\LabSvc\svc.exe"},
        "LabAutoMissing": {"start_mode": "manual", "state": "stopped", "path": r"C:\LabSvc\gone.exe"},
    },
}


@pytest.fixture
def twin() -> Twin:
    return build_twin(SPEC)


def test_a_profile_host_booted_at_the_profile_time_and_has_shown_its_logon_screen(twin):
    assert (twin.power.boot_count, twin.power.scheduled, twin.power.last_shutdown_event) == (0, None, None)
    assert twin.power.last_boot_dmtf() == "20260101000000.000000+000"
    assert twin.registry.key_exists(power.AUTO_LOGON_CHECKED)


def test_a_second_restart_is_refused_until_the_first_is_aborted(twin):
    twin.power.schedule_restart(2, "first", "T\\labadmin", now=100.0)
    with pytest.raises(Win32Error) as err:
        twin.power.schedule_restart(2, "second", "T\\labadmin", now=100.5)
    assert (err.value.code, err.value.message) == (1190, "A system shutdown has already been scheduled.")
    twin.power.abort(now=101.0)
    twin.power.schedule_restart(2, "second", "T\\labadmin", now=101.5)
    assert twin.power.scheduled["comment"] == "second"


def test_abort_without_a_restart_and_after_it_began(twin):
    with pytest.raises(Win32Error) as err:
        twin.power.abort(now=100.0)
    assert err.value.code == 1116
    twin.power.schedule_restart(2, "x", "T\\labadmin", now=100.0)
    with pytest.raises(Win32Error) as err:
        twin.power.abort(now=102.5)
    assert err.value.code == 1115


def test_the_host_is_down_from_the_restart_until_its_boot_ends(twin):
    twin.state["power"]["restart_seconds"] = 3
    twin.power.schedule_restart(2, "x", "T\\labadmin", now=100.0)
    assert power.availability(twin.state, now=101.9) == (False, 0)
    assert power.availability(twin.state, now=102.0) == (True, 1)
    assert power.availability(twin.state, now=104.9) == (True, 1)
    assert power.availability(twin.state, now=105.0) == (False, 1)
    assert not twin.power.settle(now=104.9)
    assert twin.power.settle(now=105.0)
    assert (twin.power.boot_count, twin.power.last_boot, twin.power.scheduled) == (1, 105.0, None)


def test_the_restart_is_logged_as_event_1074(twin):
    twin.power.schedule_restart(2, "Reboot initiated by Ansible", "T\\labadmin", now=100.0)
    event = twin.power.last_shutdown_event
    assert (event["time"], event["type"], event["comment"], event["user"]) == (
        100.0, "restart", "Reboot initiated by Ansible", "T\\labadmin")
    assert event["process"] == r"C:\Windows\system32\shutdown.exe (T)"


def test_a_boot_finishes_the_work_a_restart_was_pending_for(twin):
    twin.power.require_restart()
    reg = twin.registry
    pending = reg.get_value(power.SESSION_MANAGER, "PendingFileRenameOperations")["data"]
    doomed = pending[0][4:]
    assert twin.files.exists(doomed)
    assert reg.key_exists(power.CBS_REBOOT_PENDING) and reg.key_exists(power.WU_REBOOT_REQUIRED)
    twin.power.boot(200.0)
    assert not reg.key_exists(power.CBS_REBOOT_PENDING)
    assert not reg.key_exists(power.WU_REBOOT_REQUIRED)
    assert reg.get_value(power.SESSION_MANAGER, "PendingFileRenameOperations") is None
    assert not twin.files.exists(doomed)


def test_renames_move_files_and_replace_only_when_asked(twin):
    twin.files.write(r"C:\ProgramData\LabR\new.dll", b"new")
    twin.files.write(r"C:\ProgramData\LabR\kept.dll", b"old")
    twin.files.write(r"C:\ProgramData\LabR\other.dll", b"other")
    twin.registry.set_value(power.SESSION_MANAGER, "PendingFileRenameOperations", "multistring", [
        r"\??\C:\ProgramData\LabR\new.dll", r"!\??\C:\ProgramData\LabR\kept.dll",
        r"\??\C:\ProgramData\LabR\other.dll", r"\??\C:\ProgramData\LabR\kept.dll",  # target exists: skipped
        r"\??\C:\ProgramData\LabR\never.dll", ""])  # a missing source is skipped too
    twin.power.boot(200.0)
    assert twin.files.read(r"C:\ProgramData\LabR\kept.dll") == b"new"
    assert twin.files.exists(r"C:\ProgramData\LabR\other.dll")
    assert not twin.files.exists(r"C:\ProgramData\LabR\new.dll")


def test_services_come_back_as_booted_unless_their_start_type_changed(twin):
    scm = twin.services
    scm.stop("LabManualRunning")  # stopped by hand: a restart brings the booted state back
    scm.configure("LabAutoStopped", start_mode="disabled")  # changed: per its new start type
    scm.configure("LabAutoMissing", start_mode="auto")  # auto, but its program is missing: the SCM fails it
    scm.create("LabNew", r"C:\LabSvc\svc.exe", start_mode="delayed")  # installed by a run
    twin.power.boot(200.0)
    states = {name: scm.get(name).state for name in ("LabManualRunning", "LabAutoStopped", "LabAutoMissing",
                                                       "LabNew")}
    assert states == {"LabManualRunning": "running", "LabAutoStopped": "stopped", "LabAutoMissing": "stopped",
                      "LabNew": "running"}


def test_logonui_recreates_autologonchecked(twin):
    twin.registry.delete_key(power.AUTO_LOGON_CHECKED)
    twin.power.boot(200.0)
    assert twin.registry.key_exists(power.AUTO_LOGON_CHECKED)


def test_a_pending_computer_rename_and_domain_join_complete(twin):
    twin.registry.set_value(power.COMPUTER_NAME, "ComputerName", "string", "RENAMED")
    twin.registry.set_value(power.NETLOGON, "JoinDomain", "dword", 1)
    twin.power.boot(200.0)
    assert twin.registry.get_value(power.ACTIVE_COMPUTER_NAME, "ComputerName")["data"] == "RENAMED"
    assert twin.state["hostname"] == "RENAMED"
    assert twin.registry.get_value(power.NETLOGON, "JoinDomain") is None


def test_a_stored_host_whose_restart_ended_has_booted_when_loaded(twin):
    twin.power.schedule_restart(0, "x", "T\\labadmin", now=1.0)
    loaded = Twin.from_dict(twin.to_dict())
    assert (loaded.power.boot_count, loaded.power.scheduled) == (1, None)


def test_unknown_settings_and_sources_are_refused():
    with pytest.raises(ValueError, match="unknown settings"):
        power.initial({"restart": 1})
    with pytest.raises(ValueError, match="unknown source"):
        build_twin(SPEC).power.require_restart("bios")
