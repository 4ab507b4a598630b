"""Filters: the sync_installer role's checks of its input and of a staged installer.

The logic lives in plugins/plugin_utils/_installer.py (plain Python, unit tested); this file only exposes it.
"""

from __future__ import annotations

from ansible_collections.entra.sync_upgrade.plugins.plugin_utils._installer import (
    file_problems,
    input_problems,
    result,
)


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
