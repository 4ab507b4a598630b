# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter: whether a server's sync engine is as its backup recorded it (plugin_utils/_engine_record.py)."""

from __future__ import annotations

from ansible_collections.entra.sync_upgrade.plugins.plugin_utils import _engine_record

DOCUMENTATION = r"""
name: engine_as_recorded
short_description: Whether a server's sync engine is as its backup recorded it
description:
  - True when every service of O(record) has the recorded state and start mode in the server's facts (O(_input)),
    the scheduler is enabled as recorded, and (Entra Connect) staging mode is as recorded. False without a record.
  - The rollback uses it to tell a finished rollback (nothing to do) from one still to do.
options:
  _input:
    description: The server's C(sync) facts.
    type: dict
    required: true
  record:
    description: The engine as entra.sync_upgrade.recorded_engine returned it.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Is the old server back as it was?
  ansible.builtin.debug:
    msg: "{{ facts | entra.sync_upgrade.engine_as_recorded(recorded) }}"
  vars:
    recorded: "{{ sync_backup_dir | entra.sync_upgrade.recorded_engine(host) }}"
"""

RETURN = r"""
_value:
  description: True when the engine is as recorded.
  type: bool
"""


class FilterModule:
    def filters(self):
        return {"engine_as_recorded": _engine_record.as_recorded}
