"""benchmarks/profile_assess.py: reading profile_tasks' summary (no lab)."""

from __future__ import annotations

from benchmarks.profile_assess import task_times

OUTPUT = """PLAY RECAP *****
host-1                     : ok=2    changed=0    unreachable=0    failed=0

TASKS RECAP ********************************************************************
Friday 04 December 2026  11:29:52 +0000 (0:00:00.176)       0:00:05.572 *******
===============================================================================
entra.sync_upgrade.sync_assess : Detect the sync tool (one read-only WinRM command) --- 1.05s
entra.sync_upgrade.sync_report : Write report.html ---------------------- 0.79s
Fail the hosts that could not be assessed ------------------------------- 0.18s
"""


def test_task_times_reads_each_task_and_its_seconds_in_order():
    assert task_times(OUTPUT) == [
        ("entra.sync_upgrade.sync_assess : Detect the sync tool (one read-only WinRM command)", 1.05),
        ("entra.sync_upgrade.sync_report : Write report.html", 0.79),
        ("Fail the hosts that could not be assessed", 0.18)]
    assert task_times("PLAY RECAP\nhost : ok=1\n") == []
