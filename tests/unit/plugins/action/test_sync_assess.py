"""The sync_assess action checks the role's options against the role's own argument spec, under the role's names."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleActionFail

ACTION = "sync_assess"  # conftest.py imports it


@pytest.fixture(scope="module")
def sync_assess(action_module):
    return action_module


def test_the_options_it_checks_are_the_roles_own(sync_assess):
    assert sorted(sync_assess.role_options()) == sorted(
        sync_assess.ROLE_PREFIX + name for name, spec in sync_assess.ARGUMENT_SPEC.items() if spec == {"type": "raw"})


def test_defaults_and_types_come_from_the_role_spec(sync_assess):
    checked = sync_assess.check_role_options({"accept_in_place_risk": "yes", "forced_path": None, "step": "detect"})
    assert checked["accept_in_place_risk"] is True  # a string from -e, converted as the role spec converts it
    assert (checked["forced_path"], checked["group_prefix"], checked["allow_unencrypted_http"]) == (
        "auto", "sync_path_", False)
    assert "step" not in checked


def test_a_bad_value_is_named_by_its_role_variable(sync_assess):
    with pytest.raises(AnsibleActionFail, match="value of sync_assess_forced_path must be one of: auto, in_place, "
                                                "parallel, got: sideways"):
        sync_assess.check_role_options({"forced_path": "sideways"})
