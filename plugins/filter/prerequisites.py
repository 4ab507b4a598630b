"""Filters of the prerequisites role (entra.sync_upgrade.sync_prerequisites).

The rules live in plugins/plugin_utils/_prerequisites.py (plain Python, unit tested); this file only exposes them.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.entra.sync_upgrade.plugins.plugin_utils import _prerequisites

DOCUMENTATION = r"""
name: prerequisite_checks
short_description: Judge the Entra Connect Sync prerequisites of the server that will run the installer
description:
  - Turns what the role read on the host (O(_input)) into checks, each with C(name), C(ok), C(found),
    C(required) and C(fix), in the order an admin fixes them - powershell, os_version, os_edition,
    desktop_experience, domain_member, dotnet, tls12, pending_reboot, disk_size, disk_free, local_admin and,
    when upgrading an existing install, adsyncadmins. Facts and sources - docs/product-facts.md section 3.
  - Companion filters - C(prerequisite_registry) (the registry values to read, from the evidence catalog, for
    the named groups os, dotnet, tls12, marker), C(prerequisite_input_errors) (what is wrong with the role's
    input), C(prerequisite_powershell) (the PowerShell check alone, before any module runs), C(prerequisite_plan) (what a run changes and what blocks the host) and C(prerequisite_result)
    (the published C(sync_prerequisites_result)).
options:
  _input:
    description: The evidence - powershell, registry (win_reg_stat loop results), domain (setup facts), reboot
      (win_reboot_info), disks (win_disk_facts), whoami (win_whoami).
    type: dict
    required: true
  needs:
    description: drive, min_free_gb, object_count, disk_gb_by_objects, require_adsyncadmins.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Judge the prerequisites
  ansible.builtin.set_fact:
    checks: "{{ evidence | entra.sync_upgrade.prerequisite_checks(needs) }}"
"""

RETURN = r"""
_value:
  description: The checks, each C(name), C(ok), C(found), C(required), C(fix) (null when ok).
  type: list
  elements: dict
"""


def _wrap(func):
    def run(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (KeyError, TypeError, ValueError) as exc:
            raise AnsibleFilterError(f"{func.__name__}: {exc}") from exc
    return run


def prerequisite_registry(groups):
    return _prerequisites.registry_reads(groups)


def prerequisite_input_errors(options):
    return _prerequisites.input_errors(options)


def prerequisite_powershell(version):
    return _prerequisites.powershell_check(version)


def prerequisite_checks(evidence, needs):
    return _prerequisites.evaluate(evidence, needs)


def prerequisite_plan(checks, options):
    return _prerequisites.plan(checks, options)


def prerequisite_result(checks, planned, outcome):
    return _prerequisites.result(checks, planned, outcome)


class FilterModule:
    def filters(self):
        return {f.__name__: _wrap(f) for f in (prerequisite_registry, prerequisite_input_errors, prerequisite_powershell,
                                                prerequisite_checks, prerequisite_plan, prerequisite_result)}
