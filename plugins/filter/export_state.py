# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter: whether a sync server has exported, and whether its newest exports succeeded (plugin_utils/_verify.py)."""

from __future__ import annotations

from ansible_collections.entra.sync_upgrade.plugins.plugin_utils import _verify

DOCUMENTATION = r"""
name: export_state
short_description: Whether a sync server has exported, and whether each connector's newest export succeeded
description:
  - From the run history an entra.sync_upgrade.sync_engine C(status) read (its C(runs)) returns C(exported) (an
    Export run is in the history; a staging server never exports), C(verified) (every connector's newest Export
    succeeded), C(failed) and C(connectors) (names).
options:
  _input:
    description: The C(runs) of an entra.sync_upgrade.sync_engine result.
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Has the new server exported?
  ansible.builtin.debug:
    msg: "{{ (engine.runs | entra.sync_upgrade.export_state).exported }}"
"""

RETURN = r"""
_value:
  description: C({exported, verified, failed, connectors}).
  type: dict
"""


class FilterModule:
    def filters(self):
        return {"export_state": _verify.export_state}
