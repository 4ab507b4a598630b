"""Every role has argument specs for each entry point it is used by, and a README whose example uses only
variables the specs declare (issue 11, quality gates). Pure file reading: milliseconds."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
ROLES = sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "tasks").is_dir())
PREFIX = "entra.sync_upgrade."
INCLUDES = {"include_role", "import_role", "ansible.builtin.include_role", "ansible.builtin.import_role"}
# keys of a `roles:` entry that are play keywords, not role variables
ROLE_KEYWORDS = {"role", "name", "vars", "tags", "when", "become", "become_user", "delegate_to", "environment",
                 "any_errors_fatal", "ignore_errors", "collections", "tasks_from", "defaults_from", "vars_from",
                 "public", "apply"}
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: the whole project in a fraction of a second
CODE_BLOCK = re.compile(r"^```ya?ml\n(.*?)^```", re.S | re.M)


def specs(role: str) -> dict:
    path = ROOT / "roles" / role / "meta" / "argument_specs.yml"
    assert path.is_file(), f"{path.relative_to(ROOT)} is missing"
    return yaml.load(path.read_text(), Loader=LOADER)["argument_specs"]


def _short(name: str) -> str | None:
    """The role a reference names, when it is one of ours (FQCN or bare)."""
    short = name[len(PREFIX):] if name.startswith(PREFIX) else name
    return short if short in ROLES else None


def role_uses(node) -> list[tuple[str, str, set[str]]]:
    """(role, entry point, variables set for it) for every use of one of our roles in a parsed YAML document."""
    found = []
    if isinstance(node, list):
        for item in node:
            found += role_uses(item)
    elif isinstance(node, dict):
        if isinstance(node.get("role"), str) and _short(node["role"]):  # an entry of a play's `roles:`
            names = {k for k in node if k not in ROLE_KEYWORDS} | set(node.get("vars") or {})
            found.append((_short(node["role"]), "main", names))
        for key in INCLUDES & set(node):
            args = node[key] if isinstance(node[key], dict) else {}
            if _short(str(args.get("name", ""))):
                entry = Path(str(args.get("tasks_from", "main"))).stem
                found.append((_short(args["name"]), entry, set(node.get("vars") or {})))
        for value in node.values():
            found += role_uses(value)
    return found


def readme_blocks(path: Path) -> list:
    return [yaml.load(textwrap.dedent(block), Loader=LOADER) for block in CODE_BLOCK.findall(path.read_text())]


def _options(spec: dict, entry: str) -> set[str]:
    return set((spec.get(entry) or {}).get("options") or {})


@pytest.mark.parametrize("role", ROLES)
def test_the_main_entry_point_is_specified_and_described(role):
    main = specs(role).get("main")
    assert main and main.get("short_description"), f"{role}: argument_specs.yml has no described main entry point"
    for name, option in (main.get("options") or {}).items():
        assert option.get("type") and option.get("description"), f"{role}: option {name} needs type and description"
        assert name.startswith(f"{role}_"), f"{role}: option {name} is not named after the role"


def test_every_entry_point_in_use_is_specified():
    """tasks_from: X anywhere in the project (playbooks, roles, READMEs) needs an entry point X in the specs."""
    sources = [p for p in ROOT.glob("*.yml")] + [p for d in ("playbooks", "roles", "extensions") for p in
                                                   (ROOT / d).rglob("*.yml")]
    uses = [use for path in sources for use in role_uses(yaml.load(path.read_text(), Loader=LOADER))]
    uses += [use for path in (ROOT / "roles").glob("*/README.md") for block in readme_blocks(path)
             for use in role_uses(block)]
    assert any(entry != "main" for _, entry, _ in uses)  # the scan sees tasks_from at all
    missing = sorted({(role, entry) for role, entry, _ in uses if entry not in specs(role)})
    assert not missing, f"entry points used without argument specs: {missing}"


@pytest.mark.parametrize("role", ROLES)
def test_the_readme_shows_a_playbook_that_uses_the_role(role):
    readme = ROOT / "roles" / role / "README.md"
    assert readme.is_file(), f"roles/{role}/README.md is missing"
    plays = [block for block in readme_blocks(readme) if isinstance(block, list)
             and any(isinstance(play, dict) and "hosts" in play for play in block)]
    assert any(use[0] == role for play in plays for use in role_uses(play)), (
        f"roles/{role}/README.md has no ```yaml playbook using entra.sync_upgrade.{role}")


@pytest.mark.parametrize("role", ROLES)
def test_the_readme_examples_set_only_specified_variables(role):
    unknown = []
    for block in readme_blocks(ROOT / "roles" / role / "README.md"):
        for used, entry, names in role_uses(block):
            unknown += [f"{used}:{entry} {name}" for name in sorted(names - _options(specs(used), entry))]
    assert not unknown, f"roles/{role}/README.md sets variables its roles' specs do not declare: {unknown}"


def test_the_checks_see_a_variable_the_specs_do_not_declare():
    play = yaml.safe_load("""
    - hosts: all
      roles:
        - role: entra.sync_upgrade.sync_verify
          vars: {sync_verify_source: a, sync_verify_no_such_option: 1}
      tasks:
        - ansible.builtin.include_role: {name: entra.sync_upgrade.sync_backup, tasks_from: require.yml}
          vars: {sync_backup_require_host: b}
    """)
    uses = role_uses(play)
    assert uses == [("sync_verify", "main", {"sync_verify_source", "sync_verify_no_such_option"}),
                    ("sync_backup", "require", {"sync_backup_require_host"})]
    assert {"sync_verify_no_such_option"} == uses[0][2] - _options(specs("sync_verify"), "main")
