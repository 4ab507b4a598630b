#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation stub: the work is done on the controller by plugins/action/sync_assess.py.

DOCUMENTATION = r"""
module: sync_assess
short_description: The sync_assess role's steps - detect on each host, then decide once for the run
description:
  - The engine of the role C(entra.sync_upgrade.sync_assess), which is how to use it; this page documents its contract.
  - O(step=detect) refuses a host whose connection settings are unsafe before contacting it (C(connection_refused),
    docs/connection-security.md), and otherwise runs the one read-only probe of M(entra.sync_upgrade.sync_facts)
    (PowerShell 2.0-safe). It sets the role-internal host fact C(__sync_assess_detection) (its result so far, with C(status),
    C(cause), C(facts); the play that detected it; the host's options for the decision); an assessed host also gets C(ansible_facts.sync), as from
    M(entra.sync_upgrade.sync_facts).
  - O(step=decide) runs once for the run (C(run_once)) and, for every host in O(hosts), applies the decision rules
    of M(entra.sync_upgrade.sync_decide) on the controller to its detection, its parallel target's and the other
    servers' of the run. It gives each host the variable C(sync_assess_result) and adds it to the group
    O(group_prefix)C(<path>), and a host that could not be assessed also to C(sync_assess_not_assessed), through
    the inventory as M(ansible.builtin.add_host) does. A host of O(hosts) with no detection by this play (its
    detection failed and was rescued or ignored, or was skipped) gets no result, and the task warns.
  - O(step=detect) also checks the options only the decision reads (O(run_date), a custom O(policy_file)), so
    that a bad one fails that host alone, before it is contacted.
  - O(step=detect) checks all the options, so a bad value fails the first task, before any host is contacted. An
    option not given to the task is the host's role variable C(sync_assess_<option>) (as the role's argument spec
    check reads it), and O(connection) the host's connection variables. Templates in a task's arguments cost every
    forked worker a compile, which was most of a detection's controller time (docs/performance.md).
  - One task per host and one per run, instead of a task per check, fact and group per host; Ansible's cost per
    task and host dominates a fleet assessment (docs/performance.md).
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
      - Omitted, the host's own.
    type: dict
  hosts:
    description: O(step=decide). The hosts to decide, each detected by this play (C(ansible_play_batch)).
    type: list
    elements: str
  target_sources:
    description: O(step=decide). Target -> the inventory hosts that name it (the C(target_sources) filter).
    type: dict
    default: {}
attributes:
  check_mode: {support: full, description: Read-only; runs the same in check mode.}
  diff_mode: {support: none, description: Nothing changes.}
  platform: {platforms: windows}
notes:
  - Uses the host-variable and inventory calls ansible-core 2.21 gives action plugins (C(add_host) is marked
    experimental); the role's integration tests check the groups and variables they produce.
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
    - O(step=detect). The host's result so far (C(decision) null); C(status) C(assessed) or why not (C(unreachable),
      C(auth_failed), C(tls_failed), C(probe_failed), C(connection_refused)); C(cause) what to check; C(facts) the
      C(sync) facts of M(entra.sync_upgrade.sync_facts).
  returned: O(step=detect)
  type: dict
sync_assess_decisions:
  description:
    - O(step=decide). Host -> C(status), C(cause) and C(decision) of its C(sync_assess_result)
      (roles/sync_assess/README.md), which each host gets as that variable, facts included; C(decision) as
      M(entra.sync_upgrade.sync_decide) returns it. The facts are in each host's O(step=detect) result.
  returned: O(step=decide)
  type: dict
ansible_facts:
  description: The detected facts under C(sync), as M(entra.sync_upgrade.sync_facts) returns them.
  returned: O(step=detect), when assessed
  type: dict
"""
