# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sync_assess: the sync_assess role's per-host work in two tasks instead of seven.

Ansible spends about as much controller time on a task that touches no server (set_fact, group_by, an argument
check) as on the WinRM detection itself, once per host (docs/performance.md). So the role's per-host steps run here,
on the same engines as the single-purpose plugins:

- step=detect: the connection preflight (plugin_utils/_connection.py) and, for a host whose settings are safe, the
  one read-only probe (plugin_utils/_detect.py, as sync_facts). Publishes `sync_assess_result` without a decision.
- step=decide: the decision (plugin_utils/_decide.py, as sync_decide) from that result and the run's survey of
  targets and tenants. Publishes `sync_assess_result` with the decision and adds the host to `<prefix><path>`.

Every step checks all of the role's options against the role's own argument spec (meta/argument_specs.yml, under
the role's variable names), so a bad value fails the first task, before any host is contacted, with the message the
role's spec check gives; the playbooks need not run that check as a task of its own on every host.
The steps are two tasks because a decision reads other hosts' detections (a parallel target's, the tenant's other
servers'): the linear strategy finishes the detection on every host before the decision starts.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import yaml
from ansible._internal._task import VariableLayer  # ansible-core 2.21 (meta/runtime.yml), as set_fact uses it
from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase
from ansible.utils.vars import isidentifier
from ansible_collections.entra.sync_upgrade.plugins.plugin_utils import _decide, _detect
from ansible_collections.entra.sync_upgrade.plugins.plugin_utils._connection import connection_problems

CONNECTION_REFUSED = "connection_refused"
RESULT = "sync_assess_result"
ROLE_PREFIX = "sync_assess_"
ROLE_SPEC = Path(__file__).resolve().parents[2] / "roles" / "sync_assess" / "meta" / "argument_specs.yml"


@functools.cache
def role_options() -> dict:
    """The role's options as its argument spec declares them (types, choices, defaults)."""
    return yaml.safe_load(ROLE_SPEC.read_text())["argument_specs"]["main"]["options"]


def check_role_options(args: dict) -> dict:
    """The role's options (short names, as the tasks pass them) checked as the role's spec check would check them;
    their values by short name, defaults filled in."""
    given = {ROLE_PREFIX + name: value for name, value in args.items()
             if ROLE_PREFIX + name in role_options() and value is not None}
    checked = ArgumentSpecValidator(role_options()).validate(given)
    if checked.error_messages:
        raise AnsibleActionFail("the role's options are not valid: " + "; ".join(checked.error_messages))
    return {name[len(ROLE_PREFIX):]: value for name, value in checked.validated_parameters.items()}


ARGUMENT_SPEC = {
    "step": {"type": "str", "required": True, "choices": ["detect", "decide"]},
    # the role's options by their short names, checked by check_role_options
    **{name[len(ROLE_PREFIX):]: {"type": "raw"} for name in role_options()},
    # step=detect: the host's connection variables (never the password), for the preflight
    "connection": {"type": "dict", "default": {}},
    # step=decide: this host's detection, its target's, and the run's survey of targets and tenants
    "result": {"type": "dict"},
    "target_assessment": {"type": "dict"},
    "target_sources": {"type": "dict", "default": {}},
    "tenant_servers": {"type": "list", "elements": "dict", "default": []},
}


class ActionModule(ActionBase):
    _requires_connection = True  # step=detect probes the host; step=decide never opens the connection

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True  # read-only on the server either way
        result = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        args.update(check_role_options(args))
        task_vars = task_vars or {}
        host = task_vars.get("inventory_hostname", "this host")
        if not isidentifier(args["group_prefix"] + "blocked"):
            raise AnsibleActionFail(f"sync_assess_group_prefix {args['group_prefix']!r} does not make a valid group name")
        if args["step"] == "detect":
            assessment, found = self._detect(host, args)
            if found is not None and found.assessed:
                result["ansible_facts"] = {"sync": found.facts}  # as sync_facts returns it
                if found.warnings:
                    result["warnings"] = list(found.warnings)
        else:
            assessment = self._decide(host, args, list((task_vars.get("groups") or {}).get("all") or []))
            # EXPERIMENTAL in ansible-core 2.21: group_by's own call; tests/integration/test_assess.py checks the groups
            self.add_group(args["group_prefix"] + assessment["decision"]["path"], parent_group_names=["all"])
        # like set_fact: a host fact of the play (not a cached ansible_facts entry)
        self.register_host_variables({RESULT: assessment}, VariableLayer.EPHEMERAL_FACT)
        result.update(changed=False, **{RESULT: assessment})
        return result

    @staticmethod
    def _refused(host: str, problems: list[str]) -> dict:
        return {"status": CONNECTION_REFUSED, "facts": None, "decision": None, "cause": (
            f"{host} was not contacted: its connection settings are unsafe: {'; '.join(problems)}. "
            "Nothing was changed; fix the inventory and re-run.")}

    def _detect(self, host: str, args: dict) -> tuple[dict, _detect.Detection | None]:
        problems = connection_problems(args["connection"], args["allow_unencrypted_http"],
                                       args["allow_unvalidated_certificate"])
        if problems:  # never contacted
            return self._refused(host, problems), None
        found = _detect.detect(self)
        return {"status": found.status, "cause": found.cause, "facts": found.facts if found.assessed else None,
                "decision": None}, found

    def _decide(self, host: str, args: dict, inventory: list[str]) -> dict:
        own = args["result"]
        if not isinstance(own, dict) or "status" not in own:
            raise AnsibleActionFail("step=decide needs this host's detection as `result` (sync_assess_result of "
                                    "step=detect)")
        target = args["target"].strip() or None
        options = {
            "status": own["status"], "cause": own.get("cause"), "forced_path": args["forced_path"],
            "accept_in_place_risk": args["accept_in_place_risk"], "target_host": target,
            "inventory_hosts": inventory, "source_host": host,
            # the target's own result from this run (None: left out of the run, or not in the inventory)
            "target_assessment": args["target_assessment"] if target in inventory else None,
            # every other inventory host that names the same target
            "target_claimed_by": [h for h in args["target_sources"].get(target, []) if h != host] if target else [],
            "tenant_servers": [s for s in args["tenant_servers"] if s.get("host") != host],
        }
        try:
            policy = _decide.load_policy(args["policy_file"] or _decide.DEFAULT_POLICY)
            decision = _decide.decide(own.get("facts") or {}, policy, options, args["run_date"] or dt.date.today())
        except ValueError as exc:
            raise AnsibleActionFail(f"cannot decide: {exc}") from None
        return {**own, "decision": decision}
