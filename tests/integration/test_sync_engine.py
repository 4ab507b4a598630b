"""Engine control (entra.sync_upgrade.sync_engine), end to end against the lab: real Ansible, real WinRM.

The scheduler goes off and on as each tool keeps it (Entra Connect's Set-ADSyncScheduler, Azure AD Sync's
scheduled task, DirSync's MSOnline service on PowerShell 2.0); a second run and --check change nothing; a delta
cycle is started, waited for and its run profile results returned; a failed run fails the task by name.
"""

from __future__ import annotations

ENGINE = "Control the sync engine"
FACTS = "Detect the sync tool"


def play(host: str, facts: bool = False, **options) -> list[dict]:
    tasks = [{"name": ENGINE, "entra.sync_upgrade.sync_engine": options, "register": "engine"}]
    if facts:
        tasks.append({"name": FACTS, "entra.sync_upgrade.sync_facts": {}})
    return [{"hosts": host, "gather_facts": False, "tasks": tasks}]


def engine(lab, host: str, check: bool = False, **options) -> dict:
    run = lab.playbook(play(host, **options), check=check)
    return run.results(ENGINE)[host]


def test_the_connect_scheduler_goes_off_once_and_check_mode_changes_nothing(lab):
    host = "connect23-2019"
    lab.reset(host)
    off = engine(lab, host, operation="scheduler", tool="connect", enabled=False)
    assert off["status"] == "done" and off["changed"], off
    assert off["before"]["scheduler"]["enabled"] is True and off["after"]["scheduler"]["enabled"] is False
    assert lab.twin(host).state["sync"]["scheduler"]["SyncCycleEnabled"] is False
    digest = lab.digest(host)
    again = engine(lab, host, operation="scheduler", tool="connect", enabled=False)
    assert again["status"] == "unchanged" and not again["changed"]
    assert lab.digest(host) == digest, "a second run must change nothing"
    planned = engine(lab, host, check=True, operation="scheduler", tool="connect", enabled=True)
    assert planned["status"] == "planned" and planned["after"]["scheduler"]["enabled"] is True
    assert lab.digest(host) == digest, "check mode must change nothing"
    on = engine(lab, host, operation="scheduler", tool="connect", enabled=True)
    assert on["status"] == "done" and on["after"]["scheduler"]["enabled"] is True


def test_a_delta_cycle_is_waited_for_and_its_results_returned(lab):
    host = "connect23-2019"
    lab.reset(host)
    digest = lab.digest(host)
    planned = engine(lab, host, check=True, operation="cycle", tool="connect", policy="delta")
    assert planned["status"] == "planned" and planned["runs"] == []
    assert lab.digest(host) == digest, "check mode starts no cycle"
    done = engine(lab, host, operation="cycle", tool="connect", policy="delta", poll_seconds=0.5)
    assert done["status"] == "done" and done["failed_runs"] == [], done.get("cause")
    assert [(r["connector"], r["run_profile"]) for r in done["runs"]] == [
        ("corp.contoso.com", "Delta Import"), ("contoso.onmicrosoft.com - AAD", "Delta Import"),
        ("corp.contoso.com", "Delta Synchronization"), ("contoso.onmicrosoft.com - AAD", "Delta Synchronization"),
        ("contoso.onmicrosoft.com - AAD", "Export"), ("corp.contoso.com", "Export")]
    assert all(r["result"] == "success" and r["start"] < r["end"] for r in done["runs"])
    assert done["after"]["in_progress"] is False and done["after"]["running"] == []
    status = engine(lab, host, operation="status", tool="connect", history=3)
    assert status["status"] == "done" and len(status["runs"]) == 6 and status["failed_runs"] == []


def test_a_failed_export_fails_the_cycle_naming_the_connector_and_run_profile(lab):
    host = "connect23-2019"
    lab.reset(host)
    lab.edit(host, lambda t: t.state.setdefault("faults", {}).update(sync_run_result={
        "run_profile": "Export", "connector": "contoso.onmicrosoft.com - AAD", "result": "completed-export-errors"}))
    run = lab.playbook(play(host, operation="cycle", tool="connect", poll_seconds=0.5))
    failed = run.results(ENGINE)[host]
    assert failed["failed"] and failed["status"] == "failed"
    assert "contoso.onmicrosoft.com - AAD: Export = completed-export-errors" in failed["cause"]
    tolerated = engine(lab, host, operation="cycle", tool="connect", poll_seconds=0.5, fail_on_errors=False)
    assert tolerated["status"] == "done"
    assert [(r["connector"], r["run_profile"], r["result"]) for r in tolerated["failed_runs"]] == [
        ("contoso.onmicrosoft.com - AAD", "Export", "completed-export-errors")]


