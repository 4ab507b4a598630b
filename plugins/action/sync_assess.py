# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sync_assess: the sync_assess role's work in one task per host and one task per run, instead of seven per host.

Ansible spends about as much controller time on a task that touches no server (set_fact, group_by, an argument
check) as on the WinRM detection itself, once per host (docs/performance.md). So the role's steps run here, on the
same engines as the single-purpose plugins:

- step=detect, on every host: the connection preflight (plugin_utils/_connection.py) and, for a host whose settings
  are safe, the one read-only probe (plugin_utils/_detect.py, as sync_facts). Publishes the role-internal host fact
  `__sync_assess_detection` (the result without a decision, the play that detected it, and the host's own options
  for the decision).
- step=decide, once for the run (run_once): for every host of the run, the decision (plugin_utils/_decide.py, as
  sync_decide) from its detection, its parallel target's and the tenant's other servers'. Publishes each host's
  `sync_assess_result` and adds the host to `<prefix><path>` through the inventory (the add_host mechanism), so a
  host costs no forked task of its own for it.

Every detect checks all of the role's options against the role's own argument spec (meta/argument_specs.yml, under
the role's variable names), so a bad value fails the first task, before any host is contacted, with the message the
role's spec check gives; the playbooks need not run that check as a task of its own on every host.
The decision is a task of its own because it reads other hosts' detections: the linear strategy finishes the
detection on every host before it starts.
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
from ansible_collections.entra.sync_upgrade.plugins.filter.tenant_servers import tenant_servers_of
from ansible_collections.entra.sync_upgrade.plugins.plugin_utils import _decide, _detect
from ansible_collections.entra.sync_upgrade.plugins.plugin_utils._connection import (
    CONNECTION_VARIABLES,
    connection_problems,
)

CONNECTION_REFUSED = "connection_refused"
RESULT = "sync_assess_result"
DECISIONS = "sync_assess_decisions"  # step=decide's task result: host -> {status, cause, decision} (no facts)
DETECTION = "__sync_assess_detection"
NOT_ASSESSED_GROUP = "sync_assess_not_assessed"  # every host whose status is not `assessed`, whatever the prefix
ROLE_PREFIX = "sync_assess_"
ROLE_SPEC = Path(__file__).resolve().parents[2] / "roles" / "sync_assess" / "meta" / "argument_specs.yml"


@functools.cache
def role_options() -> dict:
    """The role's options as its argument spec declares them (types, choices, defaults)."""
    return yaml.safe_load(ROLE_SPEC.read_text())["argument_specs"]["main"]["options"]


@functools.cache
def policy(path) -> _decide.Policy:
    """A policy file, read once per process (a ValueError names the offending key)."""
    return _decide.load_policy(path)


@functools.cache
def _validation_spec() -> dict:
    # without the descriptions: the validator deep-copies its spec on every call
    return {name: {key: value for key, value in option.items() if key not in ("description", "version_added")}
            for name, option in role_options().items()}


def check_role_options(args: dict) -> dict:
    """The role's options (short names, as the tasks pass them) checked as the role's spec check would check them;
    their values by short name, defaults filled in."""
    given = {ROLE_PREFIX + name: value for name, value in args.items()
             if ROLE_PREFIX + name in role_options() and value is not None}
    checked = ArgumentSpecValidator(_validation_spec()).validate(given)
    if checked.error_messages:
        raise AnsibleActionFail("the role's options are not valid: " + "; ".join(checked.error_messages))
    return {name[len(ROLE_PREFIX):]: value for name, value in checked.validated_parameters.items()}


ARGUMENT_SPEC = {
    "step": {"type": "str", "required": True, "choices": ["detect", "decide"]},
    # step=detect: the role's options by their short names, checked by check_role_options; an option not given is
    # the host's role variable (sync_assess_<name>), read as validate_argument_spec reads a role's variables
    **{name[len(ROLE_PREFIX):]: {"type": "raw"} for name in role_options()},
    # step=detect: the host's connection variables (never the password), for the preflight; not given: the host's
    "connection": {"type": "dict"},
    # step=decide: the hosts to decide (the run's, each detected) and which inventory hosts name each target
    "hosts": {"type": "list", "elements": "str"},
    "target_sources": {"type": "dict", "default": {}},
}

# what detect hands to decide for each host: its own options (a host may set them in its inventory variables)
DECISION_OPTIONS = ("policy_file", "run_date", "forced_path", "accept_in_place_risk", "target", "group_prefix")


class ActionModule(ActionBase):
    _requires_connection = True  # step=detect probes the host; step=decide never opens the connection

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True  # read-only on the server either way
        result = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        task_vars = task_vars or {}
        if args["step"] == "decide":
            return {**result, **self._decide_run(args, task_vars)}
        args.update(self._role_options(args, task_vars))
        if args["connection"] is None:
            args["connection"] = self._host_variables(CONNECTION_VARIABLES, task_vars)
        host = task_vars.get("inventory_hostname", "this host")
        self._check_decision_inputs(args)  # here, per host and before contact: the decision runs once for all hosts
        assessment, found = self._detect(host, args)
        if found is not None and found.assessed:
            result["ansible_facts"] = {"sync": found.facts}  # as sync_facts returns it
            if found.warnings:
                result["warnings"] = list(found.warnings)
        # like set_fact: a host fact of the play (not a cached ansible_facts entry), read by step=decide
        # stamped with this play, so that a later play's decision never reads an earlier play's detection
        self.register_host_variables({DETECTION: {"result": assessment, "play": self._task.get_play()._uuid, "options": {
            name: args[name] for name in DECISION_OPTIONS}}}, VariableLayer.EPHEMERAL_FACT)
        result.update(changed=False, **{RESULT: assessment})
        return result

    @staticmethod
    def _check_decision_inputs(args: dict) -> None:
        """The options only the decision reads, checked as it will read them: a bad one fails this host alone."""
        if not isidentifier(args["group_prefix"] + "blocked"):
            raise AnsibleActionFail(f"sync_assess_group_prefix {args['group_prefix']!r} does not make a valid group name")
        if str(args["run_date"] or "").strip():
            try:
                _decide.as_date(str(args["run_date"]))
            except ValueError:
                raise AnsibleActionFail(f"sync_assess_run_date must be a date (YYYY-MM-DD), got {args['run_date']!r}") from None
        if args["policy_file"]:  # the collection's own policy is checked by its tests, not parsed on every host
            try:
                policy(args["policy_file"])
            except ValueError as exc:
                raise AnsibleActionFail(f"sync_assess_policy_file: {exc}") from None

    def _role_options(self, args: dict, task_vars: dict) -> dict:
        """The options given to the task, else the host's role variables (sync_assess_<name>), checked.

        Read from the host's variables, not templated into the task's arguments: each forked worker compiles every
        template of its task afresh, and that compiling was most of a detection's controller time
        (docs/performance.md); the role's defaults that are plain values compile nothing here."""
        given = {name: value for name, value in args.items() if ROLE_PREFIX + name in role_options() and value is not None}
        host_values = self._host_variables([name for name in role_options() if name[len(ROLE_PREFIX):] not in given],
                                           task_vars)
        return check_role_options({**{name[len(ROLE_PREFIX):]: value for name, value in host_values.items()}, **given})

    def _host_variables(self, names, task_vars: dict) -> dict:
        """The named variables the host has, as the play resolves them (templated)."""
        return self._templar.template({name: task_vars[name] for name in names if name in task_vars})

    def _decide_run(self, args: dict, task_vars: dict) -> dict:
        """Decide every host of the run detected by this play; publish each one's result and group (add_host)."""
        if args["hosts"] is None:
            raise AnsibleActionFail("step=decide needs `hosts`: the hosts of the run (ansible_play_batch)")
        hostvars = task_vars.get("hostvars") or {}
        play = self._task.get_play()._uuid
        detections, undetected = {}, []
        for host in args["hosts"]:
            # raw: a fact this action set is data, never a template
            detection = hostvars.raw_get(host).get(DETECTION) if host in hostvars else None
            if isinstance(detection, dict) and detection.get("play") == play:
                detections[host] = detection
            else:  # its detection failed (and was rescued or ignored), or was skipped: no result, not a guess
                undetected.append(host)
        inventory = list((task_vars.get("groups") or {}).get("all") or [])
        tenant_servers = tenant_servers_of({host: detection["result"] for host, detection in detections.items()})
        results = {host: self._decide(host, detections, args["target_sources"], tenant_servers, inventory)
                   for host in detections}
        for host, assessment in results.items():
            prefix = detections[host]["options"]["group_prefix"]
            # EXPERIMENTAL in ansible-core 2.21 (as add_host uses it); tests/integration/test_assess.py checks both
            groups = [prefix + assessment["decision"]["path"]]
            if assessment["status"] != "assessed":  # so a playbook can fail them without a task on every host
                groups.append(NOT_ASSESSED_GROUP)
            self.add_host(host, host_vars={RESULT: assessment}, parent_group_names=groups)
        result = {"changed": False, DECISIONS: {host: {key: value for key, value in assessment.items() if key != "facts"}
                                                for host, assessment in results.items()}}
        if undetected:
            result["warnings"] = [f"not decided (no detection by this play, so no sync_assess_result): "
                                  f"{', '.join(undetected)}"]
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

    @staticmethod
    def _decide(host: str, detections: dict, target_sources: dict, tenant_servers: list[dict],
                inventory: list[str]) -> dict:
        own, opts = detections[host]["result"], detections[host]["options"]
        target = str(opts["target"] or "").strip() or None
        target_detection = detections.get(target) if target in inventory else None
        options = {
            "status": own["status"], "cause": own.get("cause"), "forced_path": opts["forced_path"],
            "accept_in_place_risk": opts["accept_in_place_risk"], "target_host": target,
            "inventory_hosts": inventory, "source_host": host,
            # the target's own detection from this run (None: left out of the run, or not in the inventory)
            "target_assessment": target_detection["result"] if target_detection else None,
            # every other inventory host that names the same target
            "target_claimed_by": [h for h in target_sources.get(target, []) if h != host] if target else [],
            # the other servers of the run (R-TENANT-TWO-ACTIVE)
            "tenant_servers": [s for s in tenant_servers if s["host"] != host],
        }
        try:
            decision = _decide.decide(own.get("facts") or {}, policy(opts["policy_file"] or _decide.DEFAULT_POLICY),
                                      options, opts["run_date"] or dt.date.today())
        except ValueError as exc:
            raise AnsibleActionFail(f"cannot decide {host}: {exc}") from None
        return {**own, "decision": decision}
