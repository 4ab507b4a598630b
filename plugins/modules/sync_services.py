#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation stub: the work is done on the controller by plugins/action/sync_services.py.

DOCUMENTATION = r"""
module: sync_services
short_description: Set Windows services' start mode and state on any sync server (PowerShell 2.0 and later)
description:
  - Reads each named service (C(Win32_Service); C(delayed) where C(DelayedAutostart) is 1) and, where it differs
    from what is wanted, stops it, sets its start mode and starts it, in the order given (stop a scheduler before
    its engine; start them the other way round).
  - For the servers ansible.windows.win_service cannot reach (it needs PowerShell 5.1; DirSync and Azure AD Sync
    servers run 2.0 to 4.0). Uses the project's PowerShell 2.0-safe script over the host's raw WinRM connection.
  - Used by the cutover (the old engine stopped and disabled) and the rollback (it back as its backup recorded).
version_added: 0.4.0
options:
  services:
    description: The services, in the order they are changed.
    type: list
    elements: dict
    required: true
    suboptions:
      name: {description: The service's short name., type: str, required: true}
      start_mode: {description: The start mode wanted (unchanged when not given)., type: str,
                   choices: [auto, delayed, manual, disabled]}
      state: {description: The state wanted (unchanged when not given)., type: str, choices: [running, stopped]}
  missing:
    description: A named service that does not exist fails the task (C(fail)) or is reported and left (C(ignore)).
    type: str
    default: fail
    choices: [fail, ignore]
attributes:
  check_mode: {support: full, description: Reads the services and lists what would change.}
  diff_mode: {support: none, description: C(before) and C(after) carry every service's state.}
  platform: {platforms: windows}
notes:
  - Idempotent - a service already as wanted is C(unchanged). A change that does not hold (the service stops
    again, or refuses to start) fails with the host's own words.
author: [entra-sync-upgrade developers]
"""

EXAMPLES = r"""
- name: Stop and disable DirSync's scheduler and engine
  entra.sync_upgrade.sync_services:
    services:
      - {name: MSOnline, start_mode: disabled, state: stopped}
      - {name: FIMSynchronizationService, start_mode: disabled, state: stopped}
"""

RETURN = r"""
status:
  description: C(done), C(unchanged), C(planned) (check mode), C(failed).
  returned: always
  type: str
cause:
  description: Why it failed (the host's error, a change that did not hold); null otherwise.
  returned: always
  type: str
before:
  description: Each service as read first - name, exists, state (running, stopped, paused), start_mode.
  returned: always
  type: list
  elements: dict
after:
  description: Each service afterwards (in check mode, as read).
  returned: always
  type: list
  elements: dict
evidence:
  description: One line on what changed or what was seen, for the report.
  returned: success
  type: str
plan:
  description: In check mode, what would change.
  returned: check mode
  type: list
  elements: str
"""
