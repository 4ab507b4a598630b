# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter: a role's published result with one more recorded step (what was done, with its evidence)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: add_step
short_description: Add one recorded step to a role's published result
description:
  - Returns a copy of O(_input) (a result with C(steps) and C(plan) lists, such as C(sync_cutover_result)) with the
    step C({name, status, evidence, plan}) appended, so the report shows what was done even when a later step stops
    the run. C(status) is the task result's own, else C(unchanged) for a skipped task and C(done) otherwise;
    C(evidence) is its C(evidence), else its C(msg).
options:
  _input:
    description: The result to add to.
    type: dict
    required: true
  name:
    description: The step's name as the report shows it.
    type: str
    required: true
  task_result:
    description: The registered task result (or a dict with C(status), C(evidence), C(plan)).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Record the step
  ansible.builtin.set_fact:
    sync_cutover_result: "{{ sync_cutover_result | entra.sync_upgrade.add_step('old engine stopped', __stop) }}"
"""

RETURN = r"""
_value:
  description: The result with the step added to C(steps) and its plan lines to C(plan).
  type: dict
"""


def add_step(result: dict, name: str, task_result: dict) -> dict:
    task_result = task_result or {}
    status = task_result.get("status") or ("unchanged" if task_result.get("skipped") else "done")
    evidence = task_result.get("evidence") or task_result.get("msg") or ""
    plan = list(task_result.get("plan") or [])
    return {**result, "steps": [*(result.get("steps") or []),
                                {"name": name, "status": status, "evidence": evidence, "plan": plan}],
            "plan": [*(result.get("plan") or []), *plan]}


class FilterModule:
    def filters(self):
        return {"add_step": add_step}
