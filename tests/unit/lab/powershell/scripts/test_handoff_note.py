"""The lab's answer to handoff-note.ps1 (lab/powershell/scripts/handoff_note.py), sent as the action plugin sends
it: bootstrap on the command line, the built script on stdin. The note lands on the all-users desktop that every
Windows Server version since 2008 has (C:\\Users\\Public\\Desktop, %PUBLIC%\\Desktop)."""

from __future__ import annotations

import copy

import pytest

from lab.config import PROFILES_DIR
from lab.powershell.scripts import PROJECT_SCRIPTS
from lab.twin.host import Twin
from plugins.plugin_utils import _handoff, _script
from tests.twins import build_twin

DESKTOP = r"C:\Users\Public\Desktop"
NOTE = DESKTOP + r"\entra-sync-upgrade-upgrade.txt"
LINES = _handoff.render_note("upgrade", "h", "H", "2026-11-25T10:00:00Z", {"Installer": r"C:\x.msi"},
                             ["Run the installer, choose Upgrade."], ["version at least 2.5.190.0"])


def run(twin: Twin, request: dict) -> dict:
    script = _script.build("handoff-note", request)
    answer = PROJECT_SCRIPTS["stdin-script"](twin, _script.STDIN_BOOTSTRAP, script.encode("utf-8"))
    assert answer.rc == 0, answer.stderr
    return _script.parse_document(answer.stdout, "handoff-note")["handoff-note"]


def request(action: str, folder: str = "%PUBLIC%\\Desktop", name: str = "entra-sync-upgrade-upgrade.txt",
            lines=None) -> dict:
    return {"action": action, "folder": folder, "name": name, "lines": lines or []}


@pytest.mark.parametrize("base", ["base/windows-server-2008-r2", "base/windows-server-2012-r2",
                                  "base/windows-server-2016", "base/windows-server-2019",
                                  "base/windows-server-2022-core", "base/windows-server-2022",
                                  "base/windows-server-2025"])
def test_every_version_has_the_public_desktop_and_a_note_on_it_round_trips(base):
    twin = build_twin({}, base=base)
    assert twin.files.is_dir(DESKTOP) and twin.expand_env("%PUBLIC%\\Desktop") == DESKTOP
    assert run(twin, request("read")) == {"path": NOTE, "existed": False, "written": False, "removed": False,
                                          "text": None, "error": None}
    written = run(twin, request("write", lines=LINES))
    assert written["written"] and written["path"] == NOTE and written["error"] is None
    assert twin.files.read(NOTE) == ("\r\n".join(LINES) + "\r\n").encode("ascii")  # ASCII, CRLF
    read = run(twin, request("read"))
    assert read["existed"] and _handoff.parse_note(read["text"])["parameters"] == {"Installer": r"C:\x.msi"}
    removed = run(twin, request("remove"))
    assert removed["existed"] and removed["removed"] and not twin.files.exists(NOTE)
    assert run(twin, request("remove")) == {**removed, "existed": False, "removed": False}


def test_reading_and_removing_nothing_change_nothing():
    twin = Twin.from_profile("h", "connect_2_3_2019", PROFILES_DIR)
    before = copy.deepcopy(twin.to_dict())
    run(twin, request("read"))
    run(twin, request("remove"))
    assert twin.to_dict() == before


def test_a_missing_folder_is_created():
    twin = build_twin({})
    doc = run(twin, request("write", folder=r"%ProgramData%\LabNotes\handoff", lines=["x"]))
    assert doc["error"] is None and doc["path"] == r"C:\ProgramData\LabNotes\handoff\entra-sync-upgrade-upgrade.txt"
    assert twin.files.read(doc["path"]) == b"x\r\n"


@pytest.mark.parametrize("req,error", [
    (request("read", name=r"..\..\Windows\win.ini"), "refused: note name"),
    (request("write", name="notes.txt", lines=["x"]), "refused: note name"),
    (request("delete"), "unknown action delete"),
])
def test_what_the_script_refuses(req, error):
    twin = build_twin({})
    before = copy.deepcopy(twin.to_dict())
    assert error in run(twin, req)["error"]
    assert twin.to_dict() == before


def test_a_folder_the_lab_cannot_know_is_not_simulated():
    twin = build_twin({})
    doc = run(twin, request("read", folder=r"C:\Windows\Help\Notes"))
    assert "not simulated" in doc["error"] or "models only part" in doc["error"]
