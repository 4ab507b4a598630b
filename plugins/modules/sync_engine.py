#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation stub: the work is done on the controller by plugins/action/sync_engine.py.

DOCUMENTATION = r"""
module: sync_engine
short_description: Read and control a sync server's engine (scheduler, sync cycles, run history, auto-upgrade)
description:
  - C(status) reads the engine's version, scheduler (enabled, suspended, staging), whether a cycle is running,
    the auto-upgrade state and the last C(history) run profile results per connector.
  - C(scheduler) turns the scheduler on or off. Entra Connect - C(Set-ADSyncScheduler -SyncCycleEnabled);
    Azure AD Sync - the Task Scheduler task C(Azure AD Sync Scheduler) (enabled or disabled); DirSync - its
    scheduler service C(MSOnline), stopped and disabled while suspended, and restored to the start mode and state
    it had, recorded on the server under C(HKLM\SOFTWARE\EntraSyncUpgrade\DirSyncScheduler).
  - C(cycle) starts C(Start-ADSyncSyncCycle -PolicyType Delta|Initial) on Entra Connect, waits until the engine
    is idle and returns the run profile results of that cycle. A staging server imports and synchronizes but never
    exports. Cycles on Azure AD Sync and DirSync are not run by the toolkit (the task fails and says so).
  - C(pending_exports) reads what each connector would export, as Microsoft's staging-server guide reviews it
    before a staging server goes active - C(csexport.exe "<connector>" <file> /f:x) per connector, its pending
    export deltas counted as adds (C(add)), updates (C(update), C(replace)) and deletes (C(delete), C(delete-add)).
    Read-only; Entra Connect only.
  - C(auto_upgrade) sets C(Set-ADSyncAutoUpgrade -AutoUpgradeState Enabled|Disabled) (Entra Connect only;
    C(Suspended) is set by the system, never by the toolkit).
  - Uses the project's PowerShell 2.0-safe script over the host's raw WinRM connection. The ADSync cmdlets need
    PowerShell 3.0 or later (the module is a .NET 4 assembly); on PowerShell 2.0 only DirSync's operations run.
  - What each operation runs per tool, with Microsoft's sources, is in docs/engine-control.md.
version_added: 0.3.0
options:
  operation:
    description:
      - What to do. C(suspend) turns sync cycles off for an upgrade and records on the server, once, how the
        scheduler was (C(HKLM\\SOFTWARE\\EntraSyncUpgrade\\Scheduler); DirSync C(...\\DirSyncScheduler));
        C(resume) puts it back as recorded (C(unchanged) without a record, or when it already is); C(close)
        removes the record once the upgrade's delta cycle has succeeded. An upgrade stopped anywhere in between
        is finished by a later run (detection reports the record as C(unfinished_upgrade)).
    type: str
    required: true
    choices: [status, scheduler, suspend, resume, close, cycle, auto_upgrade, pending_exports]
  tool:
    description: The sync tool the assessment found (C(sync.tool) of sync_facts).
    type: str
    required: true
    choices: [connect, aadsync, dirsync]
  enabled:
    description: For C(scheduler), whether the scheduler runs sync cycles.
    type: bool
  policy:
    description: For C(cycle), C(delta) (delta import, delta sync, export) or C(initial) (full import, full sync, export).
    type: str
    default: delta
    choices: [delta, initial]
  state:
    description: For C(auto_upgrade), the state wanted.
    type: str
    choices: [Enabled, Disabled]
  history:
    description: For C(status), how many run profile results to read per connector (0 = none).
    type: int
    default: 3
  wait_timeout_seconds:
    description: For C(cycle), how long to wait for a running cycle and then for the new one to end.
    type: int
    default: 3600
  poll_seconds:
    description: For C(cycle), seconds between two looks at the engine while waiting.
    type: float
    default: 15
  fail_on_errors:
    description:
      - Fail the task when a run profile result is not C(success) (for C(status), the newest result per connector
        and run profile; for C(cycle), every run of the cycle), naming the connector and run profile.
    type: bool
    default: true
attributes:
  check_mode: {support: full, description: Reads the engine and reports what would change; starts and sets nothing.}
  diff_mode: {support: none, description: C(before) and C(after) carry the engine's state.}
  platform: {platforms: windows}
notes:
  - Idempotent, from the engine's state read first - a scheduler or auto-upgrade state that is already as wanted is
    C(unchanged). A cycle always runs (C(changed)). C(suspend) and C(resume) are idempotent through the record.
author: [entra-sync-upgrade developers]
"""

EXAMPLES = r"""
- name: Suspend the scheduler before the upgrade
  entra.sync_upgrade.sync_engine:
    operation: scheduler
    tool: "{{ sync.tool }}"
    enabled: false

- name: Run a delta cycle and check its results
  entra.sync_upgrade.sync_engine:
    operation: cycle
    tool: connect
    policy: delta
    poll_seconds: 10
"""

RETURN = r"""
status:
  description: C(done), C(unchanged), C(planned) (check mode), C(failed).
  returned: always
  type: str
cause:
  description: Why the operation failed (the host's error, a run that did not succeed, a timeout); null otherwise.
  returned: always
  type: str
before:
  description: The engine's state before - tool, version, scheduler (enabled, suspended, staging; DirSync also
    service), in_progress, running (connectors), auto_upgrade. Null when it could not be read.
  returned: always
  type: dict
after:
  description: The engine's state after (in check mode, as planned).
  returned: always
  type: dict
runs:
  description: Run profile results, oldest first, each connector, run_profile, result, start, end (UTC, ISO 8601).
    For C(cycle) the runs of that cycle; for C(status) the history read.
  returned: always
  type: list
  elements: dict
last_runs:
  description: For C(status), each connector's newest run profile result.
  returned: when operation is status
  type: list
  elements: dict
initial_done:
  description: For C(status), every connector in the history read has a successful Full Import and Full
    Synchronization (a new server's first cycle has run).
  returned: when operation is status
  type: bool
evidence:
  description: One line on what the operation saw or did, for the report.
  returned: success
  type: str
plan:
  description: In check mode, what would be done.
  returned: check mode
  type: list
  elements: str
pending:
  description: For C(pending_exports), each connector with its counts of C(add), C(update) and C(delete).
  returned: when operation is pending_exports
  type: list
  elements: dict
totals:
  description: For C(pending_exports), the counts over every connector (C(add), C(update), C(delete)).
  returned: when operation is pending_exports
  type: dict
failed_runs:
  description: The runs among C(runs) (for C(status), the newest per connector and run profile) whose result is not
    C(success).
  returned: always
  type: list
  elements: dict
"""
