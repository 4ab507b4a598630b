"""awx/objects.json: the AWX objects in awxkit's import format (`awx import < awx/objects.json`, docs/awx.md).

Checked against awxkit's own code (its resource names, natural keys, import order and related endpoints) and
against the repository: every survey question is a real variable of a role its template's playbook runs, with a
matching type, choices, `required` and a valid default; templates name existing playbooks; the workflow alternates
jobs and approval nodes in the documented order; nothing secret-looking is in the file.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from pathlib import Path

import pytest
import yaml
from awxkit.api.client import Connection
from awxkit.api.mixins import has_create
from awxkit.api.pages import api, page

REPO = Path(__file__).resolve().parents[3]
OBJECTS = json.loads((REPO / "awx" / "objects.json").read_text())
CONNECTION = Connection("https://awx.invalid")  # never contacted: awxkit's page classes want one to exist
# what the file references but does not create: AWX's managed Machine type, and the WinRM credential the operator
# creates first (docs/awx.md), so that its password is never in this file
EXTERNAL = [{"name": "Machine", "kind": "ssh", "type": "credential_type"}]
CREDENTIAL = {"organization": {"name": "Entra Sync Upgrade", "type": "organization"},
              "name": "Entra sync servers (WinRM)",
              "credential_type": {"name": "Machine", "kind": "ssh", "type": "credential_type"}, "type": "credential"}
# survey question type -> the argument spec types it can feed (AWX passes multiselect answers as a list)
SURVEY_TYPES = {"text": {"str", "path"}, "textarea": {"str"}, "password": {"str"}, "integer": {"int"},
                "float": {"float"}, "multiplechoice": {"str", "bool"}, "multiselect": {"list"}}
WORKFLOW_TEMPLATES = ["Assess", "Upgrade", "Upgrade", "Upgrade", "Cutover", "Cutover", "Cutover"]
INCLUDES = ("include_role", "import_role")


def page_class(resource: str, suffix: str = "") -> type:
    """awxkit's item class for a top-level resource (or one of its related endpoints), as its import resolves it."""
    endpoint = "/api/v2/{}/{}".format("inventories" if resource == "inventory" else resource, suffix)
    return page.get_registered_page(endpoint)(CONNECTION, endpoint=endpoint).__item_class__


def import_order() -> list[str]:
    """The order awxkit's import_assets creates the resource lists in (ApiV2._dependent_resources)."""
    classes = {page_class(r): r for r in api.EXPORTABLE_RESOURCES}
    return [classes[c] for c in itertools.chain(*has_create.page_creation_order(*classes)) if c in classes]


def natural_keys(value):
    """Every natural key (a dict with a `type`) inside value, outermost first."""
    if isinstance(value, dict):
        if isinstance(value.get("type"), str) and ("name" in value or "identifier" in value):
            yield value
        for v in value.values():
            yield from natural_keys(v)
    elif isinstance(value, list):
        for v in value:
            yield from natural_keys(v)


def all_objects():
    for resource, items in OBJECTS.items():
        for item in items:
            yield resource, item


def templates() -> dict[str, dict]:
    return {t["name"]: t for t in OBJECTS["job_templates"]}


def nodes() -> list[dict]:
    return OBJECTS["workflow_job_templates"][0]["related"]["workflow_nodes"]


# --- the repository: roles a playbook runs, and the variables a playbook sets itself ---------------------------
def _role_dir(name: str) -> Path:
    return REPO / "roles" / name.split(".")[-1]


def _walk_tasks(tasks, roles: set, set_vars: set, seen: set) -> None:
    for task in tasks or []:
        set_vars.update((task.get("vars") or {}).keys())
        for key in ("block", "rescue", "always"):
            _walk_tasks(task.get(key), roles, set_vars, seen)
        for key in task:
            if key.split(".")[-1] in INCLUDES:
                _visit_role(task[key]["name"], task[key].get("tasks_from", "main"), roles, set_vars, seen)


