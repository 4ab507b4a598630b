"""The lab's operator: the handoff note parser, each step done on twins in a store, --wrong variants, the
autopilot (once per note, after its delay) and the record of what was done."""

from __future__ import annotations

import json

import pytest

from lab.autopilot import Autopilot, read_state, write_state
from lab.config import PROFILES_DIR
from lab.operator import OLD_VERSION, Operator, OperatorError
from lab.twin import labmsi, syncconfig
from lab.twin.handoffnote import NoteError, notes_on, parse, path_of
from lab.twin.store import TwinStore

MSI = r"C:\ProgramData\EntraSyncUpgrade\installer\AzureADConnect.msi"
NEW = "2.5.190.0"


def note_text(step: str, host: str, issued: str = "2026-03-01T10:00:00Z", **params: str) -> str:
    lines = ["entra-sync-upgrade handoff v1", f"Step: {step}", f"Host: {host} (COMPUTER)", f"Issued: {issued}"]
    lines += [f"{k.replace('_', '-')}: {v}" for k, v in params.items()]
    lines += ["", "What to do:", "1. Start the package.", "2. Finish the wizard.", "When it is done, the run sees:",
              "- version at least 2.5.190.0", ""]
    return "\r\n".join(lines)


@pytest.fixture
def store(tmp_path):
    s = TwinStore(tmp_path / "state", PROFILES_DIR)
    for host, profile in (("aadc", "connect_2_3_2019"), ("new", "target_2022_clean"), ("dirsync", "dirsync_2008r2"),
                          ("aadsync", "aadsync_2012r2")):
        s.reset(host, profile)
    return s


def put(store, host: str, text: str | None = None, files: dict | None = None, step: str = "upgrade") -> None:
    with store.session(host) as twin:
        if text is not None:
            twin.files.write(path_of(step), text.encode("ascii"))
        for path, data in (files or {}).items():
            twin.files.write(path, data)


@pytest.fixture
def operator(store, tmp_path):
    return Operator(store, tmp_path / "log" / "operator.jsonl")


# --- the note -------------------------------------------------------------------------------------------------
def test_a_note_parses_into_its_fields():
    note = parse(note_text("install_import", "new", Installer=MSI, Settings=r"C:\s", Staging="on"), "p")
    assert (note.step, note.host, note.computer, note.issued) == ("install_import", "new", "COMPUTER",
                                                                 "2026-03-01T10:00:00Z")
    assert note.parameters == {"Installer": MSI, "Settings": r"C:\s", "Staging": "on"}
    assert note.instructions == ["Start the package.", "Finish the wizard."]
    assert note.expectations == ["version at least 2.5.190.0"]


@pytest.mark.parametrize("text,words", [
    ("hello\r\nStep: upgrade", "not a handoff note"),
    ("entra-sync-upgrade handoff v1\r\nStep: upgrade\r\nIssued: x\r\n", "no Host"),
    ("entra-sync-upgrade handoff v1\r\nStep: reboot\r\nHost: a (A)\r\nIssued: x\r\n", "unknown step"),
    ("entra-sync-upgrade handoff v1\r\nStep upgrade\r\n", "not 'Key: value'"),
])
def test_a_file_that_is_not_a_note_is_refused(text, words):
    with pytest.raises(NoteError, match=words):
        parse(text)


def test_notes_on_a_desktop_oldest_first(store):
    put(store, "new", note_text("staging_on", "new", "2026-03-02T00:00:00Z"), step="staging_on")
    put(store, "new", note_text("wizard_files", "new", "2026-03-01T00:00:00Z", Installer=MSI), step="wizard_files")
    assert [n.step for n in notes_on(store.load("new").files)] == ["wizard_files", "staging_on"]


# --- the operator ---------------------------------------------------------------------------------------------
def test_upgrade_step_moves_the_host_to_the_installer_version_and_is_logged(store, operator):
    put(store, "aadc", note_text("upgrade", "aadc", Installer=MSI), {MSI: labmsi.build(4096, NEW)})
    result = operator.perform("aadc")
    assert result["changed"] and store.load("aadc").state["sync"]["version"] == NEW
    entry = json.loads(operator.log_path.read_text().splitlines()[-1])
    assert (entry["host"], entry["step"], entry["ok"], entry["source"]) == ("aadc", "upgrade", True, "cli")
    assert operator.done() == {("aadc", "upgrade", "2026-03-01T10:00:00Z")}


def test_no_note_and_a_failing_step_are_clear_errors_and_change_nothing(store, operator):
    with pytest.raises(OperatorError, match="no handoff note"):
        operator.perform("aadc")
    put(store, "aadc", note_text("upgrade", "aadc", Installer=MSI), {MSI: labmsi.build(4096, NEW, "tampered")})
    before = store.load("aadc").canonical()
    with pytest.raises(OperatorError, match="step upgrade failed: .*not a valid Microsoft-signed"):
        operator.perform("aadc")
    assert store.load("aadc").canonical() == before
    assert json.loads(operator.log_path.read_text().splitlines()[-1])["ok"] is False


