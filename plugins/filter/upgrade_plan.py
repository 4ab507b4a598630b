# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters: the upgrade's plan knowledge (plugin_utils/_upgrade_plan.py) for the roles."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.entra.sync_upgrade.plugins.plugin_utils import _upgrade_plan


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
