# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter: how a server's sync engine ran, as its newest verified backup recorded it (for the rollback)."""

from __future__ import annotations

from ansible_collections.entra.sync_upgrade.plugins.plugin_utils import _engine_record

DOCUMENTATION = r"""
name: recorded_engine
short_description: The sync engine as a host's newest verified backup recorded it while it ran
description:
  - Reads the controller's backup store (the folder of entra.sync_upgrade.sync_backup) and returns the C(engine)
    of the newest verified backup of O(host) taken while the engine ran - C(tool), C(version), C(staging_mode),
    C(scheduler_enabled), C(services) (name, state, start_mode) - with C(backup) (its folder), C(created_at) and
    C(restore) (the services as they were, in start order, for entra.sync_upgrade.sync_services).
  - Backups taken after a cutover (the engine stopped, or a staging standby) are passed over. Null when no
    verified backup recorded a running engine.
options:
  _input:
    description: The backup folder (C(sync_backup_dir)).
    type: str
    required: true
  host:
    description: The inventory host name.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: How the old server's engine ran before the cutover
  ansible.builtin.debug:
    msg: "{{ sync_backup_dir | entra.sync_upgrade.recorded_engine('dirsync-2008r2') }}"
"""

RETURN = r"""
_value:
  description: The recorded engine, or null.
  type: dict
"""


class FilterModule:
    def filters(self):
        return {"recorded_engine": _engine_record.recorded}
