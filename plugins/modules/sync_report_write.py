#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation stub: the work is done on the controller by plugins/action/sync_report_write.py.

DOCUMENTATION = r"""
module: sync_report_write
short_description: Write a fleet report's files on the controller, owner-only, in one task
description:
  - The writer of the role C(entra.sync_upgrade.sync_report), which is how to use it; this page documents its contract.
  - Creates O(dir) (mode 0700, also set on an existing folder) and in it a new folder of the run's own, named
    O(prefix) and a random part (never shared with another run), writes each of O(formats) into it (mode 0600 from
    creation), and points O(dir)C(/latest) at the folder (a relative link, replaced in one rename).
  - C(report.json) is the report as C(ansible.builtin.to_nice_json) writes it; C(report.md) and C(report.html) are
    the role's templates C(report.md.j2) and C(report.html.j2) (plain Jinja), rendered as M(ansible.builtin.template)
    renders them, with C(__sync_report) and, when given, C(sync_report_title).
  - One task instead of six module runs, each a Python process of its own (docs/performance.md).
version_added: 0.1.0
options:
  report:
    description: The report, as the C(entra.sync_upgrade.fleet_report) filter builds it.
    type: dict
    required: true
  dir:
    description: The reports folder on the controller (absolute).
    type: path
    required: true
  prefix:
    description: The start of the run folder's name (the report time).
    type: str
    default: ""
  formats:
    description: The files to write.
    type: list
    elements: str
    choices: [json, markdown, html]
    default: [json, markdown, html]
  title:
    description: The report's title (C(sync_report_title) in the templates); omitted, the templates' own.
    type: str
attributes:
  check_mode: {support: full, description: Writes the local report under check mode too; it changes no server.}
  diff_mode: {support: none, description: No diff.}
  platform: {platforms: posix}
notes:
  - Always reports no change: the local report is not a change to any server.
seealso:
  - module: ansible.builtin.template
author: [entra-sync-upgrade developers]
"""

EXAMPLES = r"""
# The role builds the report and calls this; directly, on the controller, with a report the role's filter built:
- name: Write the report files
  entra.sync_upgrade.sync_report_write:
    report: >-
      {{ dict(ansible_play_hosts | zip(ansible_play_hosts | map('extract', hostvars, 'sync_assess_result')))
         | entra.sync_upgrade.fleet_report('2026-12-04T12:00:00Z', '2026-12-04') }}
    dir: /var/lib/entra-sync-upgrade/reports
    prefix: 20261204T120000Z-
    formats: [json, markdown]
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
path:
  description: The run's report folder.
  returned: success
  type: str
files:
  description: The files written, in the order of O(formats).
  returned: success
  type: list
  elements: str
"""
