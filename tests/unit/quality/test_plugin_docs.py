"""Every custom plugin has an ansible-doc page that loads and is complete (issue 11, quality gates).

One `ansible-doc --metadata-dump` call reads every plugin's documentation (seconds, where one call per plugin
costs a second each); two `--list` calls prove ansible-doc lists what the collection provides.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
COLLECTION = "entra.sync_upgrade"
# plugins/<folder> that hold no plugins ansible-doc documents: shared code, and what modules are built from
NOT_DOCUMENTED = {"plugin_utils", "module_utils", "doc_fragments", "action"}
# ansible-doc's type for each plugin folder the test knows how to enumerate
TYPES = {"modules": "module", "filter": "filter", "test": "test", "lookup": "lookup", "callback": "callback",
         "inventory": "inventory", "connection": "connection", "become": "become", "cache": "cache", "vars": "vars"}


def _ansible_doc(*args: str) -> str:
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    done = subprocess.run([str(BIN / "ansible-doc"), *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _jinja_plugins(folder: str, cls: str) -> set[str]:
    """The names the filter (or test) files really provide: what Ansible loads, not what the file names say."""
    sys.path.insert(0, str(ROOT / ".ansible" / "collections"))
    try:
        names = set()
        for path in sorted((ROOT / "plugins" / folder).glob("*.py")):
            module = importlib.import_module(f"ansible_collections.entra.sync_upgrade.plugins.{folder}.{path.stem}")
            plugin = getattr(module, cls)()
            names |= set(plugin.filters() if cls == "FilterModule" else plugin.tests())
        return names
    finally:
        sys.path.remove(str(ROOT / ".ansible" / "collections"))
        for name in [name for name in sys.modules if name.startswith("ansible_collections.entra")]:
            del sys.modules[name]


@functools.cache
def expected_plugins() -> dict[str, set[str]]:
    expected: dict[str, set[str]] = {}
    for folder in sorted(p for p in (ROOT / "plugins").iterdir() if p.is_dir() and p.name != "__pycache__"):
        if folder.name in NOT_DOCUMENTED:
            continue
        assert folder.name in TYPES, f"plugins/{folder.name}: a plugin type this test does not cover yet; add it"
        if folder.name == "filter":
            names = _jinja_plugins("filter", "FilterModule")
        elif folder.name == "test":
            names = _jinja_plugins("test", "TestModule")
        else:  # a .ps1 module is documented by the .py of the same name
            names = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
        expected[TYPES[folder.name]] = names
    # an action plugin is the controller side of a module of the same name: it needs that module's page
    expected["module"] |= {p.stem for p in (ROOT / "plugins" / "action").glob("*.py") if p.stem != "__init__"}
    return expected


@pytest.fixture(scope="module")
def dump() -> dict:
    return json.loads(_ansible_doc("--metadata-dump", "--no-fail-on-errors", COLLECTION))["all"]


def _fqcn(names):
    return {f"{COLLECTION}.{name}" for name in names}


def _option_problems(options: dict, where: str) -> list[str]:
    problems = []
    for name, spec in (options or {}).items():
        if not spec.get("description"):
            problems.append(f"{where}: option {name} has no description")
        if not spec.get("type"):
            problems.append(f"{where}: option {name} has no type")
        problems += _option_problems(spec.get("suboptions"), f"{where}.{name}")
    return problems


def test_the_expected_plugins_are_what_the_collection_has():
    expected = expected_plugins()
    # guards the enumeration itself: an empty set would make every check below pass vacuously
    assert len(expected["module"]) >= 8 and len(expected["filter"]) >= 25
    assert {"sync_facts", "sync_file_info", "fleet_summary_table", "prerequisite_result"} <= (
        expected["module"] | expected["filter"])


def test_every_plugin_has_a_page_that_loads(dump):
    for plugin_type, names in expected_plugins().items():
        pages = {name: page for name, page in dump.get(plugin_type, {}).items() if name.startswith(f"{COLLECTION}.")}
        assert set(pages) == _fqcn(names), plugin_type
        broken = {name: page["error"] for name, page in pages.items() if "error" in page}
        assert not broken, broken


def test_every_page_is_complete(dump):
    problems = []
    for plugin_type, names in expected_plugins().items():
        for name in sorted(_fqcn(names)):
            page = dump[plugin_type][name]
            doc = page.get("doc") or {}
            where = f"{plugin_type} {name}"
            documents = doc.get("module") or doc.get("name")
            if documents != name.rsplit(".", 1)[1]:  # e.g. a filter file's one DOCUMENTATION shown for all its filters
                problems.append(f"{where}: the page documents {documents}")
            if not doc.get("short_description"):
                problems.append(f"{where}: no short_description")
            if not doc.get("description"):
                problems.append(f"{where}: no description")
            problems += _option_problems(doc.get("options"), where)
            if not (page.get("examples") or "").strip():
                problems.append(f"{where}: no EXAMPLES")
            elif f"{name}" not in page["examples"]:
                problems.append(f"{where}: the EXAMPLES never use {name}")
            if plugin_type in ("module", "filter", "test", "lookup") and not page.get("return"):
                problems.append(f"{where}: no RETURN")
    assert not problems, "\n".join(problems)


def test_every_role_has_a_page_with_its_main_entry_point(dump):
    roles = {p.name for p in (ROOT / "roles").iterdir() if (p / "tasks").is_dir()}
    pages = {name: page for name, page in dump.get("role", {}).items() if name.startswith(f"{COLLECTION}.")}
    assert set(pages) == _fqcn(roles)
    assert all("main" in (page.get("entry_points") or {}) for page in pages.values())


@pytest.mark.parametrize("plugin_type", ["module", "filter"])
def test_ansible_doc_lists_every_plugin(plugin_type):
    listed = set(json.loads(_ansible_doc("-t", plugin_type, "--list", "--json", COLLECTION)))
    assert listed == _fqcn(expected_plugins()[plugin_type])
