"""Filters: the sync_installer role's checks of its input and of a staged installer.

The logic lives in plugins/plugin_utils/_installer.py (plain Python, unit tested); this file only exposes it.
"""

from __future__ import annotations

from ansible_collections.entra.sync_upgrade.plugins.plugin_utils._installer import (
    file_problems,
    input_problems,
    result,
)

DOCUMENTATION = r"""
name: installer_problems
short_description: What makes a staged file unfit to run as the required installer
description:
  - Compares O(_input), the result of C(entra.sync_upgrade.sync_file_info) for a staged file, with what is
    required, and returns one message per problem (an empty list when the file is the required installer). It checks
    the SHA-256, an Authenticode status of C(Valid), a signer whose simple name is in O(signers), and an MSI
    C(ProductVersion) equal to O(version).
  - The companion filter C(entra.sync_upgrade.installer_input_problems) checks the role's input (URL or source
    file, SHA-256, version, signers) before anything changes, and C(entra.sync_upgrade.installer_result) turns a
    verified file's facts into the role's result (C(sync_installer_result)).
options:
  _input:
    description: The registered result of C(entra.sync_upgrade.sync_file_info).
    type: dict
    required: true
  sha256:
    description: The required SHA-256 (hex, either case).
    type: str
    required: true
  version:
    description: The required ProductVersion, compared numerically (2.5.190 equals 2.5.190.0).
    type: str
    required: true
  signers:
    description: Signer simple names allowed, compared without regard to case.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Why the staged file may not be run
  ansible.builtin.debug:
    msg: "{{ __info | entra.sync_upgrade.installer_problems('0' * 64, '2.5.190.0', ['Microsoft Corporation']) }}"
"""

RETURN = r"""
_value:
  description: One message per problem, each saying what was found and what was required; empty when none.
  type: list
  elements: str
"""


def installer_problems(info, sha256, version, signers):
    return file_problems(info, sha256, version, signers)


def installer_input_problems(url, src, sha256, version, signers, src_is_file=None):
    return input_problems(url, src, sha256, version, signers, src_is_file)


def installer_result(info, status, method, source, path=None, bytes_transferred=0, replaced=None):
    return result(info, status, method, source, path, bytes_transferred, replaced)


class FilterModule:
    def filters(self):
        return {"installer_problems": installer_problems, "installer_input_problems": installer_input_problems,
                "installer_result": installer_result}
