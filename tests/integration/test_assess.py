"""playbooks/assess.yml end to end on every lab host: facts, decision, one WinRM command, the reports."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import pytest

# host -> (tool, version, path): the decisions docs/decision-rules.md gives each lab profile
EXPECTED = {
    "dirsync-2008r2": ("dirsync", "1.0.7020.0", "parallel"),
    "dirsync-2012r2-large": ("dirsync", "1.0.7020.0", "parallel"),
    "aadsync-2012r2": ("aadsync", "1.0.494.501", "parallel"),
    "connect1-2016": ("connect", "1.6.16.0", "in_place"),
    "connect23-2019": ("connect", "2.3.20.0", "in_place"),
    "connect24-staging-2022": ("connect", "2.4.131.0", "in_place"),
    "connect-current-2022": ("connect", "2.5.190.0", "none"),
    "mim-2012r2": ("mim_connector", None, "parallel"),
    "connect-2025": ("connect", "2.5.190.0", "blocked"),  # unsupported OS, no sync_upgrade_target
    "connect-core-2022": ("connect", "2.3.20.0", "blocked"),  # Server Core, no sync_upgrade_target
    "member-2019": ("none", None, "none"),
    "connect24-fullsql-2019": ("connect", "2.4.131.0", "parallel"),  # 150,000 objects, SQL Server 2016
    **{t: ("none", None, "none") for t in ("target-2022", "target-2022-b", "target-2022-c", "target-2022-d",
                                           "target-2022-e")},
}
RUN_DATE = "2026-11-25"
DETECT = "Detect the sync tool (one read-only WinRM command) unless the connection is unsafe"


@pytest.fixture(scope="module")
def assessed(lab):
    lab.reset()
    before = lab.digest()
    run = lab.playbook("playbooks/assess.yml", "-e", f"sync_assess_run_date={RUN_DATE}")
    return lab, run, before


def test_every_host_is_detected_and_decided(assessed):
    lab, run, _ = assessed
    assert not run.failures(), run.data
    facts = run.results(DETECT)
    decisions = run.decided()
    assert set(facts) == set(EXPECTED)
    for host, (tool, version, path) in EXPECTED.items():
        sync = facts[host]["ansible_facts"]["sync"]
        decision = decisions[host]["decision"]
        assert sync["tool"] == tool, (host, sync["tool"])
        if version:
            assert sync["version"] == version, (host, sync["version"])
        assert decision["path"] == path, (host, decision)


def test_dirsync_on_2008r2_is_read_through_powershell_2_and_goes_parallel_for_its_os(assessed):
    lab, run, _ = assessed
    sync = run.results(DETECT)["dirsync-2008r2"]["ansible_facts"]["sync"]
    decision = run.decided()["dirsync-2008r2"]["decision"]
    assert sync["powershell_version"] == "2.0"
    assert sync["object_count"] == 30000
    assert any("OS" in r["rule"] for r in decision["reasons"]), decision["reasons"]


def test_blocked_host_names_the_variable_to_set(assessed):
    _, run, _ = assessed
    decision = run.decided()["connect-2025"]["decision"]
    assert any("sync_upgrade_target" in b["text"] for b in decision["blockers"]), decision


def test_detection_costs_one_winrm_command_per_host(assessed):
    lab, _, _ = assessed
    for host in EXPECTED:
        commands = [e for e in lab.log(host) if e["op"] == "Command"]
        assert len(commands) == 1, (host, commands)
        assert commands[0]["script"] == "stdin-script"


def test_assessment_changes_no_server(assessed):
    lab, _, before = assessed
    assert lab.digest() == before


def report_dir_of(run) -> Path:
    (result,) = run.results("Tell the playbook where the report is").values()
    return Path(result["ansible_facts"]["sync_report_path"])


def test_every_host_publishes_one_result(assessed):
    _, run, _ = assessed
    published = run.decided()
    assert set(published) == set(EXPECTED)
    for host, fact in published.items():
        assert set(fact) == {"status", "cause", "decision"}, host  # the facts are in the detection's result
        assert fact["status"] == "assessed" and fact["cause"] is None
        assert fact["decision"]["path"] == EXPECTED[host][2]


def test_each_parallel_source_is_checked_against_its_own_ready_target(assessed):
    _, run, _ = assessed
    decisions = run.decided()
    for host, (_, _, path) in EXPECTED.items():
        if path == "parallel":
            ready = [r for r in decisions[host]["decision"]["reasons"] if r["rule"] == "R-PARALLEL-TARGET-READY"]
            assert ready and "assessed ready" in ready[0]["text"], (host, decisions[host]["decision"])


def test_reports_are_written_owner_only(assessed):
    lab, run, _ = assessed
    report_dir = report_dir_of(run)
    for name in ("report.json", "report.md", "report.html"):
        path = report_dir / name
        assert path.is_file(), path
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(report_dir).st_mode) == 0o700
    report = json.loads((report_dir / "report.json").read_text())
    assert {h["host"] for h in report["hosts"]} == set(EXPECTED)
    html = (report_dir / "report.html").read_text()
    # Microsoft's addresses appear as links and text in the sources section, never as something the page loads
    loaded = re.sub(r'<a href="https://[^"]*">|<small>https://[^<]*</small>', "", html)
    assert "dirsync-2008r2" in html and "http://" not in loaded and "https://" not in loaded


def test_check_mode_assessment_changes_nothing(lab):
    before = lab.digest()
    run = lab.playbook("playbooks/assess.yml", check=True)
    assert not run.failures(), run.data
    assert lab.digest() == before


def test_unreachable_host_is_reported_then_fails_the_run(lab, tmp_path):
    ghost = tmp_path / "ghost.yml"
    # a windows-group host whose WinRM port has no listener
    # (the lab's group vars find the CA relative to the inventory, so this one names it outright)
    ghost.write_text("all:\n  children:\n    windows:\n      hosts:\n        ghost-2019:\n"
                     f"          ansible_port: 25999\n          ansible_winrm_ca_trust_path: {lab.ca}\n")
    run = lab.playbook("playbooks/assess.yml", "-i", str(lab.inventory), "-i", str(ghost),
                       "--limit", "ghost-2019,connect23-2019")
    assert run.failures() == {"ghost-2019": 1}, run.stats  # after the report, with its cause
    detected = {host: result["sync_assess_result"] for host, result in run.results(DETECT).items()}
    assert detected["ghost-2019"]["status"] == "unreachable" and "Connection refused" in detected["ghost-2019"]["cause"]
    decision = run.decided()["ghost-2019"]["decision"]
    assert decision["path"] == "blocked" and decision["blockers"][0]["rule"] == "R-NOT-ASSESSED"
    assert detected["connect23-2019"]["status"] == "assessed"
    report = json.loads((report_dir_of(run) / "report.json").read_text())
    assert {h["host"] for h in report["hosts"]} == {"ghost-2019", "connect23-2019"}


SHOW_GROUPS = [
    {"name": "Assess", "hosts": "windows", "gather_facts": False,
     "roles": [{"role": "entra.sync_upgrade.sync_assess", "sync_assess_group_prefix": "path_"}]},
    {"name": "Show what the assessment left in the inventory", "hosts": "windows", "gather_facts": False,
     "tasks": [{"name": "Show", "ansible.builtin.debug": {"msg": {
         "groups": "{{ group_names | select('match', 'path_') }}", "result": "{{ sync_assess_result }}",
         "tool": "{{ ansible_facts.sync.tool }}",
         "assessed": "{{ groups['windows'] | map('extract', hostvars) | selectattr('sync_assess_result', 'defined')"
                     " | map(attribute='inventory_hostname') }}"}}}]},
]


def test_the_role_groups_each_host_by_its_path_and_publishes_its_result(lab):
    hosts = ["dirsync-2008r2", "target-2022", "connect23-2019", "connect-current-2022"]
    run = lab.playbook(SHOW_GROUPS, "--limit", ",".join(hosts), "-e", f"sync_assess_run_date={RUN_DATE}")
    assert not run.failures(), run.stats
    shown = {host: result["msg"] for host, result in run.results("Show").items()}
    assert set(shown) == set(hosts)
    for host, seen in shown.items():  # one group and one result per host, and the facts as sync_facts sets them
        assert seen["groups"] == [f"path_{EXPECTED[host][2]}"], (host, seen["groups"])
        assert seen["result"]["decision"]["path"] == EXPECTED[host][2]
        assert set(seen["result"]) == {"status", "cause", "facts", "decision"}, host
        assert seen["tool"] == EXPECTED[host][0] == seen["result"]["facts"]["tool"]
        assert sorted(seen["assessed"]) == sorted(hosts)  # a host left out of the run has no result at all


def test_a_group_prefix_that_makes_no_group_name_stops_before_any_host_is_contacted(lab):
    lab.clear_log("connect23-2019")
    run = lab.playbook(SHOW_GROUPS, "--limit", "connect23-2019", "-e", "sync_assess_group_prefix='path '")
    (failed,) = run.results("Detect the sync tool (one read-only WinRM command) unless the connection is unsafe").values()
    assert "sync_assess_group_prefix 'path ' does not make a valid group name" in failed["msg"], failed
    assert lab.log("connect23-2019") == []


def test_sync_facts_documentation_is_readable_by_ansible_doc():
    import subprocess

    from tests.labfixture import BIN, REPO, env

    out = subprocess.run([str(BIN / "ansible-doc"), "entra.sync_upgrade.sync_facts"], cwd=REPO, env=env(),
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    for section in ("fail_unreachable", "EXAMPLES", "RETURN VALUES", "object_count_source"):
        assert section in out.stdout, section
