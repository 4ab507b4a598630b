"""Injected faults as twin state (lab/twin/faults.py): which rule fires for what the host is asked, how often, and
the command-level kinds the models apply (a service start, the free space, a run profile's result)."""

from __future__ import annotations

import pytest

from lab.twin import faults
from lab.twin.errors import Win32Error
from lab.twin.host import Twin
from tests.twins import build_twin


@pytest.fixture
def twin() -> Twin:
    return build_twin({})


def test_a_rule_fires_for_what_it_names_as_many_times_as_asked_and_is_counted(twin):
    twin.faults.add("connection_drop", "backup-stage", times=2)
    assert twin.faults.fire("command", ["probe"], "powershell.exe -EncodedCommand x") is None
    first = twin.faults.fire("command", ["backup-stage"], "powershell.exe")
    assert first["kind"] == "connection_drop" and first["last_fired"]["asked"] == "backup-stage"
    assert twin.faults.fire("command", ["backup-stage"], "")["fired"] == 2
    assert twin.faults.fire("command", ["backup-stage"], "") is None  # spent
    assert twin.faults.peek()[0]["fired"] == 2


def test_when_matches_a_module_name_or_a_command_line_substring_and_no_when_matches_everything(twin):
    twin.faults.add("http_500", "win_service")
    twin.faults.add("http_500", "Get-Date")
    twin.faults.add("operation_timeout", times=0, seconds=5)  # until cleared
    assert twin.faults.fire("command", ["WIN_SERVICE"], "")["when"] == "win_service"
    assert twin.faults.fire("command", [], "powershell -c get-date")["when"] == "Get-Date"
    for _ in range(3):
        assert twin.faults.fire("command", ["anything"], "")["kind"] == "operation_timeout"
    assert twin.faults.clear() == 3 and "faults" not in twin.state


def test_a_reboot_restarts_the_host_as_it_fires(twin):
    twin.faults.add("reboot", "backup-stage")
    twin.faults.fire("command", ["backup-stage"], "")
    assert twin.power.down() and twin.power.last_shutdown_event is None  # not asked by shutdown.exe


def test_a_service_that_does_not_start(twin):
    twin.faults.add("service_start_fails", service="W32Time", error=1069)
    twin.services.stop("W32Time")
    with pytest.raises(Win32Error) as err:
        twin.services.start("W32Time")
    assert err.value.code == 1069 and twin.services.get("W32Time").state == "stopped"
    twin.services.start("W32Time")  # fired once
    assert twin.services.get("W32Time").state == "running"


def test_a_full_disk_holds_until_cleared(twin):
    free = twin.free_bytes
    twin.faults.add("disk_full", free_bytes=1000)
    assert twin.free_bytes == 1000
    twin.faults.clear()
    assert twin.free_bytes == free


@pytest.mark.parametrize("kind,params,message", [
    ("no_such_kind", {}, "unknown fault kind"),
    ("installer_exit", {"code": 1618}, "code must be one of"),
    ("http_500", {"code": 1}, "unknown parameters"),
    ("service_start_fails", {"error": 5}, "error must be one of"),
])
def test_bad_rules_are_refused(twin, kind, params, message):
    with pytest.raises(faults.FaultError, match=message):
        twin.faults.add(kind, **params)
