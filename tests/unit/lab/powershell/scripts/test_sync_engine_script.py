"""The lab's answer to sync-engine.ps1 (lab/powershell/scripts/sync_engine.py), sent as the action plugin sends
it: per tool, what the script reads and changes, and the errors it reports instead of an invented success."""

from __future__ import annotations

from lab.config import PROFILES_DIR
from lab.powershell.scripts import PROJECT_SCRIPTS
from lab.twin.host import Twin
from plugins.plugin_utils import _script

RECORD = r"HKLM\SOFTWARE\EntraSyncUpgrade\DirSyncScheduler"


def run(twin: Twin, **request) -> dict:
    script = _script.build("sync-engine", {"history": 0, **request})
    answer = PROJECT_SCRIPTS["stdin-script"](twin, _script.STDIN_BOOTSTRAP, script.encode("utf-8"))
    assert answer.rc == 0, answer.stderr
    return _script.parse_document(answer.stdout, "sync-engine")["sync-engine"]


def twin_of(profile: str) -> Twin:
    return Twin.from_profile("h", profile, PROFILES_DIR)


def test_connect_status_reads_scheduler_version_auto_upgrade_and_history():
    twin = twin_of("connect_2_4_staging_2022")
    doc = run(twin, operation="status", tool="connect", history=2)
    assert doc["error"] is None and doc["version"] == "2.4.131.0"
    assert doc["scheduler"] == {"enabled": True, "suspended": False, "staging": True}
    assert doc["in_progress"] is False and doc["running"] == [] and doc["run_history"] == []
    twin.adsync.history.start("Initial", now=0)
    doc = run(twin, operation="status", tool="connect", history=2)
    assert len(doc["run_history"]) == 2 * len(twin.state["sync"]["connectors"])
    first = doc["run_history"][0]
    assert first["start"].endswith("Z") and len(first["start"].split(".")[1]) == 8  # ToString('o'): 7 digits + Z
    assert {r["run_profile"] for r in doc["run_history"]} == {"Full Import", "Full Synchronization"}


def test_connect_cycle_and_auto_upgrade_and_their_errors():
    twin = twin_of("connect_2_3_2019")
    assert run(twin, operation="cycle", tool="connect", policy="Delta")["cycle"] == "Success"
    busy = run(twin, operation="cycle", tool="connect", policy="Delta")
    assert "is busy" in busy["error"]
    assert run(twin, operation="auto_upgrade", tool="connect", state="Disabled")["auto_upgrade"] == "Disabled"
    assert "system" in run(twin, operation="auto_upgrade", tool="connect", state="Suspended")["error"]


def test_the_adsync_module_does_not_load_into_powershell_2():
    twin = twin_of("connect_2_3_2019")
    # a host whose newest engine is Windows PowerShell 2.0 (CLR 2)
    twin.registry.set_value(r"HKLM\SOFTWARE\Microsoft\PowerShell\3\PowerShellEngine", "PowerShellVersion", "string",
                            "2.0")
    assert twin.powershell_clr == "2.0"
    doc = run(twin, operation="scheduler", tool="connect", enabled=False)
    assert "runtime newer than the currently loaded runtime" in doc["error"]
    assert twin.state["sync"]["scheduler"]["SyncCycleEnabled"] is True


def test_a_tool_that_is_not_there_is_an_error_not_a_state():
    doc = run(twin_of("dirsync_2008r2"), operation="status", tool="connect")
    assert "was not loaded" in doc["error"] and doc["scheduler"] is None
    assert "0x80070002" in run(twin_of("connect_2_3_2019"), operation="status", tool="aadsync")["error"]
    assert "not run on DirSync" in run(twin_of("dirsync_2008r2"), operation="cycle", tool="dirsync")["error"]


def test_dirsync_suspension_records_the_start_mode_and_restores_it_exactly():
    twin = twin_of("dirsync_2008r2")
    twin.services.configure("MSOnline", start_mode="delayed")
    off = run(twin, operation="scheduler", tool="dirsync", enabled=False)
    assert off["scheduler"]["suspended"] is True and off["scheduler"]["enabled"] is False
    assert twin.registry.get_value(RECORD, "StartMode")["data"] == "Delayed"
    # a repeated suspension keeps the first record (the scheduler as it was, not as the toolkit left it)
    run(twin, operation="scheduler", tool="dirsync", enabled=False)
    assert twin.registry.get_value(RECORD, "StartMode")["data"] == "Delayed"
    on = run(twin, operation="scheduler", tool="dirsync", enabled=True)
    assert on["scheduler"]["service"] == {"state": "Running", "start_mode": "Delayed"}
    assert not twin.registry.key_exists(RECORD)


def test_dirsync_restores_a_scheduler_that_was_stopped_as_stopped():
    twin = twin_of("dirsync_2008r2")
    twin.services.stop("MSOnline")
    run(twin, operation="scheduler", tool="dirsync", enabled=False)
    on = run(twin, operation="scheduler", tool="dirsync", enabled=True)
    assert on["scheduler"]["service"] == {"state": "Stopped", "start_mode": "Auto"} and not on["scheduler"]["enabled"]


def test_dirsync_start_failure_is_reported_as_set_service_would():
    twin = twin_of("dirsync_2008r2")
    run(twin, operation="scheduler", tool="dirsync", enabled=False)
    twin.files.remove(r"C:\Program Files\Windows Azure Active Directory Sync\Microsoft.Online.DirSync.Scheduler.exe")
    doc = run(twin, operation="scheduler", tool="dirsync", enabled=True)
    assert "cannot be started" in doc["error"]


def test_pending_exports_are_read_per_connector_and_a_successful_export_empties_them():
    twin = twin_of("connect_2_4_staging_2022")
    names = [c["name"] for c in twin.state["sync"]["connectors"]]
    assert {p["connector"]: (p["add"], p["update"], p["delete"]) for p in run(
        twin, operation="pending_exports", tool="connect")["pending"]} == dict.fromkeys(names, (0, 0, 0))
    twin.state["sync"]["pending_exports"] = {names[0]: {"add": 3, "delete": 1}}
    pending = run(twin, operation="pending_exports", tool="connect")["pending"]
    assert pending[0] == {"connector": names[0], "add": 3, "update": 0, "delete": 1}
    twin.state["sync"]["scheduler"]["StagingModeEnabled"] = False
    twin.adsync.history.start("Delta", now=0)
    twin.adsync.history.settle(now=10_000)
    assert run(twin, operation="pending_exports", tool="connect")["pending"][0]["add"] == 0


def test_pending_exports_need_csexport_on_the_server():
    twin = twin_of("connect_2_4_staging_2022")
    twin.files.remove("C:\\Program Files\\Microsoft Azure AD Sync\\Bin\\csexport.exe")
    assert "is not recognized" in run(twin, operation="pending_exports", tool="connect")["error"]