@pytest.mark.parametrize("wrong,version,staging,connectors", [
    (None, NEW, True, ["corp.contoso.com", "contoso.onmicrosoft.com - AAD"]),
    ("staging-off", NEW, False, ["corp.contoso.com", "contoso.onmicrosoft.com - AAD"]),
    ("old-version", OLD_VERSION, True, ["corp.contoso.com", "contoso.onmicrosoft.com - AAD"]),
])
def test_install_import_and_its_wrong_variants(store, operator, wrong, version, staging, connectors):
    settings = r"C:\ProgramData\EntraSyncUpgrade\settings\aadc"
    files = {f"{settings}\\{name}": data
             for name, data in syncconfig.settings_files(store.load("aadc"), "json_export").items()}
    put(store, "new", note_text("install_import", "new", Installer=MSI, Settings=settings, Staging="on"),
        {MSI: labmsi.build(4096, NEW), **files}, step="install_import")
    operator.perform("new", "install_import", wrong)
    sync = store.load("new").state["sync"]
    assert (sync["version"], sync["staging_mode"]) == (version, staging)
    assert [c["name"] for c in sync["connectors"]] == connectors
    assert sync["configuration"]["rules"] == syncconfig.imported_configuration(
        store.load("new"), syncconfig.read_settings(
            syncconfig.settings_files(store.load("aadc"), "json_export"), "json_export"))["rules"]


def test_import_nothing_leaves_the_wizards_defaults(store, operator):
    store_source = store.load("aadc")
    store_source.state["sync"]["server_configuration"]["custom_rules"] = ["In from AD - Custom"]
    store.save("aadc", store_source)
    put(store, "new", note_text("install_import", "new", Installer=MSI, Settings=r"C:\nowhere", Staging="on"),
        {MSI: labmsi.build(4096, NEW)}, step="install_import")
    operator.perform("new", "install_import", "import-nothing")
    sync = store.load("new").state["sync"]
    assert sync["product"] == "connect" and "custom_rules" not in sync["server_configuration"]
    assert "configuration" not in sync


def test_skip_does_nothing_but_is_recorded(store, operator):
    put(store, "aadc", note_text("upgrade", "aadc", Installer=MSI), {MSI: labmsi.build(4096, NEW)})
    before = store.load("aadc").canonical()
    assert operator.perform("aadc", wrong="skip")["changed"] is False
    assert store.load("aadc").canonical() == before
    assert ("aadc", "upgrade", "2026-03-01T10:00:00Z") in operator.done()


def test_a_wrong_variant_that_does_not_fit_the_step_is_refused(store, operator):
    put(store, "aadc", note_text("upgrade", "aadc", Installer=MSI), {MSI: labmsi.build(4096, NEW)})
    with pytest.raises(OperatorError, match="applies to the install steps"):
        operator.perform("aadc", wrong="staging-off")


def test_dirsync_export_copies_the_installer_from_the_target(store, operator):
    out = r"C:\ProgramData\EntraSyncUpgrade\export\DirSyncSettings.json"
    put(store, "new", files={MSI: labmsi.build(4096, NEW)})
    put(store, "dirsync", note_text("dirsync_export", "dirsync", Installer_From=f"new:{MSI}", Export_To=out),
        step="dirsync_export")
    result = operator.perform("dirsync", "dirsync_export")
    twin = store.load("dirsync")
    assert result["how"] == "/ForceExport"
    assert json.loads(twin.files.read(out))["connectors"]
    assert twin.files.exists(r"C:\Users\labadmin\Downloads\AzureADConnect.msi")


def test_install_manual_copies_the_sources_configuration(store, operator):
    put(store, "new", note_text("install_manual", "new", Installer=MSI, Source="aadsync", Staging="on"),
        {MSI: labmsi.build(4096, NEW)}, step="install_manual")
    operator.perform("new", "install_manual")
    sync = store.load("new").state["sync"]
    assert [c["name"] for c in sync["connectors"]] == ["corp.contoso.com", "northwind.onmicrosoft.com - AAD"]  # the source's tenant
    assert sync["staging_mode"] is True


def test_staging_steps(store, operator):
    put(store, "aadc", note_text("staging_on", "aadc"), step="staging_on")
    operator.perform("aadc")
    assert store.load("aadc").state["sync"]["staging_mode"] is True


# --- the autopilot --------------------------------------------------------------------------------------------
def test_the_autopilot_acts_once_per_note_after_its_delay(store, operator, tmp_path):
    state = tmp_path / "run" / "autopilot.json"
    assert read_state(state) == {"enabled": False, "delay": 3.0}
    pilot = Autopilot(operator, ["aadc", "new"], state)
    put(store, "aadc", note_text("upgrade", "aadc", Installer=MSI), {MSI: labmsi.build(4096, NEW)})
    assert pilot.tick(0.0) == []  # off: it does nothing
    write_state(state, True, 2.0)
    assert pilot.tick(10.0) == []  # first seen now
    assert pilot.tick(11.0) == []  # not yet 2 s
    acted = pilot.tick(12.5)
    assert [(a["host"], a["step"], a["source"]) for a in acted] == [("aadc", "upgrade", "autopilot")]
    assert store.load("aadc").state["sync"]["version"] == NEW
    assert pilot.tick(20.0) == []  # once per note
    put(store, "aadc", note_text("upgrade", "aadc", "2026-03-02T10:00:00Z", Installer=MSI))
    pilot.tick(21.0)
    assert pilot.tick(23.5)[0]["message"] == f"{NEW} is already installed"  # a new note is a new request


def test_the_autopilot_leaves_a_note_an_operator_already_handled(store, operator, tmp_path):
    state = tmp_path / "autopilot.json"
    write_state(state, True, 0)
    put(store, "aadc", note_text("upgrade", "aadc", Installer=MSI), {MSI: labmsi.build(4096, NEW)})
    operator.perform("aadc", wrong="skip")
    assert Autopilot(operator, ["aadc"], state).tick(0.0) == []
    assert store.load("aadc").state["sync"]["version"] == "2.3.20.0"
