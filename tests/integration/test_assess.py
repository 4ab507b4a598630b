"""playbooks/assess.yml end to end on every lab host: facts, decision, one WinRM command, the reports."""

from __future__ import annotations

import json
import os
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
    "target-2022": ("none", None, "none"),
}
RUN_DATE = "2026-11-25"


@pytest.fixture(scope="module")
def assessed(lab):
    lab.reset()
    before = lab.digest()
    run = lab.playbook("playbooks/assess.yml", "-e", f"sync_assess_run_date={RUN_DATE}")
    return lab, run, before


def test_every_host_is_detected_and_decided(assessed):
    lab, run, _ = assessed
    assert not run.failures(), run.data
    facts = run.results("Detect the sync tool (one read-only WinRM command, PowerShell 2.0-safe)")
    decisions = run.results("Decide the upgrade path by Microsoft's rules")
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
    sync = run.results("Detect the sync tool (one read-only WinRM command, PowerShell 2.0-safe)")[
        "dirsync-2008r2"]["ansible_facts"]["sync"]
    decision = run.results("Decide the upgrade path by Microsoft's rules")["dirsync-2008r2"]["decision"]
    assert sync["powershell_version"] == "2.0"
    assert sync["object_count"] == 30000
    assert any("OS" in r["rule"] for r in decision["reasons"]), decision["reasons"]


def test_blocked_host_names_the_variable_to_set(assessed):
    _, run, _ = assessed
    decision = run.results("Decide the upgrade path by Microsoft's rules")["connect-2025"]["decision"]
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


def test_reports_are_written_owner_only(assessed):
    lab, run, _ = assessed
    report_dir = Path(run.results("Tell the playbook where the report is")["localhost"]["ansible_facts"]["sync_report_path"])
    for name in ("report.json", "report.md", "report.html"):
        path = report_dir / name
        assert path.is_file(), path
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(report_dir).st_mode) == 0o700
    report = json.loads((report_dir / "report.json").read_text())
    assert {h["host"] for h in report["hosts"]} == set(EXPECTED)
    html = (report_dir / "report.html").read_text()
    assert "dirsync-2008r2" in html and "http://" not in html and "https://" not in html


def test_check_mode_assessment_changes_nothing(lab):
    before = lab.digest()
    run = lab.playbook("playbooks/assess.yml", check=True)
    assert not run.failures(), run.data
    assert lab.digest() == before


def test_unreachable_host_is_reported_not_fatal(lab, tmp_path):
    ghost = tmp_path / "ghost.yml"
    # a windows-group host whose WinRM port has no listener
    ghost.write_text("all:\n  children:\n    windows:\n      hosts:\n        ghost-2019:\n"
                     "          ansible_port: 25999\n")
    run = lab.playbook("playbooks/assess.yml", "-i", "inventories/lab/hosts.yml", "-i", str(ghost),
                       "--limit", "ghost-2019,connect23-2019,localhost")
    assert not run.failures(), run.data
    detected = run.results("Detect the sync tool (one read-only WinRM command, PowerShell 2.0-safe)")
    assert detected["ghost-2019"]["reachable"] is False
    assert "unreachable" in detected["ghost-2019"]["msg"]
    decision = run.results("Decide the upgrade path by Microsoft's rules")["ghost-2019"]["decision"]
    assert decision["path"] == "blocked"
    assert detected["connect23-2019"]["reachable"] is True


def test_sync_facts_documentation_is_readable_by_ansible_doc():
    import subprocess

    from tests.labfixture import BIN, REPO, env

    out = subprocess.run([str(BIN / "ansible-doc"), "entra.sync_upgrade.sync_facts"], cwd=REPO, env=env(),
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    for section in ("fail_unreachable", "EXAMPLES", "RETURN VALUES", "object_count_source"):
        assert section in out.stdout, section
