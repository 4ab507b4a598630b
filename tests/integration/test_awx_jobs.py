"""The playbooks run as AWX runs them, through ansible-runner (tests/awxjob.py): what a job template's output page
and its status show. Limited to the fewest hosts that prove the point, to keep `make test` within its budget:

- assess on one legacy PowerShell 2.0 host (DirSync on Server 2008 R2) and one Azure AD Connect host: a successful
  job (assessment is read-only: a blocked decision is reported, not failed) whose events carry each host's
  assessment;
- upgrade.yml in handoff `stop` mode (the mode an AWX workflow's approval node needs, docs/handoff.md) on an
  Azure AD Connect host and a blocked host (Server 2025): the job fails for the blocked host only, and the
  upgradeable one stops cleanly at the wizard step with the operator's instructions in the job's output.

Neither job's artifacts hold an inventory secret (the assess job runs at verbosity 3, Debug).
"""

from __future__ import annotations

import pytest

from lab import config
from tests import awxjob
from tests.secrets import inventory_secrets, leaks

LEGACY, CONNECT, BLOCKED = "dirsync-2008r2", "connect23-2019", "connect-2025"
DECISION = "Publish the decision in this host's assessment result"
HANDOFF = "Hand the step to the operator: upgrade"
FAIL_STOPPED = "Fail with the step and cause"


@pytest.fixture(scope="module")
def assess_job(lab, tmp_path_factory):
    lab.reset(LEGACY, CONNECT)
    folder = tmp_path_factory.mktemp("assess-job")
    # at a job template's verbosity 3 (Debug), as someone chasing a problem would run it: the secret check below
    # then reads the connection details the job prints
    return awxjob.run(folder / "pdd", "playbooks/assess.yml", limit=f"{LEGACY},{CONNECT}",
                      extravars={"sync_report_dir": str(folder / "reports")}, verbosity=3)


@pytest.fixture(scope="module")
def upgrade_job(lab, tmp_path_factory):
    lab.reset(CONNECT, BLOCKED)
    lab.autopilot(False)  # nobody does the wizard step: the job must stop at it
    folder = tmp_path_factory.mktemp("upgrade-job")
    try:
        job = awxjob.run(folder / "pdd", "upgrade.yml", limit=f"{CONNECT},{BLOCKED}",
                         extravars={"sync_handoff_mode": "stop", "sync_report_dir": str(folder / "reports"),
                                    "sync_backup_dir": str(folder / "backups")})
        # the note as the job left it (read before the reset); a job that never reached the handoff has none, and
        # the tests say why from the job's own output
        handoffs = [e["event_data"]["res"] for e in job.of("runner_on_ok")
                    if e["event_data"].get("task") == HANDOFF and e["event_data"].get("host") == CONNECT]
        files = lab.twin(CONNECT).files
        path = handoffs[0].get("note_path") if handoffs else None
        yield job, files.read(path).decode("ascii") if path and files.exists(path) else None
    finally:
        lab.reset(CONNECT, BLOCKED)  # the run fixed TLS, restarted and suspended the scheduler: later tests start clean


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
    results = assess_job.host_results("runner_on_ok", DECISION)
    assessed = {host: res["ansible_facts"]["sync_assess_result"] for host, res in results.items()}
    # DirSync on 2008 R2 goes to a new server; with that server left out of the job's limit, the decision blocks
    # and says so (an AWX survey's limit must name the target too)
    legacy = assessed[LEGACY]["decision"]
    assert assessed[LEGACY]["facts"]["tool"] == "dirsync" and legacy["proposed_path"] == "parallel"
    assert legacy["path"] == "blocked" and [b["rule"] for b in legacy["blockers"]] == ["R-PARALLEL-TARGET-READY"]
    assert assessed[CONNECT]["facts"]["tool"] == "connect" and assessed[CONNECT]["decision"]["path"] == "in_place"
    assert assess_job.of("runner_on_failed") == [] and assess_job.of("runner_on_unreachable") == []


def test_upgrade_job_fails_for_the_blocked_host_only(upgrade_job):
    job, _ = upgrade_job
    assert (job.status, job.rc) == (awxjob.FAILED, 2), job.stdout()[-3000:]
    assert (job.artifacts / "status").read_text() == "failed" and (job.artifacts / "rc").read_text() == "2"
    stats = job.stats()
    assert set(stats["processed"]) == {CONNECT, BLOCKED}
    assert stats["failures"] == {BLOCKED: 1} and stats["dark"] == {}
    failed = job.host_results("runner_on_failed", FAIL_STOPPED)
    assert set(failed) == {BLOCKED}
    assert failed[BLOCKED]["msg"].startswith("stopped at assess: blocked:") and "sync_upgrade_target" in \
        failed[BLOCKED]["msg"]


def test_upgrade_job_stops_at_the_wizard_step_with_the_operators_instructions(upgrade_job):
    job, note = upgrade_job
    result = job.host_results("runner_on_ok", HANDOFF)[CONNECT]
    assert result["status"] == "waiting" and result["mode"] == "stop" and result["changed"]
    assert note is not None, "the handoff note is not on the server's desktop"
    assert "Step: upgrade" in note and f"Host: {CONNECT} (AADC01)" in note
    # the job's output under the handoff task: what the operator reads on the job's page
    shown = job.output_of(HANDOFF)
    assert f"HANDOFF {CONNECT}: step upgrade: {result['title']}" in shown
    for number, instruction in enumerate(result["instructions"], 1):
        assert f"{number}. {instruction}" in shown
    assert f"The note on the server: {result['note_path']}" in shown
    assert "run the same playbook again" in shown and "approve the workflow's approval node" in shown
    assert f"HANDOFF {CONNECT}: step upgrade" in job.stdout(), "the artifacts' stdout lacks the instructions"
    # the host ended cleanly at the handoff: no failure, and no later step (verification) ran on it
    assert CONNECT not in job.stats()["failures"]
    assert not [e for e in job.of("runner_on_ok") if e["event_data"].get("host") == CONNECT
                and e["event_data"].get("role") == "sync_verify"]


@pytest.mark.parametrize("which", ["assess_job", "upgrade_job"])
def test_no_inventory_secret_in_the_jobs_artifacts(which, request):
    job = request.getfixturevalue(which)
    job = job[0] if isinstance(job, tuple) else job
    secrets = inventory_secrets(config.inventory_dir() / "hosts.yml")
    assert secrets, "the lab inventory defines no secret: the check would prove nothing"
    written = job.written()
    assert any(name.endswith("stdout") for name in written) and any("job_events" in name for name in written)
    if which == "assess_job":  # the Debug output is there to be read
        assert "ESTABLISH WINRM CONNECTION FOR USER" in job.stdout()
    found = {name: leaks(text, secrets) for name, text in written.items()}
    assert {name: names for name, names in found.items() if names} == {}
