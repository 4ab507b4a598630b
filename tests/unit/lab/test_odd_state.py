"""The lab never crashes on odd state: it answers as Windows would, or refuses the state up front.

Windows cannot hold a non-numeric DWORD, so a profile that declares one is refused when it loads, naming the
value. Odd values Windows can hold (a REG_SZ where a DWORD is expected, a DWORD where a string is, an empty
display name, a variable that is not defined) are read back as .NET reads them, with their own types; state
the twin itself cannot interpret (a table count that is not a number) is not simulated. Never
"lab: internal error".
"""

from __future__ import annotations

import json

import pytest

from lab import modules
from lab.config import PROFILES_DIR
from lab.powershell.ansible_payload import SEPARATOR
from lab.powershell.dispatch import Dispatcher
from lab.powershell.scripts import PROJECT_SCRIPTS
from lab.twin.profile import ProfileError
from lab.twin.store import TwinStore
from plugins.plugin_utils import _evidence as ev
from plugins.plugin_utils import _probe
from tests.twins import build_twin

NDP4 = r"HKLM\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full"
ODD = {
    "registry": {
        NDP4: {"Release": "not-a-number"},  # a REG_SZ where Windows keeps a DWORD
        r"HKLM\SOFTWARE\Microsoft\Azure AD Connect": {"WizardPath": None, "Version": 2},  # null, and a DWORD
        r"HKLM\SYSTEM\CurrentControlSet\Services\ADSync\Parameters": {
            "Server": 7, "SQLInstance": ["a", "b"], "DBName": {"type": "expandstring", "data": "%LAB_UNSET%"}},
    },
    "services": {"ADSync": {"display_name": "", "path": r"C:\Program Files\Microsoft Azure AD Sync\Bin\miiserver.exe",
                            "start_mode": "auto", "state": "running"}},
    "files": {r"C:\Program Files\Microsoft Azure AD Sync\Bin\ADSync\ADSync.psd1": {"size": 10, "version": None}},
    "sql": {"instances": {".": None},  # an instance with no details at all
            "databases": [{"instance": ".", "name": "ADSync", "tables": {"mms_metaverse": "many"}}]},
    "sync": {"module": "ADSync", "scheduler": "garbage", "auto_upgrade": None, "connectors": [None]},
    "wmi": {"Win32_Service": [{"Name": None}]},
}


def module_payload(module: str, args: dict) -> bytes:
    bootstrap = {"name": "exec_wrapper", "script": "", "params": {}}
    action = {"name": "module_wrapper.ps1", "params": {
        "Script": f"ansible_collections.ansible.windows.plugins.modules.{module}.ps1", "Environment": {},
        "Variables": [{"Name": "complex_args", "Value": {**args, "_ansible_check_mode": False}}]}}
    return json.dumps(bootstrap).encode() + SEPARATOR + json.dumps({"actions": [action]}).encode()


@pytest.fixture
def dispatcher(tmp_path):
    store = TwinStore(tmp_path, PROFILES_DIR)
    store.save("odd", build_twin(ODD, base="base/windows-server-2022"))
    return Dispatcher("odd", store, "labadmin", PROJECT_SCRIPTS, modules.run)


def test_a_dword_windows_cannot_hold_is_refused_when_the_profile_loads():
    with pytest.raises(ProfileError, match=r"Release: REG_DWORD data must be an integer"):
        build_twin({"registry": {NDP4: {"Release": {"type": "dword", "data": "abc"}}}})


def test_the_probe_reads_odd_values_as_dotnet_does(dispatcher):
    command, _, args = _probe.command_line().partition(" ")
    result = dispatcher.run(command, args.split(), _probe.build_probe(ev.build_request()).encode())
    assert result.rc == 0 and b"internal error" not in result.stderr
    doc = _probe.parse_output(result.stdout)
    assert doc["registry"][ev.NDP4_FULL]["values"]["Release"] == {"type": "string", "data": "not-a-number"}
    wizard = doc["registry"][ev.CONNECT_KEY]["values"]
    assert wizard["WizardPath"] == {"type": "string", "data": ""} and wizard["Version"]["type"] == "dword"
    # the data source is built from what GetValue returns: 7 (a DWORD) and a REG_MULTI_SZ's text form
    sql = doc["sql"]["adsync.metaverse_objects"]
    assert sql["key_exists"] is True and sql["value"] is None and sql["error"]
    assert doc["services"]["ADSync"]["display_name"] == "ADSync"  # no display name: the SCM shows the name
    scheduler = doc["cmdlets"]["results"]["scheduler"]
    assert scheduler["available"] is False  # not the cmdlet's object: this build has no Get-ADSyncScheduler


def test_modules_answer_odd_values(dispatcher):
    stat = dispatcher.run("PowerShell", ["-NoProfile", "-"], module_payload(
        "win_reg_stat", {"path": r"HKLM:\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full", "name": "Release"}))
    assert json.loads(stat.stdout)["value"] == "not-a-number" and stat.rc == 0
    svc = dispatcher.run("PowerShell", ["-NoProfile", "-"], module_payload("win_service", {"name": "ADSync"}))
    assert json.loads(svc.stdout)["display_name"] == "ADSync" and svc.rc == 0
    unset = dispatcher.run("PowerShell", ["-NoProfile", "-"], module_payload(
        "win_reg_stat", {"path": r"HKLM:\SYSTEM\CurrentControlSet\Services\ADSync\Parameters", "name": "DBName"}))
    assert json.loads(unset.stdout)["value"] == "%LAB_UNSET%"  # an undefined variable stays as written


def test_state_the_twin_cannot_interpret_is_not_simulated(dispatcher):
    twin = dispatcher.store.load("odd")
    connection = twin.sql.connect("localhost", "ADSync", "4.0")
    with pytest.raises(Exception, match="not simulated: the twin's SQL value mms_metaverse='many'"):
        connection.scalar("SELECT COUNT_BIG(*) FROM dbo.mms_metaverse WITH (NOLOCK)")
    assert twin.dotnet_release is None  # a REG_SZ Release is not .NET 4.5+
