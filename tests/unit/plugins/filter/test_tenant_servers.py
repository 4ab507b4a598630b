"""The tenant_servers filter (plugins/filter/tenant_servers.py)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
ACTIVE = {"tool": "connect", "tenant": "contoso.onmicrosoft.com", "staging_mode": False,
          "scheduler": {"enabled": True}, "services": [{"name": "ADSync", "state": "running", "start_mode": "auto"}]}


def test_tenant_servers_lists_the_assessed_hosts_with_tenant_and_activity(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / ".ansible" / "collections"))
    module = importlib.import_module("ansible_collections.entra.sync_upgrade.plugins.filter.tenant_servers")
    try:
        hostvars = {
            "a": {"sync_assess_result": {"status": "assessed", "facts": ACTIVE}},
            "b": {"sync_assess_result": {"status": "assessed", "facts": {**ACTIVE, "staging_mode": True}}},
            "c": {"sync_assess_result": {"status": "unreachable", "facts": None}},
            "d": {},
        }
        assert module.tenant_servers(hostvars, ["a", "b", "c", "d", "absent"]) == [
            {"host": "a", "tenant": "contoso.onmicrosoft.com", "active": True,
             "why": "ADSync running, scheduler on, not in staging mode"},
            {"host": "b", "tenant": "contoso.onmicrosoft.com", "active": False, "why": "staging mode on"}]
    finally:
        for name in [name for name in sys.modules if name.startswith("ansible_collections.entra")]:
            del sys.modules[name]
