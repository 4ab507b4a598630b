"""The target_sources filter (plugins/filter/target_sources.py)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]


def test_target_sources_maps_each_target_to_the_hosts_that_name_it(monkeypatch):
    collections = ROOT / ".ansible" / "collections"
    monkeypatch.syspath_prepend(str(collections))
    module = importlib.import_module("ansible_collections.entra.sync_upgrade.plugins.filter.target_sources")
    try:
        hostvars = {"a": {"sync_upgrade_target": "t1"}, "b": {"sync_upgrade_target": " t1 "}, "c": {},
                    "d": {"sync_upgrade_target": ""}, "e": {"sync_upgrade_target": "t2"}, "t1": {}}
        assert module.target_sources(hostvars, list(hostvars)) == {"t1": ["a", "b"], "t2": ["e"]}
    finally:
        for name in [name for name in sys.modules if name.startswith("ansible_collections.entra")]:
            del sys.modules[name]
