"""Filters for the fleet assessment report (role entra.sync_upgrade.sync_report).

The logic lives in plugins/plugin_utils/_report.py (plain Python, unit tested); this file only exposes it.
"""

from __future__ import annotations

from ansible_collections.entra.sync_upgrade.plugins.plugin_utils._report import build_report, summary_table

DOCUMENTATION = r"""
name: fleet_report
short_description: Build the fleet assessment report from hostvars
description:
  - Collects C(ansible_facts.sync), C(sync_assess_decision) and C(sync_assess_reachable) of every host in O(hosts) into one
    report dictionary, hosts sorted by urgency (stopped, degraded, unknown, due, ok) then by name.
  - An unreachable host (C(sync_assess_reachable=false)) or one missing from O(_input) is reported as unreachable.
  - The companion filter C(entra.sync_upgrade.fleet_summary_table) turns the report into a fixed-width text table.
options:
  _input:
    description: The C(hostvars) magic variable.
    type: dict
    required: true
  hosts:
    description: Inventory names of the hosts to report on.
    type: list
    elements: str
    required: true
  generated_at:
    description: When the report was generated (ISO 8601, controller clock).
    type: str
    required: true
  run_date:
    description: The run date (YYYY-MM-DD) deadlines are counted from, for display.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Build the report
  ansible.builtin.set_fact:
    report: "{{ hostvars | entra.sync_upgrade.fleet_report(groups['windows'], '2026-11-25T22:15:00Z', '2026-11-25') }}"

- name: Print it as a table
  ansible.builtin.debug:
    msg: "{{ report | entra.sync_upgrade.fleet_summary_table }}"
"""

RETURN = r"""
_value:
  description: >-
    C(generated_at), C(run_date), C(summary) (total, reachable, unreachable, by_path, by_tool, by_urgency,
    past_deadline, past_deadline_hosts) and C(hosts) (one dictionary per host).
  type: dict
"""


def fleet_report(hostvars, hosts, generated_at, run_date):
    return build_report(hostvars, hosts, generated_at, run_date)


def fleet_summary_table(report):
    return summary_table(report)


class FilterModule:
    def filters(self):
        return {"fleet_report": fleet_report, "fleet_summary_table": fleet_summary_table}
