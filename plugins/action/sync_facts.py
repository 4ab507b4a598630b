# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sync_facts: one read-only probe over the host's WinRM connection, classified on the controller.

The probe is plain PowerShell 2.0 sent through the connection's low-level command, not an Ansible
module, because Ansible's module wrapper needs PowerShell 5.1 and legacy sync servers have 2.0-4.0.
"""

from __future__ import annotations

from ansible.errors import AnsibleConnectionFailure
from ansible.plugins.action import ActionBase
from ansible_collections.entra.sync_upgrade.plugins.plugin_utils import _classify, _evidence, _probe

ARGUMENT_SPEC = {"fail_unreachable": {"type": "bool", "default": False}}


class ActionModule(ActionBase):
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True  # read-only: the same probe runs in check mode
        result = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)

        script = _probe.build_probe(_evidence.build_request())
        try:
            out = self._low_level_execute_command(
                _probe.command_line(), in_data=script.encode("utf-8"), sudoable=False
            )
        except AnsibleConnectionFailure as exc:
            if args["fail_unreachable"]:
                raise
            result.update(changed=False, reachable=False, msg=f"host unreachable over WinRM: {exc}",
                          ansible_facts={"sync_reachable": False})
            return result

        if out["rc"] != 0:
            result.update(failed=True, reachable=True, rc=out["rc"],
                          msg=f"the detection probe failed (rc {out['rc']}): {out['stderr'].strip()[:2000]}")
            return result
        try:
            evidence = _probe.parse_output(out["stdout"])
        except ValueError as exc:
            result.update(failed=True, reachable=True, msg=f"the detection probe printed no evidence: {exc}",
                          stdout=out["stdout"][:2000])
            return result

        facts = _classify.classify(evidence)
        result.update(changed=False, reachable=True, ansible_facts={"sync": facts, "sync_reachable": True})
        if facts.get("warnings"):
            result["warnings"] = list(facts["warnings"])
        return result
