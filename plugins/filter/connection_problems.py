# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter: what makes a host's connection unsafe to use (the assessment's preflight, before contact).

The logic lives in plugins/plugin_utils/_connection.py (plain Python, unit tested); this file only exposes it.
"""

from __future__ import annotations

from ansible_collections.entra.sync_upgrade.plugins.plugin_utils._connection import connection_problems

DOCUMENTATION = r"""
name: connection_problems
short_description: What makes a host's WinRM/PSRP connection settings unsafe
description:
  - Reads a host's connection variables from O(_input) and returns one message per unsafe setting - Basic
    authentication or unencrypted messages over plain HTTP, and server certificate validation turned off. Each
    message names the setting and says how to fix it or which variable allows it explicitly.
  - Missing variables take the connection plugin's defaults (port 5986; http only on port 5985; Basic when no
    transport is set and the user is not user@REALM). docs/connection-security.md explains the rules.
options:
  _input:
    description: >-
      The host's connection variables (C(ansible_connection), C(ansible_port), C(ansible_user) and the
      C(ansible_winrm_*) or C(ansible_psrp_*) ones that are set).
    type: dict
    required: true
  allow_unencrypted_http:
    description: Accept Basic authentication or unencrypted messages over plain HTTP.
    type: bool
    default: false
  allow_unvalidated_certificate:
    description: Accept a connection that does not validate the server's certificate.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Why this host's connection is unsafe
  ansible.builtin.debug:
    msg: "{{ connection | entra.sync_upgrade.connection_problems }}"
  vars:
    connection: {ansible_connection: winrm, ansible_winrm_scheme: http}
"""

RETURN = r"""
_value:
  description: One message per unsafe setting; empty when the connection may be used.
  type: list
  elements: str
"""


class FilterModule:
    def filters(self):
        return {"connection_problems": connection_problems}
