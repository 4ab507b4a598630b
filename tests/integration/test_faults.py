"""Faults injected in the lab (lab/twin/faults.py, docs/lab.md "Faults"), one short run each: the run stops with
an error that names the host and the step, nothing on the server is left changed without a verified backup on the
controller, and a run after the fault clears completes.

The transport faults and a full disk meet the backup, the first step that touches a server (sync_assess and
sync_backup on one host); the installer's exit codes and a sync service that does not start meet the in-place
upgrade's handoff (upgrade.yml on one host, the lab's autopilot as the operator). A handoff that times out is
tests/integration/test_upgrade_resume.py; a full disk while staging the installer is
tests/integration/test_installer.py; a failing export (`sync_run_result`) is injected the same way for the cutover.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.labfixture import latest_report

HOST = "connect24-staging-2022"  # PowerShell 5.1, no prerequisite to fix: the shortest upgrade in the lab
BACKUP = "Back up the sync configuration to the controller and verify it"
STOP = "Stop the host when the backup failed (nothing changes without a verified backup)"
NOTE = r"C:\Users\Public\Desktop\entra-sync-upgrade-upgrade.txt"
PENDING_RENAMES = r"HKLM\SYSTEM\CurrentControlSet\Control\Session Manager"


def backup_play(dest, **play_vars) -> list[dict]:
    return [{"hosts": HOST, "gather_facts": False, "vars": play_vars,
             "roles": [{"role": "entra.sync_upgrade.sync_assess"},
                       {"role": "entra.sync_upgrade.sync_backup", "vars": {"sync_backup_dir": str(dest)}}]}]


def server_state(lab) -> str:
    """The host's state apart from its power record (a restart changes the boot, not the configuration)."""
    state = dict(lab.twin(HOST).state)
    state.pop("power")
    return json.dumps(state, sort_keys=True)