def test_the_aadsync_task_is_disabled_and_restored(lab):
    host = "aadsync-2012r2"
    lab.reset(host)
    run = lab.playbook(play(host, facts=True, operation="scheduler", tool="aadsync", enabled=False))
    off = run.results(ENGINE)[host]
    assert off["status"] == "done" and off["after"]["scheduler"]["enabled"] is False, off
    # the detection reads the same task file, and agrees
    assert run.results(FACTS)[host]["ansible_facts"]["sync"]["scheduler"]["enabled"] is False
    digest = lab.digest(host)
    assert engine(lab, host, operation="scheduler", tool="aadsync", enabled=False)["status"] == "unchanged"
    assert engine(lab, host, check=True, operation="scheduler", tool="aadsync", enabled=True)["status"] == "planned"
    assert lab.digest(host) == digest
    on = engine(lab, host, operation="scheduler", tool="aadsync", enabled=True)
    assert on["status"] == "done" and on["after"]["scheduler"]["enabled"] is True
    cycle = lab.playbook(play(host, operation="cycle", tool="aadsync")).results(ENGINE)[host]
    assert cycle["failed"] and "not run by the toolkit" in cycle["cause"]


def test_the_dirsync_scheduler_service_is_suspended_and_restored_on_powershell_2(lab):
    host = "dirsync-2008r2"
    lab.reset(host)
    off = engine(lab, host, operation="scheduler", tool="dirsync", enabled=False)
    assert off["status"] == "done", off
    assert off["before"]["scheduler"]["service"] == {"state": "Running", "start_mode": "Auto"}
    assert off["after"]["scheduler"]["service"] == {"state": "Stopped", "start_mode": "Disabled"}
    svc = lab.twin(host).services.get("MSOnline")
    assert (svc.state, svc.start_mode) == ("stopped", "disabled")
    digest = lab.digest(host)
    assert engine(lab, host, operation="scheduler", tool="dirsync", enabled=False)["status"] == "unchanged"
    assert lab.digest(host) == digest
    on = engine(lab, host, operation="scheduler", tool="dirsync", enabled=True)
    assert on["status"] == "done" and on["after"]["scheduler"]["service"] == {"state": "Running", "start_mode": "Auto"}
    twin = lab.twin(host)
    assert twin.services.get("MSOnline").state == "running"
    assert not twin.registry.key_exists(r"HKLM\SOFTWARE\EntraSyncUpgrade\DirSyncScheduler")


def test_an_initial_cycle_on_a_staging_server_imports_and_syncs_but_never_exports(lab):
    host = "connect24-staging-2022"
    lab.reset(host)
    done = engine(lab, host, operation="cycle", tool="connect", policy="initial", poll_seconds=0.5)
    assert done["status"] == "done" and done["before"]["scheduler"]["staging"] is True, done.get("cause")
    profiles = [r["run_profile"] for r in done["runs"]]
    assert profiles and "Export" not in profiles
    assert set(profiles) == {"Full Import", "Full Synchronization"}


def test_suspend_records_how_the_scheduler_was_until_close_and_each_step_runs_once(lab):
    host, record = "connect24-staging-2022", r"HKLM\SOFTWARE\EntraSyncUpgrade\Scheduler"
    lab.reset(host)
    digest = lab.digest(host)
    planned = engine(lab, host, check=True, operation="suspend", tool="connect")
    assert planned["status"] == "planned" and lab.digest(host) == digest
    # one playbook, each operation twice: the second finds nothing to do
    steps = [op for op in ("suspend", "resume", "close") for _ in range(2)] + ["resume"]
    tasks = [{"name": f"{n} {op}", "entra.sync_upgrade.sync_engine": {"operation": op, "tool": "connect"}}
             for n, op in enumerate(steps)]
    run = lab.playbook([{"hosts": host, "gather_facts": False, "tasks": tasks}])
    out = [run.results(f"{n} {op}")[host] for n, op in enumerate(steps)]
    assert [o["status"] for o in out] == ["done", "unchanged", "done", "unchanged", "done", "unchanged", "unchanged"]
    off, _, back, _, closed, _, _ = out
    assert off["after"]["scheduler"]["enabled"] is False and off["after"]["record"] == {"enabled": True}
    assert back["after"]["scheduler"]["enabled"] is True
    assert back["after"]["record"] == {"enabled": True}, "the record stays until the upgrade is closed"
    assert closed["after"]["record"] is None and not lab.twin(host).registry.key_exists(record)
