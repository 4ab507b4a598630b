# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter: the tenant and the activity of every sync server assessed in this run (for R-TENANT-TWO-ACTIVE)."""

from __future__ import annotations

from ansible_collections.entra.sync_upgrade.plugins.plugin_utils._activity import activity

DOCUMENTATION = r"""
name: tenant_servers
short_description: The tenant and the activity of every host assessed in this run
description:
  - Reads the C(sync_assess_result) of every host in O(hosts) from O(_input) (C(hostvars)) and returns, for each
    one that was assessed, C({host, tenant, active, why}) - the C(tenant) fact, and whether its engine exports
    (C(active) true, false, or null when unknown, with what that rests on; plugin_utils/_activity.py).
  - The assessment uses it once per run, so that C(sync_decide) can refuse two active servers of one tenant.
    Hosts left out of the run (C(--limit)) or not assessed are not listed.
options:
  _input:
    description: The C(hostvars) magic variable.
    type: dict
    required: true
  hosts:
    description: The host names to look at, usually C(ansible_play_hosts_all).
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Tenants and activity of this run's sync servers
  ansible.builtin.debug:
    msg: "{{ hostvars | entra.sync_upgrade.tenant_servers(ansible_play_hosts_all) }}"
"""

RETURN = r"""
_value:
  description: "[{host, tenant, active, why}] in the order of O(hosts)."
  type: list
  elements: dict
"""


def tenant_servers_of(results):
    """The same list from a mapping of host name -> assessment result ({status, facts, ...}), in its order."""
    servers = []
    for host, result in results.items():
        if not isinstance(result, dict) or result.get("status") != "assessed" or not isinstance(result.get("facts"), dict):
            continue
        facts = result["facts"]
        servers.append({"host": host, "tenant": str(facts.get("tenant") or "unknown"), **activity(facts)})
    return servers


def tenant_servers(hostvars, hosts):
    return tenant_servers_of({host: hostvars[host].get("sync_assess_result") if host in hostvars else None
                              for host in hosts})


class FilterModule:
    def filters(self):
        return {"tenant_servers": tenant_servers}