def _visit_role(name: str, tasks_from: str, roles: set, set_vars: set, seen: set) -> None:
    role = _role_dir(name)
    assert role.is_dir(), f"no role {name}"
    roles.add(role.name)
    for file in (role / "tasks").glob("*.yml"):  # every tasks file: include_tasks is by name, mostly templated
        if (role.name, file.name) not in seen:
            seen.add((role.name, file.name))
            _walk_tasks(yaml.safe_load(file.read_text()), roles, set_vars, seen)


@functools.cache
def playbook_roles(playbook: str) -> tuple[frozenset[str], frozenset[str]]:
    """The roles the playbook runs (its plays' roles, include_role/import_role, imported playbooks, and the roles
    those include) and the variables it sets itself in a `vars:` (which an extra variable would override)."""
    roles, set_vars, seen = set(), set(), set()
    path = REPO / playbook
    for play in yaml.safe_load(path.read_text()):
        if "ansible.builtin.import_playbook" in play or "import_playbook" in play:
            sub = play.get("ansible.builtin.import_playbook") or play["import_playbook"]
            sub_roles, sub_vars = playbook_roles(str((path.parent / sub).relative_to(REPO)))
            roles |= sub_roles
            set_vars |= sub_vars | set((play.get("vars") or {}).keys())
            continue
        set_vars.update((play.get("vars") or {}).keys())
        for role in play.get("roles") or []:
            _visit_role(role["role"] if isinstance(role, dict) else role, "main", roles, set_vars, seen)
        for key in ("pre_tasks", "tasks", "post_tasks", "handlers"):
            _walk_tasks(play.get(key), roles, set_vars, seen)
    return frozenset(roles), frozenset(set_vars)


