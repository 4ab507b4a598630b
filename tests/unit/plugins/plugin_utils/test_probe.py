"""The detection probe: request literals, the PowerShell 2.0 script, the stdin transport, and the lab's answer.

There is no PowerShell here, so the script is held to its contract by what can be checked without running
it: it parses (tree-sitter-powershell) and uses no PowerShell 3+ feature; the request literal round-trips
through the lab's reading of PowerShell literals; and the lab, which answers the same primitives from a twin,
returns a document the classifier can use for every lab profile.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from lab.config import PROFILES_DIR
from lab.powershell import psliteral
from lab.powershell.dispatch import Dispatcher
from lab.powershell.scripts import PROJECT_SCRIPTS
from lab.powershell.scripts import probe as lab_probe
from lab.twin.host import Twin
from lab.twin.store import TwinStore
from plugins.plugin_utils import _evidence as ev
from plugins.plugin_utils import _probe
from plugins.plugin_utils._psliteral import render
from tests.twins import remove_key

REPO = Path(__file__).resolve().parents[4]


def run_in_lab(twin: Twin, request: dict | None = None) -> dict:
    """The probe as the action plugin sends it (bootstrap + script on stdin), answered by the lab handlers."""
    script = _probe.build_probe(ev.build_request() if request is None else request)
    result = PROJECT_SCRIPTS["stdin-script"](twin, _probe.STDIN_BOOTSTRAP, script.encode("utf-8"))
    assert result.rc == 0, result.stderr
    return _probe.parse_output(result.stdout)


def twin_of(profile: str) -> Twin:
    return Twin.from_profile("h", profile, PROFILES_DIR)


# ---- PowerShell literals ---------------------------------------------------------------------------------------

ROUND_TRIP = [
    None, True, False, 0, -42, 2**63 - 1, -(2**63), "", "plain", "it's", "''", "\u2018curly\u2019 \u201aand\u201b",
    "caf\u00e9 \u4e2d\u6587 \U0001f600", 'double "quotes" $not_a_var `backtick` $(nope)', "line\nbreak\ttab",
    "C:\\Program Files\\x", [], [1], ["one"], [[1, 2]], [[1, 2], [3]], [[]], [None], {}, {"k": "v"},
    {"Z": 1, "a": [1, {"b": None}], "it's": {"x": [True, False]}},
    {"registry": [{"path": "HKLM\\SOFTWARE\\X", "values": None, "subkeys": True}], "n": [[["deep"]]]},
]


@pytest.mark.parametrize("value", ROUND_TRIP, ids=lambda v: repr(v)[:40])
@pytest.mark.parametrize("indent", [None, 2])
def test_literal_round_trip(value, indent):
    text = render(value, indent=indent)
    assert psliteral.parse(text) == value
    assert psliteral.parse_assignment(f"# x\n$request = {text}\n# body", "request") == value


def test_rendered_forms():
    assert render({"a": [1, "b"], "c": None}) == "@{'a' = @(1, 'b'); 'c' = $null}"
    assert render([[1, 2]]) == "@(,@(1, 2))"  # @(@(1, 2)) would flatten to @(1, 2)
    assert render("it's") == "'it''s'"
    assert render(True) + render(False) == "$true$false"
    assert render({"k": [1, 2]}, indent=2) == "@{\n  'k' = @(\n    1,\n    2\n  )\n}"


def test_the_parser_follows_powershell_evaluation():
    assert psliteral.parse("@(@(1, 2))") == [1, 2]
    assert psliteral.parse("@{ Key = 1; 'other' = $TRUE }") == {"Key": 1, "other": True}
    assert psliteral.parse("@{\n a = 1\n b = @(\n 2,\n 3)\n}") == {"a": 1, "b": [2, 3]}
    assert psliteral.parse("'\u2019\u2019'") == "\u2019"


@pytest.mark.parametrize("text", [
    '"double quoted"', "$env:PATH", "[int]5", "1kb", "0x10", "1.5", "@{a = 1 # comment\n}", "'unterminated",
    "@{a = 1; A = 2}", "@(1 2)", "@{a 1}", "$trueish", "@(1) extra", "Get-Item x", "@(1\n, 2)",
])
def test_the_parser_refuses_anything_outside_the_subset(text):
    with pytest.raises(ValueError):
        psliteral.parse(text)


@pytest.mark.parametrize("value", [1.5, {1: "x"}, {"a": 1, "A": 2}, {"s"}, 2**63, b"bytes", object()])
def test_render_refuses_what_has_no_exact_literal(value):
    with pytest.raises((TypeError, ValueError)):
        render(value)


def test_parse_assignment_needs_the_assignment_alone_on_its_line():
    with pytest.raises(ValueError, match="no \\$request"):
        psliteral.parse_assignment("$other = 1", "request")
    with pytest.raises(ValueError, match="unexpected text"):
        psliteral.parse_assignment("$request = @{} ; Remove-Item x", "request")


# ---- the script, the bootstrap, the command line ---------------------------------------------------------------

def test_build_probe_is_the_request_then_the_body():
    request = ev.build_request()
    script = _probe.build_probe(request)
    assert script.startswith("$request = @{")
    assert _probe.PROBE_MARKER + "\n" in script
    assert script.endswith(_probe.probe_body())
    assert _probe.probe_body().splitlines()[0] == _probe.PROBE_MARKER
    assert psliteral.parse_assignment(script, "request") == request
    assert script.isascii()


@pytest.mark.parametrize("bad", ["caf\u00e9", "two\nlines", "tab\there"])
def test_build_probe_refuses_strings_stdin_would_alter(bad):
    with pytest.raises(ValueError, match="printable ASCII"):
        _probe.build_probe({"files": [bad]})


def test_the_probe_needs_stdin_because_the_command_line_is_limited():
    script = _probe.build_probe(ev.build_request())
    direct = f"{_probe.POWERSHELL} {_probe.encoded_command(script)}"
    assert len(direct) > _probe.MAX_COMMAND_LINE
    line = _probe.command_line()
    assert len(line) < 1000
    encoded = line.rsplit(" ", 1)[1]
    assert base64.b64decode(encoded).decode("utf-16-le") == _probe.STDIN_BOOTSTRAP
    assert _probe.STDIN_BOOTSTRAP.startswith("# entra-sync-upgrade:stdin-script v1\n")


def test_the_lab_refuses_an_overlong_command_line_like_cmd_exe():
    script = _probe.build_probe(ev.build_request())
    result = Dispatcher("h", None, "labadmin", PROJECT_SCRIPTS).run(
        _probe.POWERSHELL, [_probe.encoded_command(script)], b"")
    assert (result.rc, result.stdout, result.stderr) == (1, b"", b"The command line is too long.\r\n")


def test_the_whole_transport_through_the_dispatcher(tmp_path):
    store = TwinStore(tmp_path, PROFILES_DIR)
    store.reset("h", "connect_2_3_2019")
    before = store.digest(["h"])
    dispatcher = Dispatcher("h", store, "labadmin", PROJECT_SCRIPTS)
    command, _, args = _probe.command_line().partition(" ")
    assert dispatcher.describe(command, args.split())["script"] == "stdin-script"
    result = dispatcher.run(command, args.split(), _probe.build_probe(ev.build_request()).encode())
    assert result.rc == 0 and result.kind == "script"
    doc = _probe.parse_output(result.stdout)
    assert doc["host"] == {"computer_name": "AADC01", "powershell_version": "5.1.17763.1", "process_64bit": True}
    assert store.digest(["h"]) == before  # read-only


def test_stdin_without_a_known_script_is_not_simulated():
    twin = twin_of("member_no_sync_2019")
    run = PROJECT_SCRIPTS["stdin-script"]
    assert b"not simulated" in run(twin, _probe.STDIN_BOOTSTRAP, b"Get-Process\n").stderr
    assert b"not simulated" in run(twin, _probe.STDIN_BOOTSTRAP, b"# entra-sync-upgrade:nope v1\n").stderr
    assert b"not simulated" in run(twin, "# entra-sync-upgrade:stdin-script v1\n", b"").stderr


def test_parse_output_finds_the_document_among_host_noise():
    doc = {"probe": 1, "errors": []}
    noisy = "WARNING: some imported command names include unapproved verbs\r\n" + json.dumps(doc) + "\r\n"
    assert _probe.parse_output(noisy.encode()) == doc
    with pytest.raises(_probe.ProbeOutputError, match="no JSON document.*Access is denied"):
        _probe.parse_output(b"Access is denied.\r\n")
    with pytest.raises(_probe.ProbeOutputError, match="empty"):
        _probe.parse_output(b"")


def test_the_probe_never_writes():
    body = _probe.probe_body()
    code = "\n".join(line for line in body.splitlines() if not line.lstrip().startswith("#"))
    for verb in ("Set-", "New-Item", "Remove-", "Start-", "Stop-", "Invoke-", "Add-Content", "Out-File",
                 "CreateSubKey", "SetValue", "DeleteValue", "ExecuteNonQuery"):
        assert verb not in code, verb
    assert "OpenSubKey($sub, $false)" in code and "OpenSubKey($name, $false)" in code


# ---- the lab's answer to a catalog request ------------------------------------------------------------------

@pytest.mark.parametrize("profile", ["dirsync_2008r2", "aadsync_2012r2", "connect_2_4_staging_2022",
                                     "mim_connector_2012r2", "member_no_sync_2019"])
def test_the_lab_answers_every_catalog_item(profile):
    request = ev.build_request()
    doc = run_in_lab(twin_of(profile), request)
    assert doc["errors"] == []
    assert set(doc["registry"]) == {k["path"] for k in request["registry"]}
    assert set(doc["registry_children"]) == {ev.UNINSTALL, ev.UNINSTALL_WOW}
    assert set(doc["services"]) == set(request["services"])
    assert set(doc["files"]) == set(request["files"])
    assert set(doc["wmi"]) == set(ev.WMI)
    assert set(doc["sql"]) == {i["id"] for i in request["sql"]}
    assert set(doc["environment"]) == set(ev.ENVIRONMENT)
    for entry in [*doc["registry"].values(), *doc["files"].values(), *doc["services"].values()]:
        assert isinstance(entry["exists"], bool)
    # keys every Windows host has, read at their real paths
    assert doc["registry"][ev.CURRENT_VERSION]["exists"] is True
    assert doc["registry"][ev.NDP4_FULL]["values"]["Release"]["type"] == "dword"
    assert doc["registry_children"][ev.UNINSTALL]["exists"] is True
    assert doc["wmi"]["system_disk"]["instances"][0]["DeviceID"] == "C:"


def test_lab_document_details_for_connect():
    doc = run_in_lab(twin_of("connect_2_4_staging_2022"))
    assert doc["registry"][ev.CONNECT_KEY]["values"]["WizardPath"] == {
        "type": "string", "data": "C:\\Program Files\\Microsoft Azure Active Directory Connect\\AzureADConnect.exe"}
    image = doc["registry"][ev.ADSYNC_SERVICE_KEY]["values"]["ImagePath"]
    assert image["type"] == "expandstring"  # raw, not expanded
    assert doc["files"][ev.WIZARD_EXE] == {"exists": True, "type": "file", "size": 1603072, "version": "2.4.131.0"}
    assert doc["services"]["ADSync"]["state"] == "Running" and doc["services"]["ADSync"]["start_mode"] == "Auto"
    assert doc["services"]["MSOnline"] == {"exists": False}
    wizard = doc["registry_children"][ev.UNINSTALL]["children"][ev.CONNECT_UNINSTALL_SUBKEY]["values"]
    assert set(wizard) == set(ev.UNINSTALL_VALUES)
    # the 32-bit view holds what every Windows Server 2022 has (stubs, Microsoft Edge), no sync product
    wow = doc["registry_children"][ev.UNINSTALL_WOW]
    assert wow["exists"] is True and "AddressBook" in wow["children"]
    names = [c["values"]["DisplayName"]["data"] for c in wow["children"].values() if "DisplayName" in c["values"]]
    assert names and all(n.startswith("Microsoft Edge") for n in names)
    assert doc["sql"]["adsync.metaverse_objects"] == {
        "key_exists": True, "data_source": "(localdb)\\.\\ADSync2019", "database": "ADSync", "value": 40000}
    assert doc["sql"]["fim.metaverse_objects"] == {"key_exists": False, "data_source": None, "database": None,
                                                   "value": None}
    assert doc["wmi"]["management_agents"] == {"exists": False, "instances": []}
    scheduler = doc["cmdlets"]["results"]["scheduler"]["objects"][0]
    assert scheduler["StagingModeEnabled"] is True and scheduler["CurrentlyEffectiveSyncCycleInterval"] == "00:30:00"
    assert doc["cmdlets"]["results"]["auto_upgrade"]["objects"] == ["Disabled"]


def test_lab_document_details_for_legacy_hosts():
    dirsync = run_in_lab(twin_of("dirsync_2008r2"))
    assert dirsync["host"]["powershell_version"] == "2.0"
    # SQL Express (not LocalDB) answers the .NET 2.0 SqlClient of PowerShell 2.0
    assert dirsync["sql"]["fim.metaverse_objects"]["data_source"] == ".\\SQLEXPRESS"
    assert dirsync["sql"]["fim.metaverse_objects"]["value"] == 30000
    assert dirsync["sql"]["fim.edition"]["value"] == "Express Edition"
    assert dirsync["cmdlets"] == {"module": ev.ADSYNC_MODULE, "module_exists": False, "imported": False,
                                  "results": {}}
    assert "SyncTimeInterval" in dirsync["text_files"][ev.DIRSYNC_SCHEDULER_CONFIG]["text"]
    assert [a["Type"] for a in dirsync["wmi"]["management_agents"]["instances"]] == ["Active Directory",
                                                                                     "Extensible2"]
    aadsync = run_in_lab(twin_of("aadsync_2012r2"))
    results = aadsync["cmdlets"]["results"]
    assert results["scheduler"] == {"available": False, "objects": None}  # no Get-ADSyncScheduler before 1.1
    assert results["auto_upgrade"] == {"available": False, "objects": None}
    assert len(results["connectors"]["objects"]) == 2
    assert aadsync["sql"]["adsync.metaverse_objects"]["value"] == 18000  # LocalDB with .NET 4.5.1 SqlClient


def test_localdb_fails_where_the_sqlclient_cannot_reach_it():
    twin = twin_of("aadsync_2012r2")
    remove_key(twin, r"HKLM\SOFTWARE\Microsoft\PowerShell\3")  # back to PowerShell 2.0 on CLR 2
    doc = run_in_lab(twin)
    entry = doc["sql"]["adsync.metaverse_objects"]
    assert entry["key_exists"] is True and entry["value"] is None
    assert "error: 26" in entry["error"]
    assert {(e["section"], e["item"]) for e in doc["errors"]} >= {("sql", "adsync.metaverse_objects"),
                                                                  ("cmdlets", ev.ADSYNC_MODULE)}
    assert doc["cmdlets"]["imported"] is False


def test_stopped_services_show_in_sql_and_cmdlets():
    twin = twin_of("dirsync_2012r2_large")
    twin.services.set_state("MSSQL$SQLEXPRESS", "stopped")
    assert "error: 26" in run_in_lab(twin)["sql"]["fim.metaverse_objects"]["error"]
    twin = twin_of("connect_current_2022")
    twin.services.set_state("ADSync", "stopped")
    result = run_in_lab(twin)["cmdlets"]["results"]["scheduler"]
    assert result["available"] is True and "not running" in result["error"]


def test_what_the_lab_cannot_answer_is_loud():
    request = {
        "bogus": [1],
        "registry": [{"path": "HKCC\\System", "values": None, "subkeys": False}],
        "wmi": [{"id": "x", "namespace": "root\\cimv2", "class": "Win32_OperatingSystem",
                 "properties": ["SerialNumber"], "filter": None},
                {"id": "y", "namespace": "root\\cimv2", "class": "Win32_LogicalDisk", "properties": ["Size"],
                 "filter": "DriveType=3 OR DriveType=2"},
                {"id": "z", "namespace": "root\\cimv2", "class": "Win32_NoSuchClass", "properties": ["Name"],
                 "filter": None}],
        "sql": [{"id": "q", "parameters_key": ev.ADSYNC_PARAMETERS, "query": "SELECT name FROM sys.tables"},
                {"id": "w", "parameters_key": ev.ADSYNC_PARAMETERS, "query": "DELETE FROM dbo.mms_metaverse"},
                {"id": "t", "parameters_key": ev.ADSYNC_PARAMETERS,
                 "query": "SELECT COUNT_BIG(*) FROM dbo.nope WITH (NOLOCK)"}],
        "cmdlets": {"module": ev.ADSYNC_MODULE, "commands": [
            {"id": "a", "name": "Get-ADSyncGlobalSettings", "properties": None},
            {"id": "b", "name": "Set-ADSyncScheduler", "properties": None},
            {"id": "c", "name": "Get-ADSyncScheduler", "properties": ["NoSuchProperty"]}]},
    }
    doc = run_in_lab(twin_of("connect_current_2022"), request)
    errors = {(e["section"], e["item"]): e["message"] for e in doc["errors"]}
    assert errors[("request", "bogus")] == "unknown request section"
    assert errors[("registry", "HKCC\\System")].startswith("not a registry path")
    assert errors[("wmi", "x")] == "lab: not simulated: WMI property Win32_OperatingSystem.SerialNumber"
    assert errors[("wmi", "y")].startswith("lab: not simulated: WQL filter")
    # root\cimv2 has hundreds of classes the lab does not know: an unknown one is not simulated, never "absent"
    assert errors[("wmi", "z")] == "lab: not simulated: WMI class Win32_NoSuchClass in root\\cimv2"
    assert errors[("sql", "q")].startswith("lab: not simulated: SQL query")
    assert errors[("sql", "w")].startswith("refused")
    assert errors[("sql", "t")] == "Invalid object name 'dbo.nope'."
    assert errors[("cmdlets", "a")] == "lab: not simulated: cmdlet Get-ADSyncGlobalSettings"
    assert errors[("cmdlets", "b")].startswith("refused")
    assert errors[("cmdlets", "c")].startswith("lab: not simulated: property NoSuchProperty")
    assert all(doc["wmi"][i].keys() == {"error"} for i in ("x", "y", "z"))


def test_lab_output_is_the_probe_writer_format():
    twin = twin_of("member_no_sync_2019")
    twin.registry.set_value(r"HKLM\SOFTWARE\Lab", "Name", "string", 'caf\u00e9 "q" \\ \x01\n\U0001f600')
    twin.registry.set_value(r"HKLM\SOFTWARE\Lab", "Big", "dword", -1)
    twin.registry.set_value(r"HKLM\SOFTWARE\Lab", "Multi", "multistring", ["a", "b"])
    twin.registry.set_value(r"HKLM\SOFTWARE\Lab", "Bin", "binary", [1, 255])
    request = {"registry": [{"path": "HKLM\\SOFTWARE\\Lab", "values": None, "subkeys": True}]}
    script = _probe.build_probe(request)
    stdout = lab_probe.run(twin, script, b"").stdout
    assert stdout.endswith(b"\r\n") and stdout.isascii() and stdout.count(b"\n") == 1
    text = stdout.decode().strip()
    assert ", " not in text and '": ' not in text  # no spaces between tokens
    assert "caf\\u00e9 \\\"q\\\" \\\\ \\u0001\\n\\ud83d\\ude00" in text  # escapes as probe.ps1 writes them
    values = json.loads(text)["registry"]["HKLM\\SOFTWARE\\Lab"]["values"]
    assert values["Big"] == {"type": "dword", "data": 4294967295}  # unsigned, as the probe converts it
    assert values["Multi"]["data"] == ["a", "b"] and values["Bin"]["data"] == [1, 255]
    keys = re.findall(r'"(\w+)":', text)
    assert keys[:3] == ["cmdlets", "environment", "errors"]  # ordinal order, as [StringComparer]::Ordinal


def test_parse_output_tolerates_a_byte_order_mark():
    from plugins.plugin_utils._probe import parse_output

    assert parse_output('\ufeff{"probe":1}\r\n') == {"probe": 1}
