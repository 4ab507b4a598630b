# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sync_facts: one read-only probe over the host's WinRM connection, classified on the controller.

The probe is plain PowerShell 2.0 sent through the connection's low-level command, not an Ansible
module, because Ansible's module wrapper needs PowerShell 5.1 and legacy sync servers have 2.0-4.0.
A host that cannot be assessed is not a failed task: the result says why (status and cause), so that the
decision and the report still cover it; the playbook fails such hosts once the report is written.
"""

from __future__ import annotations

from ansible.errors import AnsibleConnectionFailure, AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible_collections.entra.sync_upgrade.plugins.plugin_utils import _classify, _evidence, _probe, _status

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
        except AnsibleError as exc:
            # the winrm plugin raises AnsibleConnectionFailure, and a plain AnsibleError when the connection
            # attempt times out; any other error is not about reaching the host
            if not isinstance(exc, AnsibleConnectionFailure) and "timed out" not in to_text(exc):
                raise
            if args["fail_unreachable"]:
                raise
            status, cause = _status.connection_failure(to_text(exc))
            return {**result, "changed": False, "status": status, "cause": cause, "msg": cause}

        if out["rc"] != 0:
            cause = _status.probe_failure(out["rc"], to_text(out["stderr"]), to_text(out["stdout"]))
            return {**result, "changed": False, "status": _status.PROBE_FAILED, "cause": cause, "msg": cause}
        try:
            evidence = _probe.parse_output(out["stdout"])
        except ValueError as exc:
            cause = f"the detection probe printed no evidence: {exc}"
            return {**result, "changed": False, "status": _status.PROBE_FAILED, "cause": cause, "msg": cause}

        facts = _classify.classify(evidence)
        result.update(changed=False, status=_status.ASSESSED, cause=None, ansible_facts={"sync": facts})
        if facts.get("warnings"):
            result["warnings"] = list(facts["warnings"])
        return result
