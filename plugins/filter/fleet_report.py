"""Filters for the fleet assessment report (role entra.sync_upgrade.sync_report).

The logic lives in plugins/plugin_utils/_report.py (plain Python, unit tested); this file only exposes it.
"""

from __future__ import annotations

from ansible_collections.entra.sync_upgrade.plugins.plugin_utils._report import build_report

DOCUMENTATION = r"""
name: fleet_report
short_description: Build the fleet assessment report from the assessment results of one run
description:
  - Turns O(_input), a mapping of host name to that host's assessment result (C(sync_assess_result) of the
    C(entra.sync_upgrade.sync_assess) role - C(status), C(cause), C(facts), C(decision)), into one report
    dictionary, hosts sorted by urgency (stopped, degraded, unknown, due, ok) then by name.
  - The report covers exactly the hosts in O(_input). A host whose status is not C(assessed) is shown with its
    status and cause; a host with no result at all is C(incomplete).
  - The companion filter C(entra.sync_upgrade.fleet_summary_table) turns the report into a fixed-width text table.
options:
  _input:
    description: Host name -> assessment result, for the hosts of this run.
    type: dict
    required: true
  generated_at:
    description: When the report was generated (ISO 8601, controller clock).
    type: str
    required: true
  run_date:
    description: The run date (YYYY-MM-DD) deadlines are counted from, for display.
    type: str
    required: true
  inventory_total:
    description: How many hosts the inventory has, so that a run limited to fewer says so.
    type: int
  steps:
    description:
      - The upgrade run's step results, host name -> the C(entra.sync_upgrade.upgrade_steps) filter's result. With
        it each host gets C(prepare) (role, state ready, planned, missing or stopped, what is missing, each step's
        result) and the summary counts them. Null for an assessment-only report.
    type: dict
  run:
    description:
      - The playbook the steps come from. C(upgrade) (upgrade.yml) - C(prepare) and C(upgrade) per host;
        C(cutover) or C(rollback) (playbooks/cutover.yml, playbooks/rollback.yml) - C(change) on both servers of each
        pair (the new server's steps, state, where it waits or stopped, pending exports, what cannot be undone).
    type: str
    default: upgrade
    choices: [upgrade, cutover, rollback]
  context:
    description:
      - The C(entra.sync_upgrade.report_context) filter's result (toolkit version and commit, policy, rule glossary,
        controller). Adds C(provenance) and C(references).
    type: dict
  run_facts:
    description:
      - The run's own facts - C(controller), C(user), C(playbook), C(inventory_sources), C(limit), C(tags),
        C(check_mode), C(assess_only). Unset ones are reported as unknown.
    type: dict
  target_sources:
    description:
      - The C(entra.sync_upgrade.target_sources) filter's result (target -> the sources naming it). A target with
        two or more sources is a conflict, shown on each of them.
    type: dict
"""

EXAMPLES = r"""
- name: Build the report for the hosts of this play
  ansible.builtin.set_fact:
    report: >-
      {{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars)
         | map(attribute='sync_assess_result') | map('default', none)))
         | entra.sync_upgrade.fleet_report('2026-11-25T22:15:00Z', '2026-11-25', groups['all'] | length) }}

- name: Print it as a table
  ansible.builtin.debug:
    msg: "{{ report | entra.sync_upgrade.fleet_summary_table }}"
"""

RETURN = r"""
_value:
  description: >-
    C(generated_at), C(run_date), C(summary) (total, inventory_total, limited, assessed, not_assessed,
    not_assessed_hosts, by_status, by_path, by_tool, by_urgency, past_deadline, past_deadline_hosts, prepare,
    stopped_hosts), C(provenance), C(executive) (at_risk, proposes, decisions), C(caveats) (warnings shared by
    several hosts, said once), C(conflicts), C(references) (sources, policy entries, rule glossary) and C(hosts)
    (one dictionary per host, with C(assessment) {status, cause}, C(action), C(readiness_missing), C(target_host),
    C(conflict), the ordered C(plan), C(prepare) and C(upgrade)).
  type: dict
"""


def fleet_report(results, generated_at, run_date, inventory_total=None, steps=None, run="upgrade", context=None,
                 run_facts=None, target_sources=None):
    return build_report(results, generated_at, run_date, inventory_total, steps, run, context, run_facts,
                        target_sources)


class FilterModule:
    def filters(self):
        return {"fleet_report": fleet_report}
