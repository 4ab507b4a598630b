"""The action plugins as Ansible loads them: imported from the collection, and forgotten after each test module."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

COLLECTIONS = Path(__file__).resolve().parents[4] / ".ansible" / "collections"


@pytest.fixture(scope="module")
def action_module(request):
    """The action plugin named by the test module's ACTION (e.g. "sync_assess")."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(COLLECTIONS))
        try:
            yield importlib.import_module(f"ansible_collections.entra.sync_upgrade.plugins.action.{request.module.ACTION}")
        finally:
            for name in [name for name in sys.modules if name.startswith("ansible_collections.entra")]:
                del sys.modules[name]
