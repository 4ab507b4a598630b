#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation stub: the work is done on the controller by plugins/action/sync_assess.py.

DOCUMENTATION = r"""
module: sync_assess
short_description: The sync_assess role's per-host steps - detect, then decide - each as one task
description:
  - The engine of the role C(entra.sync_upgrade.sync_assess), which is how to use it; this page documents its contract.
  - O(step=detect) refuses a host whose connection settings are unsafe before contacting it (C(connection_refused),
    docs/connection-security.md), and otherwise runs the one read-only probe of M(entra.sync_upgrade.sync_facts)
    (PowerShell 2.0-safe). It sets the host fact C(sync_assess_result) with C(status), C(cause), C(facts) and a
    null C(decision); an assessed host also gets C(ansible_facts.sync), as from M(entra.sync_upgrade.sync_facts).
  - O(step=decide) applies the decision rules of M(entra.sync_upgrade.sync_decide) to that result, on the
    controller, sets C(sync_assess_result.decision) and adds the host to the group O(group_prefix)C(<path>).
  - Both steps check all the options, so a bad value fails the first task, before any host is contacted. The
    steps are separate tasks because a decision reads other hosts' detections from the same run.
  - One task of each per host, instead of a task per check, fact and group; Ansible's cost per task and host
    dominates a fleet assessment (docs/performance.md).
version_added: 0.1.0
options:
  step:
    description: C(detect) (contacts the host) or C(decide) (controller only).
    type: str
    required: true
    choices: [detect, decide]
  policy_file: {description: The lifecycle data file; empty for the collection's own C(policy/lifecycle.yml)., type: str, default: ""}
  run_date: {description: The date (YYYY-MM-DD) the deadlines are judged against; empty for today., type: str, default: ""}
  forced_path:
    description: C(auto), or a path forced by the user (M(entra.sync_upgrade.sync_decide) O(ignore:forced_path)).
    type: str
    choices: [auto, in_place, parallel]
    default: auto
  accept_in_place_risk: {description: Accept the risk of forcing in-place against the rules., type: bool, default: false}
  target: {description: Inventory name of the parallel-deployment target; empty for none., type: str, default: ""}
  group_prefix: {description: Prefix of the group the host is added to., type: str, default: sync_path_}
  allow_unencrypted_http:
    description: Accept Basic authentication or unencrypted messages over plain HTTP (docs/connection-security.md).
    type: bool
    default: false
  allow_unvalidated_certificate:
    description: Accept C(ansible_winrm_server_cert_validation=ignore).
    type: bool
    default: false
  connection:
    description:
      - O(step=detect). The host's connection variables the preflight reads (C(ansible_connection),
        C(ansible_port), C(ansible_user), and the C(ansible_winrm_*) and C(ansible_psrp_*) ones); never the password.
    type: dict
    default: {}
  result:
    description: O(step=decide). This host's C(sync_assess_result) from O(step=detect).
    type: dict
  target_assessment:
    description: O(step=decide). The target's own C(sync_assess_result) from this run; omitted when it was not assessed.
    type: dict
  target_sources:
    description: O(step=decide). Target -> the inventory hosts that name it (the C(target_sources) filter).
    type: dict
    default: {}
  tenant_servers:
    description: O(step=decide). The servers assessed in this run, as the C(tenant_servers) filter lists them.
    type: list
    elements: dict
    default: []
attributes:
  check_mode: {support: full, description: Read-only; runs the same in check mode.}
  diff_mode: {support: none, description: Nothing changes.}
  platform: {platforms: windows}
notes:
  - Uses the group and host-variable calls ansible-core 2.21 gives action plugins (the first is marked experimental);
    the role's integration tests check the groups and facts they produce.
seealso:
  - module: entra.sync_upgrade.sync_facts
  - module: entra.sync_upgrade.sync_decide
author: [entra-sync-upgrade developers]
"""

EXAMPLES = r"""
# Use the role; it passes the options and the run's survey between the two steps.
- name: Assess the sync servers
  ansible.builtin.import_role:
    name: entra.sync_upgrade.sync_assess
"""

RETURN = r"""
sync_assess_result:
  description:
    - The host's assessment, also set as the host fact of that name (roles/sync_assess/README.md).
    - C(status) C(assessed) or why not (C(unreachable), C(auth_failed), C(tls_failed), C(probe_failed),
      C(connection_refused)); C(cause) what to check; C(facts) the C(sync) facts of M(entra.sync_upgrade.sync_facts);
      C(decision) as M(entra.sync_upgrade.sync_decide) returns it (null after O(step=detect)).
  returned: always
  type: dict
ansible_facts:
  description: The detected facts under C(sync), as M(entra.sync_upgrade.sync_facts) returns them.
  returned: O(step=detect), when assessed
  type: dict
"""
