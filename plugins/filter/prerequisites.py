"""Filters of the prerequisites role (entra.sync_upgrade.sync_prerequisites).

The rules live in plugins/plugin_utils/_prerequisites.py (plain Python, unit tested); this file only exposes them.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.entra.sync_upgrade.plugins.plugin_utils import _prerequisites


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
