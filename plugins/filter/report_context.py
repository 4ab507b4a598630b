# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter: what the report says about its own making (plugins/plugin_utils/_report_context.py)."""

from __future__ import annotations

from ansible_collections.entra.sync_upgrade.plugins.plugin_utils._report_context import report_context

DOCUMENTATION = r"""
name: report_context
short_description: The toolkit version and commit, the policy and the rule glossary, for the fleet report
description:
  - Reads, on the controller, from the project folder O(_input) - C(galaxy.yml) (the toolkit's name and version),
    the checked-out git commit (C(unknown) when the controller has no git or no repository, never a guess),
    C(policy/lifecycle.yml) (schema, review date, the minimum version, each entry's C(source) codes and the
    C(sources) and C(source_titles) maps) and the Summary table of C(docs/decision-rules.md) (the rule glossary).
options:
  _input:
    description: The project folder (C(playbook_dir | entra.sync_upgrade.project_dir)).
    type: path
    required: true
"""

EXAMPLES = r"""
- name: Read the report's context
  ansible.builtin.set_fact:
    context: "{{ playbook_dir | entra.sync_upgrade.project_dir | entra.sync_upgrade.report_context }}"
"""

RETURN = r"""
_value:
  description: >-
    C(toolkit) (name, version, commit, modified), C(policy) (file, schema, reviewed, minimum_version, sources
    code -> {title, url}, entries name -> codes) and C(rules) (rule id -> {checks, outcome, sources}).
  type: dict
"""


class FilterModule:
    def filters(self):
        return {"report_context": report_context}
