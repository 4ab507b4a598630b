"""The playbooks run as AWX runs them, through ansible-runner (tests/awxjob.py): what a job template's output page
and status show, and the AWX workflow's premise (docs/awx.md, docs/handoff.md). Limited to the fewest hosts that
prove each point, to keep `make test` within its budget:

- Assess on one legacy PowerShell 2.0 host (DirSync on Server 2008 R2) and one Azure AD Connect host: a successful
  job (assessment is read-only: a blocked decision is reported, not failed) whose events carry each host's
  assessment.
- The workflow's Upgrade -> approval -> Upgrade on an in-place server (connect24-staging-2022, no prerequisite fix
  needed) and a blocked one (Server 2025): the first job, in handoff `stop` mode, fails for the blocked host only
  and stops the other cleanly at the wizard step with the operator's instructions in the job's output; the
  operator does the step (the approval node); the same job again finishes it. The server then equals, apart from
  clock times, the same server upgraded in one `wait`-mode run with the lab's autopilot doing the step, and so do
  the published results.

No job's artifacts hold an inventory secret (the assess job runs at verbosity 3, Debug).
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from lab import config
from tests import awxjob
from tests.labfixture import latest_report
from tests.secrets import inventory_secrets, leaks

LEGACY, CONNECT, HOST, BLOCKED = "dirsync-2008r2", "connect23-2019", "connect24-staging-2022", "connect-2025"
DETECTION = "Detect the sync tool (one read-only WinRM command) unless the connection is unsafe"
DECISION = "Decide every host's upgrade path by Microsoft's rules and group it (once for the run)"
HANDOFF = "Hand the step to the operator: upgrade"
FAIL_STOPPED = "Fail with the step and cause"
# what only the clock makes different: file times, run-history times, and the timestamp in the name of the file
# the Entra Connect installer writes (Applied-SynchronizationPolicy-<yyyymmdd-hhmmss>.json)
CLOCK_KEYS = {"mtime", "StartDate", "EndDate"}
STAMP = re.compile(r"\d{8}-\d{6}")


def without_clock(value):
    if isinstance(value, dict):
        return {STAMP.sub("<stamp>", k) if isinstance(k, str) else k: without_clock(v)
                for k, v in value.items() if k not in CLOCK_KEYS}
    if isinstance(value, list):
        return [without_clock(v) for v in value]
    return STAMP.sub("<stamp>", value) if isinstance(value, str) else value


def differences(a, b, path: str = "") -> list[str]:
    """Where two states differ (for the failure message)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b), key=str)
                for d in ([f"{path}/{k}: only in {'A' if k in a else 'B'}"] if (k in a) != (k in b)
                          else differences(a[k], b[k], f"{path}/{k}"))]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {str(a)[:80]} != {str(b)[:80]}"]


def published() -> dict:
    """HOST's result in the newest report on this lab (the worker's inventory names the report folder)."""
    return next(h for h in latest_report()["hosts"] if h["host"] == HOST)


def steps(result: dict) -> list[tuple[str, str]]:
    return [(s["name"], s["status"]) for s in result["upgrade"]["steps"]]


def outcome(result: dict) -> dict:
    """The published upgrade result without its steps (compared apart, split over the workflow's jobs) and the
    automatic-upgrade conditions (they quote the version the job found at its start)."""
    return {k: v for k, v in result["upgrade"].items() if k not in ("steps", "auto_upgrade")}


@pytest.fixture(scope="module")
def assess_job(lab, tmp_path_factory):
    lab.reset(LEGACY, CONNECT)
    folder = tmp_path_factory.mktemp("assess-job")
    # at a job template's verbosity 3 (Debug), as someone chasing a problem would run it: the secret check below
    # then reads the connection details the job prints
    return awxjob.run(folder / "pdd", "playbooks/assess.yml", limit=f"{LEGACY},{CONNECT}",
                      extravars={"sync_report_dir": str(folder / "reports")}, verbosity=3)


