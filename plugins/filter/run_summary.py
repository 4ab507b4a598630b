# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter: the short summary a run ends with (plugins/plugin_utils/_run_summary.py; the callback prints it)."""

from __future__ import annotations

from ansible_collections.entra.sync_upgrade.plugins.plugin_utils._run_summary import summary_lines

DOCUMENTATION = r"""
name: run_summary
short_description: The short end-of-run summary of a fleet report
description:
  - Turns O(_input), the report of the C(entra.sync_upgrade.fleet_report) filter, into a few lines of text
    for one screen - servers per decision, the state of the upgrade, cutover or rollback, the servers that need
    action (not assessed, blocked, stopped, waiting at a handoff; at most ten named) and the report's files.
  - Role C(entra.sync_upgrade.sync_report) stores the lines with C(ansible.builtin.set_stats) and the callback
    C(entra.sync_upgrade.run_summary) prints them after the play recap.
options:
  _input:
    description: The fleet report.
    type: dict
    required: true
  folder:
    description: The folder the report was written to.
    type: path
    required: true
  formats:
    description: The report formats written (C(html), C(markdown), C(json)).
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: The end-of-run summary
  ansible.builtin.debug:
    msg: "{{ report | entra.sync_upgrade.run_summary(sync_report_path, ['html', 'json']) }}"
"""

RETURN = r"""
_value:
  description: The summary's lines.
  type: list
  elements: str
"""


def run_summary(report, folder, formats):
    return summary_lines(report, str(folder), list(formats or []))


class FilterModule:
    def filters(self):
        return {"run_summary": run_summary}
