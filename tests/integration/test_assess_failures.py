"""The assessment tells the truth under failure (issue 7), end to end against the lab.

A wrong password, a TLS failure and a failed probe each show their own status and cause in the summary and in
all three report formats; a host left out by --limit is not in the report at all; two runs started together
keep separate reports; a parallel target is judged from its own assessment.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.labfixture import BIN, REPO, PlaybookRun, env

DETECT = "Detect the sync tool (one read-only WinRM command) unless the connection is unsafe"
LOCKDOWN = r"HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Environment"


def listener(**settings):
    return lambda twin: twin.state["winrm"].update(settings)


def constrained_language(twin):  # AppLocker/WDAC-style lockdown: PowerShell runs in ConstrainedLanguage mode
    twin.registry.set_value(LOCKDOWN, "__PSLockdownPolicy", "string", "4")


# host -> (how it is broken, the status it must get, words its cause must contain)
BROKEN = {
    "connect23-2019": (listener(auth="refuse"), "auth_failed", "refused the logon"),
    "connect24-staging-2022": (listener(certificate="expired"), "tls_failed", "has expired"),
    "connect-current-2022": (listener(certificate="other_ca"), "tls_failed", "not issued by a CA"),
    "connect-2025": (listener(certificate="wrong_name"), "tls_failed", "not issued for the name"),
    "member-2019": (constrained_language, "probe_failed", "ConstrainedLanguage"),
}


def report_of(run) -> tuple[Path, dict]:
    (result,) = run.results("Tell the playbook where the report is").values()
    folder = Path(result["ansible_facts"]["sync_report_path"])
    return folder, json.loads((folder / "report.json").read_text())


@pytest.fixture(scope="module")
def broken(lab):
    lab.reset()
    for host, (change, _, _) in BROKEN.items():
        lab.edit(host, change)
    try:
        run = lab.playbook("playbooks/assess.yml", "-e", "sync_assess_run_date=2026-11-25")
    finally:
        lab.reset(*BROKEN)  # the tests read the run's output; the hosts are repaired at once for the others
    return lab, run


def test_each_failure_has_its_own_status_and_cause(broken):
    _, run = broken
    detected = {host: result["sync_assess_result"] for host, result in run.results(DETECT).items()}
    for host, (_, status, words) in BROKEN.items():
        assert detected[host]["status"] == status, (host, detected[host])
        assert words in detected[host]["cause"], (host, detected[host]["cause"])
    assert "#< CLIXML" not in detected["member-2019"]["cause"] and "<Objs" not in detected["member-2019"]["cause"]
    assert "Method invocation is supported only on core types" in detected["member-2019"]["cause"]
    others = set(detected) - set(BROKEN)
    assert {detected[h]["status"] for h in others} == {"assessed"}


def test_hosts_that_were_not_assessed_fail_the_run_after_the_report(broken):
    _, run = broken
    assert run.failures() == {host: 1 for host in BROKEN}, run.stats
    for host, (_, status, _) in BROKEN.items():
        decision = run.decided()[host]["decision"]
        assert decision["path"] == "blocked" and decision["blockers"][0]["rule"] == "R-NOT-ASSESSED"
        assert status in decision["blockers"][0]["text"]


def test_the_summary_and_every_report_format_show_status_and_cause(broken):
    _, run = broken
    (summary,) = run.results("Show the fleet summary").values()
    folder, report = report_of(run)
    markdown, html = (folder / "report.md").read_text(), (folder / "report.html").read_text()
    listed = {item["host"]: item for item in report["summary"]["not_assessed_hosts"]}
    assert set(listed) == set(BROKEN)
    for host, (_, status, words) in BROKEN.items():
        assert listed[host]["status"] == status and words in listed[host]["cause"]
        assert f"NOT ASSESSED {host} ({status}): " in summary["msg"]
        assert f"**{host}** ({status}): " in markdown
        assert f"<strong>{host}</strong> <span class=\"pill status-{status}\">{status}</span>" in html
        assert "unreachable" not in listed[host]["status"]
    assert report["summary"]["by_status"]["auth_failed"] == 1 and report["summary"]["by_status"]["tls_failed"] == 3


def test_limit_reports_exactly_the_hosts_of_the_run(lab):
    for hosts in ("target-2022", "target-2022,localhost"):
        run = lab.playbook("playbooks/assess.yml", "--limit", hosts)
        assert not run.failures(), run.stats
        _, report = report_of(run)
        assert [h["host"] for h in report["hosts"]] == ["target-2022"]
        summary = report["summary"]
        assert (summary["total"], summary["not_assessed"], summary["limited"]) == (1, 0, True)
        assert "unreachable" not in summary["by_status"]
        assert summary["inventory_total"] == len(lab.hosts)


def console_summary(stdout: str) -> list[str]:
    """The summary the callback entra.sync_upgrade.run_summary prints last, after the recap."""
    lines = stdout.rstrip().splitlines()
    start = max(i for i, line in enumerate(lines) if line.startswith("SUMMARY "))
    assert "PLAY RECAP" in "\n".join(lines[:start]), "the summary comes after the recap"
    return lines[start:]


def test_two_runs_started_together_keep_separate_reports(lab):
    # the second run prints to the console as a person sees it (the default callback, not the tests' JSON one):
    # it ends with the short summary and the report's path
    procs = []
    for host, callback in (("target-2022", "ansible.posix.json"), ("target-2022-b", "default")):
        cmd = [str(BIN / "ansible-playbook"), str(REPO / "playbooks/assess.yml"), "--limit", host]
        procs.append(subprocess.Popen(cmd, cwd=REPO, env={**env(), "ANSIBLE_STDOUT_CALLBACK": callback},
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outputs = [proc.communicate(timeout=300) for proc in procs]
    run = PlaybookRun(subprocess.CompletedProcess(procs[0].args, procs[0].returncode, *outputs[0]))
    assert procs[1].returncode == 0, outputs[1]
    summary = console_summary(outputs[1][0])
    assert summary[:2] == [f"SUMMARY (assessment): 1 server of {len(lab.hosts)} in the inventory (--limit)",
                           "  decision: 1 none"]
    assert summary[-2] == "  needs action: none" and summary[-1].startswith("  report: ")
    report_html = Path(summary[-1].removeprefix("  report: ").split(" ")[0])
    assert report_html.name == "report.html" and report_html.is_file()
    folders = [report_of(run)[0], report_html.parent]
    reports = [report_of(run)[1], json.loads((folders[1] / "report.json").read_text())]
    assert folders[0] != folders[1] and folders[0].parent == folders[1].parent
    assert [report["hosts"][0]["host"] for report in reports] == ["target-2022", "target-2022-b"]
    latest = folders[0].parent / "latest"
    assert latest.is_symlink() and latest.resolve() in {f.resolve() for f in folders}
    assert oct(os.stat(folders[0]).st_mode & 0o777) == "0o700"


@pytest.mark.parametrize("extra,status,words", [
    (["-e", "ansible_password=Not-The-Password1"], "auth_failed", "refused the logon"),
    (["-e", "ansible_winrm_ca_trust_path=/nonexistent/lab-ca.pem"], "tls_failed", "does not exist"),
    (["-e", "ansible_port=1"], "unreachable", "no WinRM connection"),
])
def test_client_side_mistakes_are_named(lab, extra, status, words):
    run = lab.playbook("playbooks/assess.yml", "--limit", "target-2022", *extra)
    detected = run.results(DETECT)["target-2022"]["sync_assess_result"]
    assert (detected["status"], words in detected["cause"]) == (status, True), detected
    assert "Not-The-Password1" not in json.dumps(run.data)  # the secret stays out of the output
    _, report = report_of(run)
    assert report["summary"]["not_assessed_hosts"][0]["status"] == status


def test_sql_login_and_adsyncadmins_failures_leave_the_count_unknown_with_the_reason(lab):
    lab.reset("connect23-2019")
    lab.edit("connect23-2019", lambda twin: twin.state["groups"]["ADSyncAdmins"].remove("labadmin"))
    try:
        run = lab.playbook("playbooks/assess.yml", "--limit", "connect23-2019", "-e", "sync_assess_run_date=2026-11-25")
        facts = run.results(DETECT)["connect23-2019"]["ansible_facts"]["sync"]
        assert facts["object_count"] is None and facts["database"]["size_mb"] is None
        assert any("Login failed for user 'AADC01\\labadmin'" in w for w in facts["warnings"])
        assert any("ADSyncAdmins" in e for e in facts["evidence_errors"])
        decision = run.decided()["connect23-2019"]["decision"]
        assert decision["path"] == "in_place"  # the unknowns are warnings, by the documented rule
        assert {"R-CONNECT-OBJECTS", "R-LOCALDB-LIMIT"} <= {w["rule"] for w in decision["warnings"]}
    finally:
        lab.reset("connect23-2019")


def _override(tmp_path, hostvars: dict) -> Path:
    lines = ["all:", "  hosts:"]
    for host, variables in hostvars.items():
        lines.append(f"    {host}:")
        lines += [f"      {key}: {value}" for key, value in variables.items()]
    path = tmp_path / "override.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_target_named_twice_blocks_both_sources(lab, tmp_path):
    override = _override(tmp_path, {"aadsync-2012r2": {"sync_upgrade_target": "target-2022"}})
    run = lab.playbook("playbooks/assess.yml", "-i", str(lab.inventory), "-i", str(override),
                       "--limit", "dirsync-2008r2,aadsync-2012r2,target-2022")
    for source, other in (("dirsync-2008r2", "aadsync-2012r2"), ("aadsync-2012r2", "dirsync-2008r2")):
        decision = run.decided()[source]["decision"]
        shared = [b for b in decision["blockers"] if b["rule"] == "R-PARALLEL-TARGET-SHARED"]
        assert decision["path"] == "blocked" and shared and other in shared[0]["text"], decision


def test_a_target_that_is_not_ready_or_not_in_the_run_blocks_its_source(lab, tmp_path):
    override = _override(tmp_path, {"mim-2012r2": {"sync_upgrade_target": "connect-current-2022"}})
    run = lab.playbook("playbooks/assess.yml", "-i", str(lab.inventory), "-i", str(override),
                       "--limit", "mim-2012r2,connect-current-2022,dirsync-2008r2")
    busy = run.decided()["mim-2012r2"]["decision"]
    assert any("already runs connect" in b["text"] for b in busy["blockers"]), busy
    absent = run.decided()["dirsync-2008r2"]["decision"]  # its target-2022 was left out of the run
    assert any("was not assessed in this run" in b["text"] for b in absent["blockers"]), absent
