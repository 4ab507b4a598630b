# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter: the project folder a playbook belongs to (where reports/ and backups/ go by default)."""

from __future__ import annotations

from pathlib import PurePosixPath

DOCUMENTATION = r"""
name: project_dir
short_description: The project folder a playbook belongs to
description:
  - Returns O(_input) (C(playbook_dir)) itself for a playbook at the project's root (upgrade.yml), and the folder
    above C(playbooks/) for one in C(playbooks/) or in its shared C(playbooks/plays/) (which Ansible reports as
    C(playbook_dir) of an imported play). The roles put C(reports/) and C(backups/) there by default.
options:
  _input:
    description: C(playbook_dir).
    type: path
    required: true
"""

EXAMPLES = r"""
- name: Where the reports go by default
  ansible.builtin.debug:
    msg: "{{ playbook_dir | entra.sync_upgrade.project_dir }}/reports"
"""

RETURN = r"""
_value:
  description: The project folder.
  type: path
"""


def project_dir(playbook_dir: str) -> str:
    path = PurePosixPath(str(playbook_dir))
    if path.name == "plays" and path.parent.name == "playbooks":
        return str(path.parent.parent)
    if path.name == "playbooks":
        return str(path.parent)
    return str(path)


class FilterModule:
    def filters(self):
        return {"project_dir": project_dir}
