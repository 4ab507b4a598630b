# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter: compare the source server's configuration (baseline) with the new server's (target)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: config_diff
short_description: Compare two sync configurations (baseline vs target) into rows of differences
description:
  - Reads each side from the controller (a folder that M(entra.sync_upgrade.sync_settings) fetched, a
    Get-ADSyncServerConfiguration folder, an Applied-SynchronizationPolicy JSON, MigrateSettings.ps1's folder or a
    DirSync export) or takes an already parsed model, and compares connectors, partitions (OU filtering),
    attribute inclusion, synchronization rules (matched by name) and global settings.
  - Returns C({clean, rows, compared, not_compared, baseline_kind, target_kind}); a row is C({area, name,
    property, source, target, accepted}). C(clean) is true only when every row is accepted and every area could
    be compared. See docs/configuration-compare.md.
options:
  _input:
    description: The baseline (source server) - a controller path or a parsed model.
    type: raw
    required: true
  target:
    description: The target (new server) - a controller path or a parsed model.
    type: raw
    required: true
  accepted:
    description: Accepted differences, C({area, name, property}) with shell-style wildcards (a missing key matches
      anything); usually C(sync_verify_accepted_differences).
    type: list
    elements: dict
    default: []
  missing_why:
    description: When the baseline is empty, why there is none; every area is then listed as not compared with this
      reason (instead of an error).
    type: str
"""

EXAMPLES = r"""
- name: Compare the source's settings with the new server's export
  ansible.builtin.set_fact:
    sync_config_diff: "{{ baseline_path | entra.sync_upgrade.config_diff(target_path,
      accepted=sync_verify_accepted_differences | default([])) }}"
"""

RETURN = r"""
_value:
  description: The comparison (docs/configuration-compare.md).
  type: dict
"""

from ansible.errors import AnsibleFilterError  # noqa: E402
from ansible_collections.entra.sync_upgrade.plugins.plugin_utils import _config_diff  # noqa: E402


def _side(value, what: str) -> dict:
    if isinstance(value, dict) and "kind" in value and "why" in value:
        return value
    if isinstance(value, str) and value:
        try:
            return _config_diff.load(value)
        except (_config_diff.ConfigParseError, OSError) as exc:
            raise AnsibleFilterError(f"config_diff: the {what}: {exc}") from None
    raise AnsibleFilterError(f"config_diff: the {what} must be a controller path or a parsed model, not {value!r}")


def config_diff(baseline, target, accepted=None, missing_why=None):
    if accepted is not None and not isinstance(accepted, list):
        raise AnsibleFilterError("config_diff: accepted must be a list of {area, name, property}")
    if baseline in (None, "") and missing_why:
        # no baseline exists (a source without a configuration export): nothing is compared, and says why
        baseline = _config_diff.model("none", None, None, None, {area: str(missing_why) for area in
                                                                _config_diff.AREAS})
    return _config_diff.compare(_side(baseline, "baseline"), _side(target, "target"), accepted or [])


class FilterModule:
    def filters(self):
        return {"config_diff": config_diff}
