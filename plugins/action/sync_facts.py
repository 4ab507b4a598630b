# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sync_facts: one read-only probe over the host's WinRM connection, classified on the controller.

The probe is plain PowerShell 2.0 sent through the connection's low-level command, not an Ansible
module, because Ansible's module wrapper needs PowerShell 5.1 and legacy sync servers have 2.0-4.0.
A host that cannot be assessed is not a failed task: the result says why (status and cause), so that the
decision and the report still cover it; the playbook fails such hosts once the report is written.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible_collections.entra.sync_upgrade.plugins.plugin_utils import _detect

ARGUMENT_SPEC = {"fail_unreachable": {"type": "bool", "default": False}}


class ActionModule(ActionBase):
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True  # read-only: the same probe runs in check mode
        result = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)

        found = _detect.detect(self, fail_unreachable=args["fail_unreachable"])
        if not found.assessed:
            return {**result, "changed": False, "status": found.status, "cause": found.cause, "msg": found.cause}
        result.update(changed=False, status=found.status, cause=None, ansible_facts={"sync": found.facts})
        if found.warnings:
            result["warnings"] = list(found.warnings)
        return result
