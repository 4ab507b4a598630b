"""A run ends with its short summary, after the recap (callback entra.sync_upgrade.run_summary, enabled in
ansible.cfg): the last lines a person sees, with the real console output (the default callback, not the tests'
JSON one). One limited assessment: the cheapest run that writes a report."""

from __future__ import annotations

import subprocess

from tests.labfixture import BIN, REPO, env


def test_the_run_ends_with_the_summary_and_the_report_path(lab, tmp_path):
    host = "connect-core-2022"  # blocked: it is named under "needs action"
    proc = subprocess.run([str(BIN / "ansible-playbook"), "playbooks/assess.yml", "--limit", host,
                           "-e", f"sync_report_dir={tmp_path}"], cwd=REPO, capture_output=True, text=True,
                          env={**env(), "ANSIBLE_STDOUT_CALLBACK": "default"}, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    tail = proc.stdout.rstrip().splitlines()
    start = max(i for i, line in enumerate(tail) if line.startswith("SUMMARY "))
    summary = tail[start:]
    assert "PLAY RECAP" in "\n".join(tail[:start]), "the summary comes after the recap"
    assert summary[0] == "SUMMARY (assessment): 1 server of 17 in the inventory (--limit)"
    assert summary[1] == "  decision: 1 blocked"
    assert summary[-3] == "  needs action (1):" and summary[-2].startswith(f"    {host}  blocked")
    folder = summary[-1].removeprefix("  report: ").split(" ")[0]
    assert summary[-1].startswith(f"  report: {tmp_path}/") and (tmp_path / folder).is_file(), summary[-1]
