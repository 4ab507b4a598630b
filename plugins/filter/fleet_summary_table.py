# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter: the fleet report as a fixed-width text table (its own file, so ansible-doc shows its own documentation)."""

from __future__ import annotations

from ansible_collections.entra.sync_upgrade.plugins.plugin_utils._report import summary_table

DOCUMENTATION = r"""
name: fleet_summary_table
short_description: The fleet report as a fixed-width text table, for the end of a run
description:
  - Turns O(_input), the report of C(entra.sync_upgrade.fleet_report), into a table with one row per host - host,
    tool, version, OS, objects, status (the path, or why the host was not assessed), urgency and, when the report
    has upgrade steps, prepare and upgrade - followed by the counts by status and the hosts that need attention.
options:
  _input:
    description: The report of C(entra.sync_upgrade.fleet_report).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Print the report as a table
  ansible.builtin.debug:
    msg: "{{ report | entra.sync_upgrade.fleet_summary_table }}"
"""

RETURN = r"""
_value:
  description: The table, lines separated by newlines.
  type: str
"""


def fleet_summary_table(report):
    return summary_table(report)


class FilterModule:
    def filters(self):
        return {"fleet_summary_table": fleet_summary_table}
