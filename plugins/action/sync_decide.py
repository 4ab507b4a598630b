# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sync_decide: the upgrade path for one host, from its facts and the lifecycle policy. Controller only."""

from __future__ import annotations

import datetime as dt

from ansible.plugins.action import ActionBase
from ansible_collections.entra.sync_upgrade.plugins.plugin_utils import _decide

ARGUMENT_SPEC = {
    "facts": {"type": "dict", "required": False},
    "reachable": {"type": "bool", "default": True},
    "policy_file": {"type": "path", "required": True},
    "forced_path": {"type": "str", "choices": ["auto", "in_place", "parallel"], "default": "auto"},
    "accept_in_place_risk": {"type": "bool", "default": False},
    "target_host": {"type": "str", "required": False},
    "run_date": {"type": "str", "required": False},
}


class ActionModule(ActionBase):
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        result = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        try:
            policy = _decide.load_policy(args["policy_file"])
            today = dt.date.fromisoformat(args["run_date"]) if args["run_date"] else dt.date.today()
        except (OSError, ValueError) as exc:
            result.update(failed=True, msg=f"cannot read the decision inputs: {exc}")
            return result

        target = args["target_host"] or None
        inventory = set((task_vars or {}).get("groups", {}).get("all", []))
        options = {
            "forced_path": None if args["forced_path"] == "auto" else args["forced_path"],
            "accept_in_place_risk": args["accept_in_place_risk"],
            "target_host": target if (target in inventory or not inventory) else None,
            "unreachable": not args["reachable"],
        }
        decision = _decide.decide(args["facts"] or {}, policy, options, today)
        if target and inventory and target not in inventory and decision.get("path") == "blocked":
            decision.setdefault("blockers", []).append({
                "rule": "R-PARALLEL-NEEDS-TARGET",
                "text": f"sync_upgrade_target names {target!r}, which is not a host in this inventory",
            })
        result.update(changed=False, decision=decision)
        return result
