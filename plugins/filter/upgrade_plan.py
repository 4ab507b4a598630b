# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters: the upgrade's plan knowledge (plugin_utils/_upgrade_plan.py) for the roles."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.entra.sync_upgrade.plugins.plugin_utils import _upgrade_plan

DOCUMENTATION = r"""
name: handoff_step
short_description: The words and the expected state of one wizard step handed to an operator
description:
  - Returns C({step, title, instructions, parameters, expect}) for a wizard step (C(upgrade), C(wizard_files),
    C(dirsync_export), C(install_import), C(install_migrate), C(install_manual)), filled from O(_input) (the
    context: computer, installer, sha256, version and the step's own values). The same filter file also provides
    C(settings_method) (how a source's settings move to its parallel target) and C(auto_upgrade_eligibility)
    (whether Microsoft's automatic upgrade can carry a Connect server, by the conditions the facts show).
options:
  _input:
    description: The step's context.
    type: dict
    required: true
  step:
    description: The step id.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: The in-place upgrade's handoff
  ansible.builtin.set_fact:
    __step: "{{ {'computer': 'AADC01', 'installer': 'C:\\x.msi', 'version': '2.5.190.0'} | entra.sync_upgrade.handoff_step('upgrade') }}"
"""

RETURN = r"""
_value:
  description: C({step, title, instructions, parameters, expect}).
  type: dict
"""


def handoff_step(ctx, step):
    try:
        return _upgrade_plan.handoff_step(step, dict(ctx or {}))
    except (KeyError, ValueError) as exc:
        raise AnsibleFilterError(f"handoff_step {step}: missing or wrong context: {exc}") from None


def settings_method(facts):
    return _upgrade_plan.settings_method(facts)


def auto_upgrade_eligibility(facts):
    return _upgrade_plan.auto_upgrade_eligibility(facts)


class FilterModule:
    def filters(self):
        return {"handoff_step": handoff_step, "settings_method": settings_method,
                "auto_upgrade_eligibility": auto_upgrade_eligibility}