@functools.cache
def role_options(roles: frozenset[str]) -> dict[str, tuple[str, dict]]:
    """variable -> (role, its argument spec option), over every entry point of the roles."""
    options = {}
    for role in roles:
        specs = yaml.safe_load((REPO / "roles" / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
        for entry in specs.values():
            for name, option in (entry.get("options") or {}).items():
                options[name] = (role, option)
    return options


def _expressions(value):
    """The Jinja expressions of a tasks file: `when:` and `that:` items, and what is inside each {{ }}."""
    if isinstance(value, dict):
        for key, v in value.items():
            if key in ("when", "that", "changed_when", "failed_when"):
                yield from [v] if isinstance(v, str) else [x for x in v if isinstance(x, str)] if isinstance(v, list) else []
            else:
                yield from _expressions(v)
    elif isinstance(value, list):
        for v in value:
            yield from _expressions(v)
    elif isinstance(value, str):
        yield from re.findall(r"{{(.*?)}}", value, re.S)


def _uses_without_bool(role: str, variable: str) -> list[str]:
    """The role's expressions that read a bool variable other than through `| bool` (a survey answers "false" as
    text, which is true in a bare `when:`)."""
    return [expression for file in (REPO / "roles" / role / "tasks").glob("*.yml")
            for expression in _expressions(yaml.safe_load(file.read_text()))
            if re.search(rf"\b{variable}\b(?!\s*\|\s*bool)", re.sub(r"'[^']*'|\"[^\"]*\"", "", expression))]


def check_value(option: dict, value, where: str) -> None:
    """value (a survey default or a template's extra variable) is valid for the argument spec option."""
    kind = option.get("type", "str")
    if kind == "bool":
        assert value in ("true", "false", True, False), where
        return
    if kind == "list":
        values = value.split("\n") if isinstance(value, str) else value
        assert isinstance(values, list), where
        if option.get("choices"):
            assert set(values) <= set(option["choices"]), where
        return
    python = {"str": str, "path": str, "int": int, "float": (int, float)}[kind]
    assert isinstance(value, python) and not isinstance(value, bool), f"{where}: {value!r} is not {kind}"
    if option.get("choices"):
        assert value in option["choices"], f"{where}: {value!r} not in {option['choices']}"


# --- awxkit's format ----------------------------------------------------------------------------------------
def test_the_file_has_only_resource_lists_awxkit_imports_and_every_object_has_awxkits_natural_key():
    assert set(OBJECTS) <= set(api.EXPORTABLE_RESOURCES)
    for resource, item in all_objects():
        item_class = page_class(resource)
        key = item["natural_key"]
        # awxkit's get_natural_key takes the NATURAL_KEY fields the object has, as fields or related links (a job
        # template's organization is its project's; an inventory source has none of its own)
        assert {f for f in item_class.NATURAL_KEY if f in item} | {"type"} <= set(key), (resource, item.get("name"))
        assert set(key) <= set(item_class.NATURAL_KEY) | {"type"}, (resource, item.get("name"))
        assert {"name", "identifier"} & set(key), resource
        for field in set(key) - {"type"}:
            assert key[field] == item.get(field, key[field]), (resource, field)


def test_every_natural_key_names_a_type_awxkit_resolves_with_its_fields():
    for _, item in all_objects():
        for key in natural_keys(item):
            endpoint = getattr(__import__("awxkit.api.resources", fromlist=["resources"]).resources, key["type"])
            list_endpoint = "".join([endpoint.rsplit("/", 2)[0], "/"])  # as PageCache.get_by_natural_key does
            item_class = page.get_registered_page(list_endpoint)(CONNECTION, endpoint=list_endpoint).__item_class__
            assert "type" in key and set(key) - {"type"} <= set(item_class.NATURAL_KEY), key


def test_every_reference_is_created_earlier_in_awxkits_import_order_or_exists_before_the_import():
    order = import_order()
    assert set(OBJECTS) <= set(order)
    known = [*EXTERNAL, CREDENTIAL]
    for resource in order:
        for item in OBJECTS.get(resource, []):
            for field, value in item.items():
                if field in ("natural_key", "related") or not isinstance(value, dict):
                    continue
                assert value in known, f"{resource} {item.get('name')}: {field} refers to {value}, not created before"
        known += [item["natural_key"] for item in OBJECTS.get(resource, [])]
    related = [key for _, item in all_objects() for key in natural_keys(item.get("related", {}))]
    defined = known + [n["natural_key"] for n in nodes()]
    assert all(key in defined for key in related if key["type"] != "workflow_job_template")


def test_related_objects_are_written_as_awxkits_export_writes_them():
    for name, template in templates().items():
        related = template["related"]
        assert set(related) == {"credentials", "survey_spec"}, name
        # survey_spec: a dependent export (a JSON blob posted as is); credentials: an attach set of natural keys
        assert ("JobTemplate", page_class("job_templates", "1/survey_spec/").__name__) in api.DEPENDENT_EXPORT
        assert page_class("job_templates", "1/credentials/").__name__ + "s" in api.EXPORTABLE_RELATIONS
        assert related["credentials"] == [CREDENTIAL], name
        assert set(related["survey_spec"]) == {"name", "description", "spec"}, name
    workflow = OBJECTS["workflow_job_templates"][0]
    assert set(workflow["related"]) == {"workflow_nodes"}
    assert ("WorkflowJobTemplate", page_class("workflow_job_templates", "1/workflow_nodes/").__name__) \
        in api.DEPENDENT_EXPORT
    assert ("WorkflowJobTemplateNode", page_class("workflow_job_template_nodes", "1/create_approval_template/")
            .__name__) in api.DEPENDENT_EXPORT
    for node in nodes():
        assert node["workflow_job_template"] == workflow["natural_key"]
        assert ("unified_job_template" in node) != ("create_approval_template" in node["related"]), node["identifier"]
        if "create_approval_template" in node["related"]:
            assert set(node["related"]["create_approval_template"]) == {"name", "description", "timeout"}


# --- surveys against the roles' argument specs ------------------------------------------------------------
@pytest.mark.parametrize("name", [t["name"] for t in OBJECTS["job_templates"]])
def test_every_survey_question_is_a_variable_of_a_role_the_playbook_runs_with_a_matching_type(name):
    template = templates()[name]
    roles, set_by_playbook = playbook_roles(template["playbook"])
    options = role_options(roles)
    spec = template["related"]["survey_spec"]["spec"]
    assert template["survey_enabled"] and spec
    assert len({q["variable"] for q in spec}) == len(spec), "a variable asked twice"
    for question in spec:
        variable, where = question["variable"], f"{name}: {question['variable']}"
        assert variable in options, f"{where} is not an argument of {sorted(roles)}"
        role, option = options[variable]
        assert question["type"] in SURVEY_TYPES and option.get("type", "str") in SURVEY_TYPES[question["type"]], where
        # an extra variable beats the playbook's own vars: a question must not override what the playbook decides
        assert variable not in set_by_playbook, f"{where} is set by the playbook itself"
        if option.get("required"):
            assert question["required"], f"{where} is required by {role}"
        if question["type"] == "multiplechoice":
            expected = ["false", "true"] if option.get("type") == "bool" else option["choices"]
            assert question["choices"] == expected, where
        if question["type"] == "multiselect":
            assert question["choices"] == option["choices"], where
        if option.get("type") == "bool":
            assert _uses_without_bool(role, variable) == [], f"{where}: read without | bool"
        check_value(option, question["default"], where)
        if question["type"] in ("integer", "float"):
            assert question["min"] <= question["default"] <= question["max"], where


@pytest.mark.parametrize("name", [t["name"] for t in OBJECTS["job_templates"]])
def test_template_extra_vars_are_role_variables_and_the_handoff_stops_for_an_approval(name):
    template = templates()[name]
    roles, _ = playbook_roles(template["playbook"])
    options = role_options(roles)
    extra = yaml.safe_load(template["extra_vars"] or "{}") or {}
    for variable, value in extra.items():
        assert variable in options, f"{name}: {variable} is not a role variable"
        check_value(options[variable][1], value, f"{name}: {variable}")
    # AWX: the handoff ends the job (stop) and the workflow's approval node is the wait (docs/handoff.md)
    assert ("sync_handoff" in roles) == (extra.get("sync_handoff_mode") == "stop"), name


def test_each_template_runs_an_existing_playbook_of_this_project_with_the_job_type_its_name_says():
    by_name = templates()
    assert set(by_name) == {"Assess", "Upgrade (check mode)", "Upgrade", "Cutover", "Rollback"}
    assert {n: t["playbook"] for n, t in by_name.items()} == {
        "Assess": "playbooks/assess.yml", "Upgrade (check mode)": "upgrade.yml", "Upgrade": "upgrade.yml",
        "Cutover": "playbooks/cutover.yml", "Rollback": "playbooks/rollback.yml"}
    for template in by_name.values():
        assert (REPO / template["playbook"]).is_file()
        assert template["project"] == OBJECTS["projects"][0]["natural_key"]
        assert template["job_type"] == ("check" if "check mode" in template["name"] else "run")


def test_the_project_is_this_repository_and_the_inventory_source_its_example_inventory():
    project = OBJECTS["projects"][0]
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text())
    assert project["scm_type"] == "git" and project["scm_url"] == galaxy["repository"]
    assert project["organization"] == OBJECTS["organizations"][0]["natural_key"]
    source = OBJECTS["inventory_sources"][0]
    assert source["source"] == "scm" and source["source_project"] == project["natural_key"]
    assert (REPO / source["source_path"]).is_file()
    assert "windows" in yaml.safe_load((REPO / source["source_path"]).read_text())["all"]["children"]


def test_the_workflow_alternates_jobs_and_approvals_in_the_documented_order():
    by_identifier = {n["identifier"]: n for n in nodes()}
    targets = {n["identifier"]: [s["identifier"] for s in n["related"]["success_nodes"]] for n in nodes()}
    assert all(not n["related"]["failure_nodes"] and not n["related"]["always_nodes"] for n in nodes())
    roots = set(targets) - {t for ts in targets.values() for t in ts}
    assert len(roots) == 1
    chain, current = [], roots.pop()
    while True:  # one path: each node has at most one successor, and none is visited twice
        assert current not in chain and len(targets[current]) <= 1
        chain.append(by_identifier[current])
        if not targets[current]:
            break
        current = targets[current][0]
    assert len(chain) == len(nodes())
    is_job = ["unified_job_template" in n for n in chain]
    assert is_job == [i % 2 == 0 for i in range(len(chain))], "job, approval, job, ... ending with a job"
    names = [n["unified_job_template"]["name"] for n in chain if "unified_job_template" in n]
    assert names == WORKFLOW_TEMPLATES
    assert all(n["unified_job_template"] in [t["natural_key"] for t in OBJECTS["job_templates"]]
               for n in chain if "unified_job_template" in n)
    for n in chain:
        if "create_approval_template" in n["related"]:
            assert n["related"]["create_approval_template"]["timeout"] == 0  # a wizard step takes what it takes


# --- no secrets ----------------------------------------------------------------------------------------------
SECRET_KEYS = re.compile(r"pass(word)?|secret|token|private|ssh_key|vault", re.I)


def _strings(value, path=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}[{i}]")
    elif isinstance(value, str):
        yield path, value


def test_nothing_secret_looking_is_in_the_file():
    assert "credentials" not in OBJECTS and "users" not in OBJECTS  # the credential is created by hand, first
    for path, value in _strings(OBJECTS):
        key = path.rsplit(".", 1)[-1]
        assert not (SECRET_KEYS.search(key) and value), f"{path} holds a value"
        assert "$encrypted$" not in value and "-----BEGIN" not in value, path
        assert not re.search(r"\b(ansible_password|ansible_become_pass|vault_\w+)\s*[:=]", value), path
    for template in OBJECTS["job_templates"]:
        assert all(q["type"] != "password" for q in template["related"]["survey_spec"]["spec"])


# --- fields awxkit itself writes for each kind of object ------------------------------------------------------
class _Ref:
    """A stand-in for a referenced page: awxkit's payload builders read only its id."""
    id = 1


# what a payload builder takes under another name, or as a positional argument
PAYLOAD_ARGUMENTS = {"inventory_sources": {"source_project": "project"}}
PAYLOAD_DEFAULTS = {"workflow_job_template_nodes": {"unified_job_template": None}}  # None: an approval node


def awxkit_payload_fields(resource: str, item: dict, item_class: type | None = None) -> set[str]:
    """The fields awxkit's own payload builder for the resource keeps from item (it drops what it does not know)."""
    item_class = item_class or page_class(resource)
    renames = PAYLOAD_ARGUMENTS.get(resource, {})
    kwargs = {renames.get(k, k): (_Ref() if isinstance(v, dict) and "type" in v else v)
              for k, v in item.items() if k not in ("natural_key", "related") and v is not None}
    payload = item_class(CONNECTION).payload(**{**PAYLOAD_DEFAULTS.get(resource, {}), **kwargs})
    inverse = {v: k for k, v in renames.items()}
    return {inverse.get(k, k) for k in payload}


def test_every_field_is_one_awxkits_payload_builders_write_so_none_is_silently_dropped():
    # awxkit's import posts only the fields the server's OPTIONS lists and drops the rest without a word: a
    # misspelt job_type would leave a check-mode template running for real. awxkit's own builders name the fields.
    for resource, item in all_objects():
        given = {k for k, v in item.items() if k not in ("natural_key", "related") and v is not None}
        assert given <= awxkit_payload_fields(resource, item), (resource, given - awxkit_payload_fields(resource, item))
    node_class = page_class("workflow_job_template_nodes")
    for node in nodes():
        given = {k for k, v in node.items() if k not in ("natural_key", "related") and v is not None}
        kept = awxkit_payload_fields("workflow_job_template_nodes", node, node_class)
        assert given <= kept, (node["identifier"], given - kept)


# --- docs/awx.md says what the file holds -------------------------------------------------------------------
def test_docs_name_the_objects_the_credential_and_the_pinned_awxkit_as_they_are():
    docs = (REPO / "docs" / "awx.md").read_text()
    pinned = re.search(r"^awxkit==(\S+)", (REPO / "requirements.txt").read_text(), re.M).group(1)
    assert f"awxkit=={pinned}" in docs and "awx import < awx/objects.json" in docs
    assert CREDENTIAL["name"] in docs and CREDENTIAL["organization"]["name"] in docs and "**Machine**" in docs
    assert OBJECTS["execution_environments"][0]["image"] in docs and "ansible-builder build" in docs
    for name in [t["name"] for t in OBJECTS["job_templates"]] + [OBJECTS["workflow_job_templates"][0]["name"]]:
        assert name in docs, name
    for node in nodes():
        if "create_approval_template" in node["related"]:
            assert f"| {node['related']['create_approval_template']['name']} |" in docs, node["identifier"]