@pytest.fixture(scope="module")
def workflow(lab, tmp_path_factory):
    """Wait mode in one run (A); then the workflow's Upgrade job, the approval, Upgrade again (B)."""
    folder = tmp_path_factory.mktemp("workflow")
    backups = {"a": str(folder / "backups-a"), "b": str(folder / "backups-b")}  # B's jobs share theirs, as in AWX
    seen = SimpleNamespace()
    try:
        lab.reset(HOST, BLOCKED)
        lab.autopilot(True, delay=1)
        seen.wait_run = lab.playbook("upgrade.yml", "--limit", HOST, "-e", f"sync_backup_dir={backups['a']}",
                                     "-e", "sync_handoff_mode=wait")
        lab.autopilot(False)  # from here nobody does the wizard step but the approval below
        seen.twin_a, seen.result_a = lab.twin(HOST).to_dict(), published()

        lab.reset(HOST)
        job_vars = {"sync_handoff_mode": "stop", "sync_backup_dir": backups["b"]}  # the template's and the survey's
        seen.first = awxjob.run(folder / "job1", "upgrade.yml", limit=f"{HOST},{BLOCKED}", extravars=job_vars)
        seen.stopped, seen.version_stopped = published(), lab.twin(HOST).state["sync"]["version"]
        # the note as the job left it; a job that never reached the handoff has none, and the tests say why
        handoffs = [e["event_data"]["res"] for e in seen.first.of("runner_on_ok")
                    if e["event_data"].get("task") == HANDOFF and e["event_data"].get("host") == HOST]
        files, path = lab.twin(HOST).files, handoffs[0].get("note_path") if handoffs else None
        seen.note = files.read(path).decode("ascii") if path and files.exists(path) else None

        seen.approval = lab.operator(HOST)  # the approval node: the operator has done the wizard step
        seen.second = awxjob.run(folder / "job2", "upgrade.yml", limit=HOST, extravars=job_vars)
        seen.twin_b, seen.result_b = lab.twin(HOST).to_dict(), published()
        yield seen
    finally:
        lab.autopilot(False)
        lab.reset(HOST, BLOCKED)  # upgraded servers: later tests start clean


def test_assess_job_succeeds_with_each_hosts_result_in_the_recap(assess_job):
    job = assess_job
    assert (job.status, job.rc) == (awxjob.SUCCESSFUL, 0), job.stdout()[-3000:]
    assert (job.artifacts / "status").read_text() == "successful" and (job.artifacts / "rc").read_text() == "0"
    stats = job.stats()
    assert set(stats["processed"]) == {LEGACY, CONNECT}, "the job ran on other hosts than its limit"
    assert stats["failures"] == {} and stats["dark"] == {}
    assert stats["ok"][LEGACY] > 0 and stats["ok"][CONNECT] > 0
    recap = job.stdout().split("PLAY RECAP")[-1]
    for host in (LEGACY, CONNECT):
        assert f"{host} " in recap and "failed=0" in recap.split(host)[1].splitlines()[0], recap


def test_assess_job_events_carry_each_hosts_decision(assess_job):
    detected = assess_job.host_results("runner_on_ok", DETECTION)  # one event per host, with its facts
    (decided,) = assess_job.host_results("runner_on_ok", DECISION).values()  # one task for the run, every host's
    assessed = decided["sync_assess_decisions"]
    # DirSync on 2008 R2 goes to a new server; with that server left out of the job's limit, the decision blocks
    # and says so (an AWX survey's limit must name the target too)
    legacy = assessed[LEGACY]["decision"]
    assert detected[LEGACY]["ansible_facts"]["sync"]["tool"] == "dirsync" and legacy["proposed_path"] == "parallel"
    assert legacy["path"] == "blocked" and [b["rule"] for b in legacy["blockers"]] == ["R-PARALLEL-TARGET-READY"]
    assert detected[CONNECT]["ansible_facts"]["sync"]["tool"] == "connect"
    assert assessed[CONNECT]["decision"]["path"] == "in_place"
    assert assess_job.of("runner_on_failed") == [] and assess_job.of("runner_on_unreachable") == []


