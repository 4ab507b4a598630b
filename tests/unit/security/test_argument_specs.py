"""Every role entry point the playbooks use has an argument spec, and Ansible refuses what it says is wrong.

Ansible validates a role's variables against meta/argument_specs.yml at the start of each entry point (main, or
the tasks_from file's name) before any task runs; an entry point without a spec is not checked at all. This walks
every role and every `tasks_from` the project uses, checks each spec is well formed, and runs Ansible's own
validator (the one behind ansible.builtin.validate_argument_spec) on wrong types, bad choices and missing values.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from tests.labfixture import REPO

ROLES = sorted(p.parent.parent for p in (REPO / "roles").glob("*/tasks/main.yml"))
TYPES = {"str", "bool", "int", "float", "list", "dict", "path", "raw", "jsonarg", "json", "bytes", "bits"}
TASKS_FROM = re.compile(r"name:\s*entra\.sync_upgrade\.(\w+)\s*\n\s*tasks_from:\s*([\w.]+)")


def specs(role: Path) -> dict:
    return yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())["argument_specs"]


def used_entry_points() -> set[tuple[str, str]]:
    found = {(role.name, "main") for role in ROLES}
    files = [REPO / "upgrade.yml", *(REPO / "playbooks").glob("*.yml"), *(REPO / "roles").rglob("tasks/*.yml"),
             *(REPO / "extensions").rglob("*.yml")]
    for path in files:
        for role, tasks in TASKS_FROM.findall(path.read_text()):
            found.add((role, Path(tasks).stem))
    return found


def test_the_walk_finds_the_entry_points():
    assert ("sync_backup", "require") in used_entry_points() and len(ROLES) >= 9


@pytest.mark.parametrize("role,entry", sorted(used_entry_points()))
def test_every_entry_point_in_use_has_a_spec(role, entry):
    assert entry in specs(REPO / "roles" / role), f"roles/{role}/meta/argument_specs.yml has no '{entry}' entry"


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_every_spec_is_well_formed_and_covers_the_defaults(role):
    entries = specs(role)
    for entry, spec in entries.items():
        assert (role / "tasks" / f"{entry}.yml").is_file(), (role.name, entry, "spec for a missing tasks file")
        assert spec.get("short_description"), (role.name, entry)
        for name, option in (spec.get("options") or {}).items():
            where = (role.name, entry, name)
            assert name.startswith(role.name + "_"), (where, "role-prefixed")
            assert option.get("type") in TYPES, where
            assert option.get("description"), where
            assert not (option.get("required") and "default" in option), (where, "required with a default")
            if "choices" in option:
                assert isinstance(option["choices"], list) and option["choices"], where
                default = option.get("default")
                allowed = default if isinstance(default, list) else [] if default is None else [default]
                assert set(allowed) <= set(option["choices"]), where
    defaults = role / "defaults" / "main.yml"
    documented = set(entries["main"].get("options") or {})
    if defaults.is_file():
        undocumented = set(yaml.safe_load(defaults.read_text()) or {}) - documented
        assert not undocumented, (role.name, "defaults without a spec", sorted(undocumented))


def validate(role: str, entry: str, values: dict) -> list[str]:
    spec = specs(REPO / "roles" / role)[entry]["options"]
    return ArgumentSpecValidator(spec).validate(values).error_messages


def valid(option: dict):
    """A value the option accepts (for the required options around the one under test)."""
    if option.get("choices"):
        return option["choices"][:1] if option["type"] == "list" else option["choices"][0]
    return {"str": "x", "path": "/x", "raw": "x", "bool": True, "int": 1, "float": 1.0, "list": [], "dict": {}}[
        option["type"]]


@pytest.mark.parametrize("role,entry,values,words", [
    ("sync_assess", "main", {"sync_assess_forced_path": "sideways"}, "sync_assess_forced_path must be one of"),
    ("sync_assess", "main", {"sync_assess_allow_unencrypted_http": "perhaps"}, "unable to convert to bool"),
    ("sync_backup", "main", {"sync_backup_dir": "/b", "sync_backup_max_age_hours": "soon"}, "float"),
    ("sync_backup", "main", {}, "missing required arguments: sync_backup_dir"),
    ("sync_backup", "require", {}, "missing required arguments: sync_backup_require_host"),
    ("sync_backup", "main", {"sync_backup_dir": "/b", "sync_backup_chunk_bytes": "4 MiB"}, "int"),
])
def test_ansible_refuses_wrong_types_bad_choices_and_missing_values(role, entry, values, words):
    errors = validate(role, entry, values)
    assert errors and any(words in e for e in errors), errors


def test_each_role_refuses_a_wrong_type_for_its_first_typed_option():
    wrong = {"bool": "perhaps", "int": "many", "float": "soon", "list": {"k": "v"}, "dict": "text"}
    for role in ROLES:
        for entry, spec in specs(role).items():
            options = spec.get("options") or {}
            typed = [(n, o) for n, o in options.items() if o["type"] in wrong]
            if not typed:
                continue
            name, option = typed[0]
            required = {n: valid(o) for n, o in options.items() if o.get("required")}
            errors = validate(role.name, entry, {**required, name: wrong[option["type"]]})
            assert any(name in e for e in errors), (role.name, entry, name, errors)
