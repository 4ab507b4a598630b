"""Filter: one host's step results of the upgrade run, for the report (docs/upgrade-run.md)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: upgrade_steps
short_description: Collect one host's step results of the upgrade run
description:
  - Reads the documented step results from one host's variables (an item of C(hostvars)) and returns them
    together, for the report. A step that did not run on the host is null.
options:
  _input:
    description: The host's variables (C(hostvars[host])).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Step results of every host of the run
  ansible.builtin.debug:
    msg: "{{ dict(hosts | zip(hosts | map('extract', hostvars) | map('entra.sync_upgrade.upgrade_steps'))) }}"
"""

RETURN = r"""
_value:
  description: >-
    C(source) (the server an install host serves, else null), C(backup), C(installer), C(prerequisites),
    C(upgrade), C(deploy), C(verify) (the C(sync_backup_result), C(sync_installer_result),
    C(sync_prerequisites_result), C(sync_upgrade_in_place_result), C(sync_deploy_parallel_result), C(sync_verify_result) facts),
    C(waiting) (C(sync_handoff_waiting): the handoff a host waits at), C(stopped) (C(sync_upgrade_stopped): step
    and cause), C(cutover) and C(rollback) (C(sync_cutover_result), C(sync_rollback_result): run on a new server
    by playbooks/cutover.yml and playbooks/rollback.yml), each null when absent.
  type: dict
"""

STEP_FACTS = {"backup": "sync_backup_result", "installer": "sync_installer_result",
              "prerequisites": "sync_prerequisites_result", "upgrade": "sync_upgrade_in_place_result",
              "deploy": "sync_deploy_parallel_result", "verify": "sync_verify_result", "waiting": "sync_handoff_waiting",
              "stopped": "sync_upgrade_stopped", "cutover": "sync_cutover_result", "rollback": "sync_rollback_result"}


def upgrade_steps(host_vars) -> dict:
    steps = {step: host_vars.get(fact) for step, fact in STEP_FACTS.items()}
    steps["source"] = host_vars.get("sync_upgrade_source") or None
    return steps


class FilterModule:
    def filters(self):
        return {"upgrade_steps": upgrade_steps}
