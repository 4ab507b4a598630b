"""The Service Control Manager model (lab/twin/services.py): configuration in the registry, start rules."""

from __future__ import annotations

import pytest

from lab.twin.errors import NotSimulated, Win32Error
from lab.twin.services import program_of
from tests.twins import build_twin

SERVICES_KEY = r"HKLM\SYSTEM\CurrentControlSet\Services"


@pytest.fixture
def twin():
    return build_twin({
        "files": {r"C:\LabSvc\svc.exe": {"size": 1}},
        "services": {
            "LabBase": {"path": r"C:\LabSvc\svc.exe", "start_mode": "auto", "state": "running"},
            "LabTop": {"path": r'"C:\LabSvc\svc.exe" -run', "start_mode": "manual", "dependencies": ["LabBase"]},
            "LabMissing": {"path": r"C:\LabGone\gone.exe", "start_mode": "manual"},
            "LabOff": {"path": r"C:\LabSvc\svc.exe", "start_mode": "disabled"},
            "LabNeedsOff": {"path": r"C:\LabSvc\svc.exe", "dependencies": ["LabOff"]},
            "LabNeedsGhost": {"path": r"C:\LabSvc\svc.exe", "dependencies": ["LabGhost"]},
        }})


def test_configuration_lives_in_the_service_key(twin):
    twin.services.configure("LabTop", start_mode="delayed", display_name="Lab Top", username=r".\labsvc")
    values = {n.lower(): v["data"] for n, v in twin.registry.values(SERVICES_KEY + r"\LabTop").items()}
    assert (values["start"], values["delayedautostart"], values["displayname"], values["objectname"]) == \
        (2, 1, "Lab Top", r".\labsvc")
    assert twin.services.get("labtop").start_mode == "delayed"  # names ignore case


def test_standard_services_come_from_the_base_layer(twin):
    winrm = twin.services.get("WinRM")
    assert winrm.state == "running" and winrm.path.lower().startswith(r"c:\windows\system32\svchost.exe")
    tcpip = twin.services.get("Tcpip")
    assert tcpip.is_driver and tcpip.username is None and tcpip.path.lower().startswith("\\systemroot\\")
    with pytest.raises(NotSimulated):
        twin.services.start("Tcpip") if tcpip.state != "running" else twin.services.stop("Tcpip")


def test_start_rules(twin):
    assert [s.name for s in twin.services.start("LabTop")] == ["LabTop"]  # LabBase already runs
    with pytest.raises(Win32Error) as missing:
        twin.services.start("LabMissing")
    assert missing.value.code == 2 and twin.services.get("LabMissing").state == "stopped"
    with pytest.raises(Win32Error) as disabled:
        twin.services.start("LabOff")
    assert disabled.value.code == 1058
    with pytest.raises(Win32Error) as dependency:
        twin.services.start("LabNeedsOff")
    assert dependency.value.code == 1068
    with pytest.raises(Win32Error) as ghost:
        twin.services.start("LabNeedsGhost")
    assert ghost.value.code == 1075


def test_a_running_dependent_blocks_stop(twin):
    twin.services.start("LabTop")
    with pytest.raises(Win32Error) as refused:
        twin.services.stop("LabBase")
    assert refused.value.code == 1051
    twin.services.stop("LabTop")
    twin.services.stop("LabBase")
    assert twin.services.get("LabBase").state == "stopped"


def test_unknown_names_follow_the_modeled_rule(twin):
    assert twin.services.get("LabNothing") is None and twin.services.get("ADSync") is None
    with pytest.raises(NotSimulated):
        twin.services.get("ContosoAgent")


@pytest.mark.parametrize("path,program", [(r'"C:\Program Files\A B\x.exe" -k', r"C:\Program Files\A B\x.exe"),
                                          (r"C:\Windows\system32\svchost.exe -k netsvcs -p",
                                           r"C:\Windows\system32\svchost.exe"),
                                          (r"C:\LabSvc\svc.exe", r"C:\LabSvc\svc.exe")])
def test_program_of_a_command_line(path, program):
    assert program_of(path) == program
