"""The handoff (roles/sync_handoff, action entra.sync_upgrade.sync_handoff), end to end against the lab: real
Ansible, real WinRM, the note on the twin's all-users desktop.

--check writes nothing; stop mode writes the note and ends the host cleanly with sync_handoff_waiting set, and
a re-run keeps the note; wait mode times out with a message naming the host, the step, what was expected and
what was seen; wait mode finishes when the step is done while it waits (a test thread changes the twin, as the
operator would), and a step already done is unchanged with no note.
"""

from __future__ import annotations

import re
import threading
import time

from plugins.plugin_utils import _handoff

HANDOFF = "Hand the step to the operator: upgrade"
PUBLISH = "Publish the handoff result"
NOTE = r"C:\Users\Public\Desktop\entra-sync-upgrade-upgrade.txt"
INSTRUCTIONS = ["Log on to the server as a local administrator.",
                r"Run C:\ProgramData\EntraSyncUpgrade\installer\AzureADConnect.msi and choose Upgrade."]
TO_TARGET = [{"fact": "version", "at_least": "2.5.190.0", "text": "the engine reports 2.5.190.0 or later"},
             {"fact": "services.ADSync.state", "equals": "running", "text": "the ADSync service runs"}]


def plays(host: str, **handoff_vars) -> list[dict]:
    role_vars = {"sync_handoff_step": "upgrade", "sync_handoff_title": "Upgrade Entra Connect in place",
                 "sync_handoff_instructions": INSTRUCTIONS,
                 "sync_handoff_parameters": {"Installer": r"C:\ProgramData\EntraSyncUpgrade\installer\AzureADConnect.msi"},
                 "sync_handoff_expect": TO_TARGET, **handoff_vars}
    return [{"hosts": host, "gather_facts": False,
             "tasks": [{"ansible.builtin.include_role": {"name": "entra.sync_upgrade.sync_handoff"}, "vars": role_vars},
                       {"name": "After the handoff", "ansible.builtin.debug": {"msg": "went on"}}]}]


def note_of(lab, host: str):
    entry = lab.twin(host).files.get(NOTE)
    return None if entry is None else lab.twin(host).files.read(NOTE).decode("ascii")


def operator_once_waiting(lab, host: str, step) -> None:
    """Do the step on the twin once the handoff waits for it (its note is on the desktop), however long Ansible takes
    to get there on a loaded machine; a fixed delay could act before the first probe, and the step would be found
    done instead of done while waiting."""
    deadline = time.monotonic() + 120
    while note_of(lab, host) is None and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1)  # a probe or two see it not done yet
    with lab.store.session(host) as twin:
        step(twin)


def test_check_mode_plans_and_writes_nothing(lab):
    host = "connect23-2019"
    lab.reset(host)
    before = lab.digest(host)
    run = lab.playbook(plays(host, sync_handoff_mode="stop"), check=True)
    assert run.rc == 0 and run.failures() == {}, run.stderr
    assert lab.digest(host) == before, "check mode must not write the note"
    result = run.results(HANDOFF)[host]
    assert result["status"] == "planned" and result["changed"] and result["note_path"] == NOTE
    assert result["observed"] == {"version": "2.3.20.0", "services.ADSync.state": "running"}
    assert run.results("After the handoff")[host], "a planned handoff does not end the host"


def test_stop_writes_the_note_ends_the_host_cleanly_and_a_rerun_keeps_it(lab):
    host = "connect23-2019"
    lab.reset(host)
    try:
        run = lab.playbook(plays(host, sync_handoff_mode="stop"))
        assert run.rc == 0 and run.failures() == {}, run.stderr
        result = run.results(HANDOFF)[host]
        assert result["status"] == "waiting" and result["changed"]
        assert "run the same playbook again" in result["msg"] and "approval node" in result["msg"]
        text = note_of(lab, host)
        assert text is not None and text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
        note = _handoff.parse_note(text)
        assert (note["step"], note["host"], note["computer"]) == ("upgrade", host, "AADC01")
        assert note["instructions"] == INSTRUCTIONS and note["sees"] == [c["text"] for c in TO_TARGET]
        assert note["parameters"] == {"Installer": r"C:\ProgramData\EntraSyncUpgrade\installer\AzureADConnect.msi"}
        waiting = run.results(PUBLISH)[host]["ansible_facts"]
        assert waiting["sync_handoff_result"]["status"] == "waiting"
        with_fact = [t for p in run.data["plays"] for t in p["tasks"]
                     if t["task"]["name"].endswith("Record the step this host waits at (the report reads it)")]
        fact = with_fact[0]["hosts"][host]["ansible_facts"]["sync_handoff_waiting"]
        assert fact == {"step": "upgrade", "title": "Upgrade Entra Connect in place", "since": note["issued"],
                        "instructions": INSTRUCTIONS, "note_path": NOTE}
        went_on = [t for p in run.data["plays"] for t in p["tasks"] if t["task"]["name"] == "After the handoff"]
        assert not went_on or host not in went_on[0]["hosts"], "the host's run must end at the handoff"

        # the next run (the operator has not finished yet) keeps the note as it was: nothing changes
        before = lab.digest(host)
        again = lab.playbook(plays(host, sync_handoff_mode="stop"))
        rerun = again.results(HANDOFF)[host]
        assert again.rc == 0 and rerun["status"] == "waiting" and not rerun["changed"]
        assert rerun["issued"] == note["issued"] and lab.digest(host) == before
    finally:
        lab.reset(host)


