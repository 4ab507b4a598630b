"""upgrade.yml stopped at each kind of step and run again: a handoff in `stop` mode, a handoff that times out in
`wait` mode, a killed ansible-playbook, a sync cycle that fails; each later run continues from where the server is
without repeating finished changes. And the operator doing the wrong thing is caught (a configuration that
drifts: tests/integration/test_upgrade.py).

Each test drives one in-place server (connect24-staging-2022: it needs no prerequisite fix) or one parallel pair
(aadsync-2012r2 -> target-2022-c), with the autopilot off unless it says otherwise.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from tests.labfixture import BIN, REPO, env, latest_report

IN_PLACE = "connect24-staging-2022"
SOURCE, TARGET = "aadsync-2012r2", "target-2022-c"
RECORD = r"HKLM\SOFTWARE\EntraSyncUpgrade\Scheduler"
NOTE = "C:\\Users\\Public\\Desktop\\entra-sync-upgrade-{}.txt"
VERSION = "2.5.190.0"


def report() -> dict:
    return latest_report()


def upgrade_of(host: str) -> dict | None:
    return next(h["upgrade"] for h in report()["hosts"] if h["host"] == host)


def steps_of(host: str) -> dict[str, str]:
    return {s["name"]: s["status"] for s in (upgrade_of(host) or {}).get("steps") or []}


@pytest.fixture
def upgrade(lab, tmp_path):
    lab.reset(IN_PLACE, SOURCE, TARGET)
    lab.autopilot(False)

    def run(limit: str, *extra: str):
        return lab.playbook("upgrade.yml", "--limit", limit, "-e", f"sync_backup_dir={tmp_path}", *extra)

    yield run
    lab.autopilot(False)
    lab.reset(IN_PLACE, SOURCE, TARGET)


def test_stop_mode_waits_cleanly_a_wait_times_out_with_what_it_saw_and_the_next_run_resumes(lab, upgrade):
    first = upgrade(IN_PLACE, "-e", "sync_handoff_mode=stop")
    assert first.rc == 0 and first.failures() == {}
    waiting = upgrade_of(IN_PLACE)
    assert waiting["state"] == "waiting" and waiting["waiting"]["step"] == "upgrade"
    assert any("choose Upgrade" in line for line in waiting["waiting"]["instructions"])
    twin = lab.twin(IN_PLACE)
    note = twin.files.read(NOTE.format("upgrade")).decode("ascii")
    assert "Step: upgrade" in note and twin.registry.key_exists(RECORD)
    assert twin.state["sync"]["scheduler"]["SyncCycleEnabled"] is False

    # nothing done yet, and now in wait mode: the same note, no change, and a clean time-out
    timed_out = upgrade(IN_PLACE, "-e", "sync_handoff_timeout_minutes=0.05")
    assert set(timed_out.failures()) == {IN_PLACE} and timed_out.changed() == 0
    stopped = upgrade_of(IN_PLACE)["stopped"]
    assert stopped["step"] == "upgrade"
    assert "step upgrade not done after" in stopped["cause"] and "saw version = 2.4.131.0" in stopped["cause"]
    twin = lab.twin(IN_PLACE)  # not half-changed: as it was apart from the suspended, recorded scheduler
    assert twin.files.read(NOTE.format("upgrade")).decode("ascii") == note
    assert twin.state["sync"]["version"] == "2.4.131.0" and twin.registry.key_exists(RECORD)

    assert lab.operator(IN_PLACE).returncode == 0
    done = upgrade(IN_PLACE, "-e", "sync_handoff_mode=stop")
    assert done.failures() == {}
    assert upgrade_of(IN_PLACE)["state"] == "done" and upgrade_of(IN_PLACE)["verify"]["status"] == "passed"
    # the suspension and the handoff are not repeated (the handoff only takes its note away, below)
    assert steps_of(IN_PLACE) == {"scheduler as it was": "done", "delta cycle": "done"}
    twin = lab.twin(IN_PLACE)
    assert not twin.files.exists(NOTE.format("upgrade")) and not twin.registry.key_exists(RECORD)
    assert twin.state["sync"]["scheduler"]["SyncCycleEnabled"] is True and twin.state["sync"]["version"] == VERSION


def test_a_killed_run_and_then_a_failing_cycle_leave_an_unfinished_upgrade_that_a_later_run_finishes(
        lab, upgrade, tmp_path):
    cmd = [str(BIN / "ansible-playbook"), "upgrade.yml", "--limit", IN_PLACE, "-e", f"sync_backup_dir={tmp_path}"]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not lab.twin(IN_PLACE).files.exists(NOTE.format("upgrade")):
            assert proc.poll() is None and time.monotonic() < deadline, "the run never reached the handoff"
            time.sleep(0.5)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # killed while it waits for the operator
        proc.wait()
    assert lab.twin(IN_PLACE).registry.key_exists(RECORD)
    assert lab.operator(IN_PLACE).returncode == 0

    def fault(twin):
        twin.state.setdefault("faults", {})["sync_run_result"] = {
            "run_profile": "Delta Synchronization", "result": "stopped-extension-dll-exception"}

    lab.edit(IN_PLACE, fault)
    failing = upgrade(IN_PLACE)  # the version is there; the record says the upgrade is unfinished
    assert set(failing.failures()) == {IN_PLACE}
    assert any(r["rule"] == "R-UNFINISHED-UPGRADE"
               for h in report()["hosts"] if h["host"] == IN_PLACE for r in h["reasons"])
    stopped = upgrade_of(IN_PLACE)["stopped"]
    assert stopped["step"] == "upgrade" and "Delta Synchronization = stopped-extension-dll-exception" in stopped["cause"]
    assert lab.twin(IN_PLACE).registry.key_exists(RECORD)  # still unfinished: the next run runs the cycle again

    lab.edit(IN_PLACE, lambda twin: twin.state["faults"].pop("sync_run_result"))
    finished = upgrade(IN_PLACE)
    assert finished.failures() == {}
    assert steps_of(IN_PLACE) == {"delta cycle": "done"}  # the scheduler was already back; not upgraded again
    assert upgrade_of(IN_PLACE)["verify"]["status"] == "passed"
    assert not lab.twin(IN_PLACE).registry.key_exists(RECORD)


def test_an_install_with_staging_off_is_caught_and_the_step_stays_asked_for(lab, upgrade):
    pair = f"{SOURCE},{TARGET}"
    first = upgrade(pair, "-e", "sync_handoff_mode=stop")
    assert first.failures() == {} and upgrade_of(TARGET)["waiting"]["step"] == "install_manual"
    assert lab.operator(TARGET, wrong="staging-off").returncode == 0

    caught = upgrade(pair, "-e", "sync_handoff_timeout_minutes=0.05")
    assert set(caught.failures()) == {TARGET}
    stopped = upgrade_of(TARGET)["stopped"]
    assert stopped["step"] == "deploy"
    assert "staging mode is on" in stopped["cause"] and "saw staging_mode = False" in stopped["cause"]
    assert lab.twin(TARGET).files.exists(NOTE.format("install_manual")), "the step is still asked for"


def test_the_automatic_upgrade_is_enabled_and_waited_for_instead_of_a_handoff(lab, upgrade):
    lab.autopilot(True, delay=0.3)  # here the autopilot stands in for Microsoft's service
    run = upgrade(IN_PLACE, "-e", "sync_upgrade_method=auto_upgrade")
    assert run.failures() == {}, run.failures()
    upgrade_result = upgrade_of(IN_PLACE)
    assert upgrade_result["method"] == "auto_upgrade" and upgrade_result["auto_upgrade"]["eligible"] is True
    assert steps_of(IN_PLACE) == {"scheduler suspended": "done", "automatic upgrade enabled": "done",
                                  "automatic upgrade": "done", "scheduler as it was": "done", "delta cycle": "done"}
    sync = lab.twin(IN_PLACE).state["sync"]
    assert sync["version"] == VERSION and sync["auto_upgrade"] == "Enabled"