def wait_until_up(lab, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while lab.store.availability(HOST)[0]:
        assert time.monotonic() < deadline, f"{HOST} did not come back from its restart"
        time.sleep(0.2)


TIMEOUTS = {"ansible_winrm_operation_timeout_sec": 2, "ansible_winrm_read_timeout_sec": 3}


@pytest.mark.parametrize("kind,params,play_vars,words", [
    ("connection_drop", {}, {}, "the connection failed while the backup-stage script ran on the host"),
    ("http_500", {}, {}, "WinRMTransportError: Bad HTTP response returned from server. Code 500"),
    ("operation_timeout", {"seconds": 4}, TIMEOUTS, "winrm connection error"),
    ("reboot", {}, {}, "the connection failed while the backup-stage script ran on the host"),
    ("disk_full", {}, {}, "not enough free space on the server's system drive for the staging copy"),
], ids=["connection_drop", "http_500", "operation_timeout", "reboot", "disk_full"])
def test_a_fault_during_the_backup_stops_the_host_changes_nothing_and_a_rerun_completes(
        lab, tmp_path, kind, params, play_vars, words):
    lab.reset(HOST)
    before = server_state(lab)
    lab.fault(HOST, kind, None if kind == "disk_full" else "backup-stage", **params)

    run = lab.playbook(backup_play(tmp_path, **play_vars))
    assert run.failures() == {HOST: 1}
    stop = run.results(STOP)[HOST]
    assert stop["msg"].startswith("backup failed: ") and words in stop["msg"], stop["msg"]
    assert run.results(BACKUP)[HOST]["status"] == "failed"
    [rule] = lab.faults(HOST)
    if kind != "disk_full":  # a condition holds until cleared; the others count each time they fire
        assert rule["fired"] == 1 and rule["last_fired"]["asked"] == "backup-stage"
    if kind in ("connection_drop", "http_500", "operation_timeout"):
        assert [e["fault"] for e in lab.log(HOST) if "fault" in e] == [f"injected {kind}"]
    # no verified backup on the controller, and the server as it was (the staging copy taken away again)
    manifests = [json.loads(m.read_text()) for m in tmp_path.glob(f"{HOST}/*/manifest.json")]
    assert all(m["status"] == "failed" for m in manifests)
    if kind == "reboot":
        wait_until_up(lab)
        assert lab.twin(HOST).power.boot_count == 1
    lab.clear_faults(HOST)
    assert server_state(lab) == before

    again = lab.playbook(backup_play(tmp_path))
    assert again.rc == 0 and again.failures() == {}
    result = again.results(BACKUP)[HOST]
    assert result["status"] == "done"
    assert json.loads((tmp_path / result["path"] / "manifest.json").read_text())["status"] == "verified"


# the upgrade's handoff ---------------------------------------------------------------------------------------

def report_of(host: str) -> dict:
    report = latest_report()
    return next(h for h in report["hosts"] if h["host"] == host)


@pytest.fixture
def upgrade(lab, tmp_path):
    lab.reset(HOST)
    lab.autopilot(True, delay=0.3)

    def run(*extra: str):
        return lab.playbook("upgrade.yml", "--limit", HOST, "-e", f"sync_backup_dir={tmp_path}", *extra)

    yield run
    lab.autopilot(False)
    lab.reset(HOST)


def verified_backup(tmp_path) -> bool:
    return any(json.loads(m.read_text())["status"] == "verified" for m in tmp_path.glob(f"{HOST}/*/manifest.json"))


def test_installer_1603_leaves_the_old_version_and_the_wait_says_so_3010_leaves_a_restart_the_next_run_asks_for(
        lab, upgrade, tmp_path):
    lab.fault(HOST, "installer_exit", "upgrade", code=1603)
    failed = upgrade("-e", "sync_handoff_timeout_minutes=0.05")
    assert set(failed.failures()) == {HOST}
    stopped = report_of(HOST)["upgrade"]["stopped"]
    assert stopped["step"] == "upgrade" and stopped["cause"].startswith(f"{HOST}: step upgrade not done after")
    assert "saw version = 2.4.131.0" in stopped["cause"]
    operator = lab.operator_log()
    assert "exit code 1603" in operator[-1]["message"] and operator[-1]["ok"] is False
    twin = lab.twin(HOST)  # rolled back: the old engine, running; only the recorded suspension, with a backup
    assert twin.state["sync"]["version"] == "2.4.131.0" and twin.services.get("ADSync").state == "running"
    assert verified_backup(tmp_path)

    # the operator runs the package again (the autopilot does not retry a note it failed): it ends with 3010
    lab.fault(HOST, "installer_exit", "upgrade", code=3010)
    assert lab.operator(HOST).returncode == 0
    assert lab.twin(HOST).registry.peek_value(PENDING_RENAMES, "PendingFileRenameOperations") is not None
    asked = upgrade()  # the upgrade is not reported done while the restart it needs is pending
    assert set(asked.failures()) == {HOST}
    stopped = report_of(HOST)["prepare"]["stopped"]
    assert stopped["step"] == "prepare" and "pending_reboot: restart pending (pending_file_rename)" in stopped["cause"]

    lab.edit(HOST, lambda twin: twin.power.restart_now("the admin restarts the server"))
    wait_until_up(lab)
    done = upgrade()
    assert done.rc == 0 and done.failures() == {}
    upgrade_state = report_of(HOST)["upgrade"]
    assert upgrade_state["state"] == "done" and upgrade_state["verify"]["status"] == "passed"
    twin = lab.twin(HOST)
    assert twin.state["sync"]["version"] == "2.5.190.0" and not twin.files.exists(NOTE)
    assert twin.registry.peek_value(PENDING_RENAMES, "PendingFileRenameOperations") is None


def test_a_sync_service_that_does_not_start_after_the_upgrade_stops_the_host_and_a_rerun_completes(
        lab, upgrade, tmp_path):
    lab.fault(HOST, "service_start_fails", service="ADSync")
    failed = upgrade("-e", "sync_handoff_timeout_minutes=0.05")
    assert set(failed.failures()) == {HOST}
    stopped = report_of(HOST)["upgrade"]["stopped"]
    assert stopped["step"] == "upgrade" and stopped["cause"].startswith(f"{HOST}: step upgrade not done after")
    assert "expected the ADSync service runs; saw services.ADSync.state = stopped" in stopped["cause"]
    assert lab.faults(HOST)[0]["fired"] == 1
    assert verified_backup(tmp_path)

    # the admin fixes the cause and starts the service; the run goes on from where the server is
    lab.clear_faults(HOST)
    lab.edit(HOST, lambda twin: twin.services.start("ADSync"))
    done = upgrade()
    assert done.rc == 0 and done.failures() == {}
    assert report_of(HOST)["upgrade"]["state"] == "done"
    assert lab.twin(HOST).state["sync"]["scheduler"]["SyncCycleEnabled"] is True
