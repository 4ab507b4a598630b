#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation stub: the work is done on the controller by plugins/action/sync_decide.py.

DOCUMENTATION = r"""
module: sync_decide
short_description: Decide the upgrade path of a sync server from its facts and Microsoft's rules
description:
  - Runs on the controller only. Applies the decision table (docs/decision-rules.md) to the facts from
    M(entra.sync_upgrade.sync_facts) and the lifecycle data file, and returns the path
    (C(none), C(in_place), C(parallel) or C(blocked)) with reasons, blockers and warnings, each tied to a
    rule id.
version_added: 0.1.0
options:
  facts: {description: The C(ansible_facts.sync) of the host., type: dict}
  status:
    description: The host's assessment status from M(entra.sync_upgrade.sync_facts); anything but C(assessed) blocks.
    type: str
    choices: [assessed, unreachable, auth_failed, tls_failed, probe_failed, connection_refused]
    default: assessed
  cause: {description: What to check when the host was not assessed (the detection's C(cause))., type: str}
  policy_file:
    description: The lifecycle data file. Default, the collection's own C(policy/lifecycle.yml).
    type: path
  forced_path:
    description:
      - C(auto) follows the rules. C(parallel) forces a parallel deployment. C(in_place) forces an in-place
        upgrade, which needs O(accept_in_place_risk) when the rules say otherwise.
    type: str
    choices: [auto, in_place, parallel]
    default: auto
  accept_in_place_risk: {description: Explicitly accept the risk of a forced in-place upgrade., type: bool, default: false}
  target_host:
    description: Inventory name of the new server for a parallel deployment (host variable C(sync_upgrade_target)).
    type: str
  run_date: {description: The date the deadlines are judged against (YYYY-MM-DD); today by default., type: str}
  inventory_hosts:
    description: The inventory's host names; a O(target_host) that is not one of them blocks with that reason.
    type: list
    elements: str
  target_assessment:
    description:
      - The parallel target's own assessment from the same run (its C(sync_assess_result)), C(status), C(cause)
        and C(facts). Omitted when the target was not assessed in this run, which blocks.
    type: dict
  target_claimed_by:
    description: The other hosts whose C(sync_upgrade_target) names the same target; any blocks.
    type: list
    elements: str
    default: []
  source_host:
    description:
      - This host's inventory name. A parallel target that already runs Connect is accepted only when its
        deployment mark (facts C(deployment.source)) names this host, so that a re-run continues its own
        deployment; a target marked for another source blocks.
    type: str
  tenant_servers:
    description:
      - The other sync servers assessed in this run, as the C(tenant_servers) filter lists them
        (C({host, tenant, active, why}); C(active) true, false or null when unknown). Two servers known active for
        one known tenant block both (R-TENANT-TWO-ACTIVE, naming the other); an unknown tenant or activity that
        cannot be ruled out gives a warning. Omitted, no server is compared.
    type: list
    elements: dict
attributes:
  check_mode: {support: full, description: Changes nothing.}
  diff_mode: {support: none, description: Nothing changes.}
  platform: {platforms: all}
author: [entra-sync-upgrade developers]
"""

EXAMPLES = r"""
- name: Decide the path
  entra.sync_upgrade.sync_decide:
    facts: "{{ ansible_facts.sync }}"
    target_host: "{{ sync_upgrade_target | default(omit) }}"
    inventory_hosts: "{{ groups['all'] }}"
  register: __decision
"""

RETURN = r"""
decision:
  description: The decision.
  returned: always
  type: dict
  contains:
    path: {description: "none, in_place, parallel or blocked", type: str}
    target_version: {description: The Entra Connect build to move to., type: str}
    reasons: {description: "[{rule, text}] why this path", type: list, elements: dict}
    blockers: {description: "[{rule, text}] what stops the upgrade", type: list, elements: dict}
    warnings: {description: "[{rule, text}] remediable findings", type: list, elements: dict}
    deadlines: {description: "[{rule, text, date, passed}] Microsoft deadlines that apply", type: list, elements: dict}
    proposed_path: {description: The path once the blockers are resolved; null when the evidence stopped the walk., type: str}
    urgency: {description: "stopped, degraded, due, ok, or unknown (not assessed, or unknown evidence)", type: str}
    forced: {description: The path was forced by the user., type: bool}
"""
