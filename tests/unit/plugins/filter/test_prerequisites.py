"""The prerequisites filters (plugins/filter/prerequisites.py): what the role calls, and how errors surface."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

ROOT = Path(__file__).resolve().parents[4]


@pytest.fixture
def filters(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / ".ansible" / "collections"))
    module = importlib.import_module("ansible_collections.entra.sync_upgrade.plugins.filter.prerequisites")
    yield module.FilterModule().filters()
    for name in [name for name in sys.modules if name.startswith("ansible_collections.entra")]:
        del sys.modules[name]


def test_the_role_finds_every_filter_it_uses(filters):
    role = (ROOT / "roles" / "sync_prerequisites").rglob("*.yml")
    used = {name for path in role for name in filters if f"entra.sync_upgrade.{name}" in path.read_text()}
    assert used == set(filters)


def test_a_bad_argument_is_a_filter_error_naming_the_filter(filters):
    with pytest.raises(AnsibleFilterError, match="prerequisite_registry: unknown registry groups"):
        filters["prerequisite_registry"](["nope"])
    assert filters["prerequisite_powershell"]("5.1.17763.1")["ok"] is True
