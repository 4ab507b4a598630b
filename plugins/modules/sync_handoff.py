#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation stub: the work is done on the controller by plugins/action/sync_handoff.py.

DOCUMENTATION = r"""
module: sync_handoff
short_description: Hand a wizard step to the operator, then wait until detection proves it done, or stop
description:
  - Microsoft supports the Entra Connect wizard only interactively. This hands one wizard step to the operator;
    the instructions go to the run output and to a note on the server's all-users desktop
    (C(%PUBLIC%\Desktop\entra-sync-upgrade-<step>.txt), ASCII, CRLF; the format is in docs/handoff.md).
  - Every run first probes the host with the detection probe of M(entra.sync_upgrade.sync_facts) and checks
    O(expect) against the C(sync) facts. A step already done is C(unchanged) (its note removed), so running the
    playbook again after any interruption is safe.
  - In C(wait) mode the host is probed every O(poll_seconds) until the expectation holds (C(done), note
    removed) or O(timeout_minutes) pass (C(failed), naming the host, the step, what was expected and what was
    seen). A probe that fails while waiting (the host restarts during an upgrade) is retried at the next poll.
  - In C(stop) mode the result is C(waiting) and the caller ends the host's run; the next run of the same
    playbook continues. In AWX the same point is an approval node (stop, approve, re-run equals wait).
  - Uses the project's PowerShell 2.0-safe scripts over the host's raw WinRM connection, like sync_facts.
  - A failure is reported in C(status) and C(cause), not as a failed task, so the caller can record it first.
version_added: 0.3.0
options:
  step:
    description: The step's id; the lab's operator knows each.
    type: str
    required: true
    choices: [upgrade, auto_upgrade, wizard_files, dirsync_export, install_import, install_migrate, install_manual, staging_on, staging_off]
  title:
    description: A one-line title for the run output and the report (default the step id).
    type: str
  instructions:
    description: What the operator does, one printable ASCII line per instruction (numbered in the note). Required
      for C(wait) and C(stop).
    type: list
    elements: str
  parameters:
    description:
      - The step's values, one line each in the note, the name, a colon and the value (Installer, Settings, Source, Export-To,
        Staging, ...). Names are letters, digits and C(-); values one line of printable ASCII text (quote
        C(on) and C(off), which YAML reads as booleans, refused here).
    type: dict
    default: {}
  expect:
    description:
      - What the run sees once the step is done; all must hold. Each check is a dict with C(fact) (a dotted
        path into the C(sync) facts; in a list of named entries the next part is a name, as in
        C(services.ADSync.state) or C(connectors.contoso.com.type), names in any case),
        exactly one of C(equals), C(at_least) (versions, numerically), C(includes) (a name or list of names
        present in a list such as C(connectors)), C(count_at_least) (a list's length), and C(text) (what it
        means, shown to the operator; generated when missing).
      - C(files.<path>.exists) waits for a file the step writes (e.g. DirSync's exported settings); the probe then
        also reads that path.
      - Required for C(wait) and C(stop).
    type: list
    elements: dict
  mode:
    description:
      - C(wait) polls until done or the timeout; C(stop) returns C(waiting) at once.
      - C(withdraw) takes the step's note off the desktop without probing (C(withdrawn), or C(unchanged) when there
        is none), for a step that is no longer wanted, such as a cutover's "staging mode off" after a rollback.
    type: str
    choices: [wait, stop, withdraw]
    default: wait
  timeout_minutes:
    description: How long C(wait) mode waits (fractions allowed).
    type: float
    default: 60
  poll_seconds:
    description: How often C(wait) mode probes (fractions allowed).
    type: float
    default: 30
  note_folder:
    description: The folder of the note on the server; environment variables are expanded there.
    type: str
    default: '%PUBLIC%\Desktop'
attributes:
  check_mode: {support: full, description: Probes and reads the note; reports C(planned) and writes nothing.}
  diff_mode: {support: none, description: The note is reported in the result.}
  platform: {platforms: windows}
notes:
  - C(changed) is true when the note was written or removed (in check mode, when it would be).
author: [entra-sync-upgrade developers]
"""

EXAMPLES = r"""
- name: Hand the in-place upgrade to the operator and wait for the new version
  entra.sync_upgrade.sync_handoff:
    step: upgrade
    title: Upgrade Entra Connect in place
    instructions:
      - Log on to the server as a local administrator.
      - Run C:\ProgramData\EntraSyncUpgrade\installer\AzureADConnect.msi and choose Upgrade.
    parameters:
      Installer: C:\ProgramData\EntraSyncUpgrade\installer\AzureADConnect.msi
    expect:
      - {fact: version, at_least: 2.5.190.0, text: the engine reports version 2.5.190.0 or later}
      - {fact: services.ADSync.state, equals: running, text: the ADSync service runs}
    mode: wait
    timeout_minutes: 120
  register: __handoff
"""

RETURN = r"""
status:
  description: C(planned) (check mode), C(unchanged) (already done; for withdraw, no note), C(waiting) (stop mode), C(done), C(withdrawn), C(failed).
  returned: always
  type: str
cause:
  description: Why the step failed (host, step, what was expected, what was seen); null otherwise.
  returned: always
  type: str
step:
  description: The step's id.
  returned: always
  type: str
title:
  description: The step's title.
  returned: always
  type: str
mode:
  description: The mode used.
  returned: always
  type: str
instructions:
  description: The instructions as given.
  returned: always
  type: list
  elements: str
parameters:
  description: The parameters, as text.
  returned: always
  type: dict
expect:
  description: The checks, normalised (fact, op, expected, text).
  returned: always
  type: list
  elements: dict
observed:
  description: Each checked fact as last seen (null when the facts do not have it).
  returned: always
  type: dict
checks:
  description: Each check with C(seen) and C(ok).
  returned: always
  type: list
  elements: dict
note_path:
  description: The note's path on the server (where it is, was or would be written).
  returned: always
  type: str
issued:
  description: When the note the operator has was issued (UTC, ISO 8601); null when no note was written.
  returned: always
  type: str
waited_seconds:
  description: Seconds waited in C(wait) mode.
  returned: always
  type: float
"""