def test_the_upgrade_job_fails_for_the_blocked_host_only(workflow):
    job = workflow.first
    assert (job.status, job.rc) == (awxjob.FAILED, 2), job.stdout()[-3000:]
    assert (job.artifacts / "status").read_text() == "failed" and (job.artifacts / "rc").read_text() == "2"
    stats = job.stats()
    assert set(stats["processed"]) == {HOST, BLOCKED}
    assert stats["failures"] == {BLOCKED: 1} and stats["dark"] == {}
    failed = job.host_results("runner_on_failed", FAIL_STOPPED)
    assert set(failed) == {BLOCKED}
    assert failed[BLOCKED]["msg"].startswith("stopped at assess: blocked:") and "sync_upgrade_target" in \
        failed[BLOCKED]["msg"]


def test_the_upgrade_job_stops_at_the_wizard_step_with_the_operators_instructions(workflow):
    job, note = workflow.first, workflow.note
    result = job.host_results("runner_on_ok", HANDOFF)[HOST]
    assert result["status"] == "waiting" and result["mode"] == "stop" and result["changed"]
    assert note is not None, "the handoff note is not on the server's desktop"
    assert "Step: upgrade" in note and f"Host: {HOST} (" in note
    # the job's output under the handoff task: what the operator reads on the job's page
    shown = job.output_of(HANDOFF)
    assert f"HANDOFF {HOST}: step upgrade: {result['title']}" in shown
    for number, instruction in enumerate(result["instructions"], 1):
        assert f"{number}. {instruction}" in shown
    assert f"The note on the server: {result['note_path']}" in shown
    assert "run the same playbook again" in shown and "approve the workflow's approval node" in shown
    assert f"HANDOFF {HOST}: step upgrade" in job.stdout(), "the artifacts' stdout lacks the instructions"
    # the host ended cleanly at the handoff, the step not done: no failure, and no later step (verification) ran
    assert workflow.stopped["upgrade"]["state"] == "waiting" and workflow.stopped["upgrade"]["waiting"]["step"] == \
        "upgrade"
    assert workflow.version_stopped != workflow.twin_a["sync"]["version"]
    assert HOST not in job.stats()["failures"]
    assert not [e for e in job.of("runner_on_ok") if e["event_data"].get("host") == HOST
                and e["event_data"].get("role") == "sync_verify"]


def test_after_the_approval_the_same_job_ends_where_wait_mode_ends(workflow):
    run_a, second = workflow.wait_run, workflow.second
    assert run_a.rc == 0 and run_a.failures() == {}, run_a.stdout[-3000:]
    assert workflow.result_a["upgrade"]["state"] == "done"
    assert workflow.approval.returncode == 0, workflow.approval.stderr
    assert (second.status, second.rc) == (awxjob.SUCCESSFUL, 0), second.stdout()[-3000:]
    assert differences(without_clock(workflow.twin_a), without_clock(workflow.twin_b)) == []
    # state done, verification passed with the same checks
    assert outcome(workflow.result_b) == outcome(workflow.result_a)
    assert workflow.result_a["upgrade"]["verify"]["status"] == "passed"
    # the same steps, split over the two jobs: the first stops at the handoff (published as `waiting`, not as a
    # step), the second goes on after it; in wait mode the handoff is a step of its own, done
    handoff = ("upgrade (operator handoff)", "done")
    assert handoff in steps(workflow.result_a)
    assert steps(workflow.stopped) + [handoff] + steps(workflow.result_b) == steps(workflow.result_a)


@pytest.mark.parametrize("which", ["assess", "upgrade", "upgrade again"])
def test_no_inventory_secret_in_the_jobs_artifacts(which, request):
    job = request.getfixturevalue("assess_job") if which == "assess" else \
        getattr(request.getfixturevalue("workflow"), "first" if which == "upgrade" else "second")
    secrets = inventory_secrets(config.inventory_dir() / "hosts.yml")
    assert secrets, "the lab inventory defines no secret: the check would prove nothing"
    written = job.written()
    assert any(name.endswith("stdout") for name in written) and any("job_events" in name for name in written)
    if which == "assess":  # the Debug output is there to be read
        assert "ESTABLISH WINRM CONNECTION FOR USER" in job.stdout()
    found = {name: leaks(text, secrets) for name, text in written.items()}
    assert {name: names for name, names in found.items() if names} == {}
