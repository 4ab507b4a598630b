# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter: the verification's checks (plugin_utils/_verify.py)."""

from __future__ import annotations

from ansible_collections.entra.sync_upgrade.plugins.plugin_utils import _verify

DOCUMENTATION = r"""
name: verify_checks
short_description: Judge an upgraded or newly deployed server
description:
  - Returns C([{name, ok, detail}]) for the checks C(version), C(service), C(scheduler), C(staging_mode),
    C(run_results) and C(configuration), from the server's fresh facts (O(_input)), the engine's status, the
    configuration comparison, the target version and the staging mode required. A check that cannot be judged
    fails.
options:
  _input:
    description: The server's C(sync) facts, detected after the upgrade.
    type: dict
    required: true
  engine:
    description: The C(entra.sync_upgrade.sync_engine) status result (its C(last_runs)).
    type: dict
    required: true
  diff:
    description: The C(entra.sync_upgrade.config_diff) result.
    type: dict
    required: true
  target_version:
    description: The build required.
    type: str
    required: true
  expect_staging:
    description: Whether staging mode must be on.
    type: bool
    required: true
"""

EXAMPLES = r"""
- name: Judge
  ansible.builtin.set_fact:
    __checks: "{{ facts | entra.sync_upgrade.verify_checks(engine, diff, '2.5.190.0', false) }}"
"""

RETURN = r"""
_value:
  description: One C({name, ok, detail}) per check.
  type: list
  elements: dict
"""


def verify_checks(facts, engine, diff, target_version, expect_staging):
    return _verify.checks(facts, engine, diff, target_version, bool(expect_staging))


class FilterModule:
    def filters(self):
        return {"verify_checks": verify_checks}
