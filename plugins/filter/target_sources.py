"""Filter: which inventory hosts name each parallel target (the sync_upgrade_target host variable)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: target_sources
short_description: Map each parallel target to the hosts whose sync_upgrade_target names it
description:
  - Reads the C(sync_upgrade_target) host variable of every host in O(hosts) from O(_input) (C(hostvars)) and
    returns a mapping of each target to the list of its sources. Hosts without the variable, or with an empty one, name no target.
  - The assessment uses it once per run to find targets that two sources share.
options:
  _input:
    description: The C(hostvars) magic variable.
    type: dict
    required: true
  hosts:
    description: The inventory host names to look at, usually C(groups['all']).
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Targets and their sources
  ansible.builtin.debug:
    msg: "{{ hostvars | entra.sync_upgrade.target_sources(groups['all']) }}"
"""

RETURN = r"""
_value:
  description: Target host name -> the source host names that name it, in inventory order.
  type: dict
"""


def target_sources(hostvars, hosts):
    sources: dict[str, list[str]] = {}
    for host in hosts:
        target = hostvars[host].get("sync_upgrade_target")
        if isinstance(target, str) and target.strip():
            sources.setdefault(target.strip(), []).append(host)
    return sources


class FilterModule:
    def filters(self):
        return {"target_sources": target_sources}
