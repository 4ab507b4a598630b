# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter: how the cutover leaves an old sync server (plugin_utils/_engine_record.py)."""

from __future__ import annotations

from ansible_collections.entra.sync_upgrade.plugins.plugin_utils import _engine_record

DOCUMENTATION = r"""
name: cutover_plan
short_description: How the cutover leaves an old sync server, and whether it already exports no more
description:
  - From the old server's facts (C(sync_assess_result.facts)) returns C(mode) - C(standby) (an Entra Connect
    server from 2.4.18.0 that goes into staging mode through the wizard), C(disabled) (DirSync, Azure AD Sync,
    older Connect, or when asked - its engine's services stopped and disabled) or C(refused) (a MIM server, an
    unknown tool) - with C(why), C(off) (the server exports no more already) and C(services_off) (the engine's
    services, stopped and disabled, in stop order, for entra.sync_upgrade.sync_services).
options:
  _input:
    description: The old server's C(sync) facts.
    type: dict
    required: true
  wanted:
    description: What the user wants for an Entra Connect server (C(sync_cutover_old_server)).
    type: str
    default: standby
    choices: [standby, disabled]
"""

EXAMPLES = r"""
- name: How the old server is left
  ansible.builtin.debug:
    msg: "{{ hostvars['dirsync-2008r2'].sync_assess_result.facts | entra.sync_upgrade.cutover_plan('standby') }}"
"""

RETURN = r"""
_value:
  description: C({mode, why, off, services_off}).
  type: dict
"""


class FilterModule:
    def filters(self):
        return {"cutover_plan": _engine_record.cutover_plan}
