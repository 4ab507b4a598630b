# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sync_decide: the upgrade path for one host, from its assessment and the lifecycle policy. Controller only.

The engine (plugin_utils/_decide.py) does all the judging and checks its own inputs; this plugin only reads the
task's arguments and the policy file.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible_collections.entra.sync_upgrade.plugins.plugin_utils import _decide

ARGUMENT_SPEC = {
    "facts": {"type": "dict", "required": False},
    "status": {"type": "str", "choices": list(_decide.STATUSES), "default": "assessed"},
    "cause": {"type": "str", "required": False},
    "policy_file": {"type": "path", "required": False},
    "forced_path": {"type": "str", "choices": ["auto", "in_place", "parallel"], "default": "auto"},
    "accept_in_place_risk": {"type": "bool", "default": False},
    "target_host": {"type": "str", "required": False},
    "run_date": {"type": "str", "required": False},
    "inventory_hosts": {"type": "list", "elements": "str", "required": False},
    "target_assessment": {"type": "dict", "required": False},
    "target_claimed_by": {"type": "list", "elements": "str", "default": []},
    "source_host": {"type": "str", "required": False},
    "tenant_servers": {"type": "list", "elements": "dict", "required": False},
}


class ActionModule(ActionBase):
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        result = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        options = {key: args[key] for key in ("status", "cause", "forced_path", "accept_in_place_risk",
                                              "inventory_hosts", "target_assessment", "target_claimed_by", "source_host",
                                              "tenant_servers")}
        options["target_host"] = (args["target_host"] or "").strip() or None
        try:
            policy = _decide.load_policy(args["policy_file"] or _decide.DEFAULT_POLICY)
            decision = _decide.decide(args["facts"] or {}, policy, options,
                                      args["run_date"] or _decide.dt.date.today())
        except ValueError as exc:
            result.update(failed=True, msg=f"cannot decide: {exc}")
            return result
        result.update(changed=False, decision=decision)
        return result