def test_wait_times_out_cleanly_naming_host_step_expected_and_seen(lab):
    host = "connect23-2019"
    lab.reset(host)
    try:
        run = lab.playbook(plays(host, sync_handoff_timeout_minutes=0.05, sync_handoff_poll_seconds=0.5))
        assert run.rc != 0 and run.failures() == {host: 1}
        result = run.results(HANDOFF)[host]
        assert result["status"] == "failed" and 3.0 <= result["waited_seconds"] < 30
        cause = result["cause"]
        assert cause.startswith(f"{host}: step upgrade not done after 0.05 min; expected ")
        assert "the engine reports 2.5.190.0 or later" in cause and "saw version = 2.3.20.0" in cause
        assert "the ADSync service runs" not in cause, "only the checks that do not hold are named"
        # progress while it waits, at a growing interval (1 s, 3 s), never one line per 0.5 s poll
        waiting = [line for line in run.stdout.splitlines() if "waiting for the operator for" in line]
        assert waiting and re.fullmatch(
            rf"{host}: step upgrade \(Upgrade Entra Connect in place\): waiting for the operator for \d s \(time-out "
            r"3 s\): not done yet: expected the engine reports 2\.5\.190\.0 or later; saw version = 2\.3\.20\.0",
            waiting[0]), waiting
        assert 1 <= len(waiting) <= 3, waiting
        failed = run.results("Stop the host when the step was not done in time")[host]
        assert failed["msg"] == cause
        assert note_of(lab, host) is not None, "the note stays for the operator"
    finally:
        lab.reset(host)


def test_wait_finishes_when_the_step_is_done_while_it_waits_and_removes_the_note(lab):
    host = "connect23-2019"
    lab.reset(host)
    expect = [{"fact": "scheduler.enabled", "equals": False, "text": "the scheduler is off"}]

    def step(twin):  # stands in for the lab's operator: the step's effect, on the twin
        twin.state["sync"]["scheduler"]["SyncCycleEnabled"] = False

    thread = threading.Thread(target=operator_once_waiting, args=(lab, host, step))
    thread.start()
    try:
        run = lab.playbook(plays(host, sync_handoff_expect=expect, sync_handoff_timeout_minutes=2,
                                 sync_handoff_poll_seconds=0.5))
        thread.join()
        assert run.rc == 0 and run.failures() == {}, run.stderr
        result = run.results(HANDOFF)[host]
        assert result["status"] == "done" and result["changed"] and result["waited_seconds"] > 0
        assert result["observed"] == {"scheduler.enabled": False}
        assert note_of(lab, host) is None, "a finished step's note is removed"
        assert run.results("After the handoff")[host]
    finally:
        thread.join()
        lab.reset(host)


def test_a_step_already_done_is_unchanged_and_leaves_no_note(lab):
    host = "connect-current-2022"
    lab.reset(host)
    before = lab.digest(host)
    run = lab.playbook(plays(host, sync_handoff_expect=[{"fact": "tool", "equals": "connect"}]))
    assert run.rc == 0 and run.failures() == {}, run.stderr
    result = run.results(HANDOFF)[host]
    assert result["status"] == "unchanged" and not result["changed"]
    assert lab.digest(host) == before and note_of(lab, host) is None


def test_wait_rides_out_a_restart_of_the_host(lab):
    # the installer may restart the server: probes fail while it is down and the wait goes on
    host = "connect23-2019"
    lab.reset(host)
    expect = [{"fact": "scheduler.enabled", "equals": False, "text": "the scheduler is off"}]

    def step(twin):
        twin.state["sync"]["scheduler"]["SyncCycleEnabled"] = False
        twin.power.state["restart_seconds"] = 4.0
        twin.power.schedule_restart(0, "installer restart", "CORP\\operator")

    thread = threading.Thread(target=operator_once_waiting, args=(lab, host, step))
    thread.start()
    try:
        run = lab.playbook(plays(host, sync_handoff_expect=expect, sync_handoff_timeout_minutes=2,
                                 sync_handoff_poll_seconds=0.5), "-v")
        thread.join()
        assert run.rc == 0 and run.failures() == {}, run.stderr
        result = run.results(HANDOFF)[host]
        assert result["status"] == "done" and result["waited_seconds"] >= 4
        assert lab.twin(host).power.boot_count == 1, "the host restarted during the wait"
    finally:
        thread.join()
        lab.reset(host)
