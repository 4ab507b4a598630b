"""execution-environment.yml: `ansible-builder create` writes a complete build context offline (in a network
namespace of its own: no network at all), and the definition stays in step with what the toolkit is tested with
(requirements.txt's pins, the collections the code calls, galaxy.yml's version).

The documented build is two commands (docs/execution-environment.md): the collection tarball into ee/collections,
then ansible-builder. The test runs the first as the page shows it and the second's `create` half, on a copy of the
definition, so the checkout is left as it was.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml
from bindep.depends import Depends

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
BASE_IMAGE = "quay.io/centos/centos:stream9"
TEST_TOOLS = {"pytest", "pytest-timeout", "pytest-xdist", "execnet", "molecule", "ansible-lint", "yamllint", "ruff",
              "mock", "tree-sitter", "tree-sitter-powershell", "ansible-builder"}
PIN = re.compile(r"^([A-Za-z0-9_.-]+)(\[[a-z,]+\])?==([^\s#]+)")


def documented_commands() -> list[list[str]]:
    """The build commands docs/execution-environment.md shows (its first sh block), split as a shell would."""
    block = re.search(r"```sh\n(.*?)```", (REPO / "docs" / "execution-environment.md").read_text(), re.S)[1]
    return [shlex.split(line) for line in block.splitlines() if line.strip()]


def pins(path: Path) -> dict[str, tuple[str, set[str]]]:
    """name -> (version, extras) of a pinned requirements file."""
    found = {}
    for line in path.read_text().splitlines():
        if match := PIN.match(line.strip()):
            found[match[1].lower()] = (match[3], set((match[2] or "[]")[1:-1].split(",")) - {""})
    return found


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    """The build context of a copy of the definition, with the collection built as the docs say."""
    work = tmp_path_factory.mktemp("ee")
    shutil.copy2(REPO / "execution-environment.yml", work)
    shutil.copytree(REPO / "ee", work / "ee", ignore=shutil.ignore_patterns("collections"))
    pack, _ = documented_commands()
    pack = [str(work / "ee" / "collections") if arg == "ee/collections" else arg for arg in pack]
    built = subprocess.run([str(BIN / pack[0]), *pack[1:]], cwd=REPO, capture_output=True, text=True)
    assert built.returncode == 0, built.stdout + built.stderr
    # unshare -n: a network namespace with no interface but a downed loopback; a step that needed the network fails
    create = subprocess.run(["unshare", "-n", str(BIN / "ansible-builder"), "create", "-f",
                             str(work / "execution-environment.yml"), "-c", str(work / "context"),
                             "--output-filename", "Containerfile"], capture_output=True, text=True)
    assert create.returncode == 0, f"ansible-builder create failed offline:\n{create.stdout}\n{create.stderr}"
    return work / "context"


def test_the_documented_commands_are_the_ones_this_test_runs():
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text())
    pack, build = documented_commands()
    assert pack == ["ansible-galaxy", "collection", "build", "--force", "--output-path", "ee/collections"]
    assert build == ["ansible-builder", "build", "-t", f"entra-sync-upgrade-ee:{galaxy['version']}"]


def test_the_context_has_a_containerfile_on_the_pinned_base_with_our_ansible_core_and_runner(context):
    containerfile = (context / "Containerfile").read_text()
    controller = pins(REPO / "requirements.txt")
    assert f'ARG EE_BASE_IMAGE="{BASE_IMAGE}"' in containerfile
    refs = re.search(r'^ARG ANSIBLE_INSTALL_REFS="([^"]*)"', containerfile, re.M)[1].split()
    assert sorted(refs) == sorted(f"{name}=={controller[name][0]}" for name in ("ansible-core", "ansible-runner"))
    assert 'ARG PYCMD="/usr/bin/python3.12"' in containerfile


def test_the_context_copies_the_python_system_and_galaxy_requirements(context):
    for name, source in {"requirements.txt": "ee/requirements.txt", "bindep.txt": "ee/bindep.txt",
                         "requirements.yml": "ee/requirements.yml"}.items():
        assert (context / "_build" / name).read_text() == (REPO / source).read_text(), name
    containerfile = (context / "Containerfile").read_text()
    assert "COPY _build/requirements.txt requirements.txt" in containerfile
    assert "COPY _build/bindep.txt bindep.txt" in containerfile
    assert "ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml" in containerfile


def test_the_collection_of_this_repository_is_in_the_context_under_the_name_the_galaxy_requirements_give(context):
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text())
    local = [c for c in yaml.safe_load((REPO / "ee" / "requirements.yml").read_text())["collections"]
             if c.get("type") == "file"]
    assert [c["name"] for c in local] == [f"collections/{galaxy['namespace']}-{galaxy['name']}-{galaxy['version']}.tar.gz"]
    tarball = context / "_build" / local[0]["name"]
    assert tarball.is_file(), "the galaxy requirement names a tarball the context lacks (galaxy.yml's version?)"
    with tarfile.open(tarball) as archive:
        names = set(archive.getnames())
        manifest = json.load(archive.extractfile("MANIFEST.json"))["collection_info"]
    assert (manifest["namespace"], manifest["name"], manifest["version"]) == \
        (galaxy["namespace"], galaxy["name"], galaxy["version"])
    for needed in ("plugins/action/sync_handoff.py", "plugins/plugin_utils/_decide.py", "policy/lifecycle.yml",
                   "roles/sync_assess/tasks/main.yml", "meta/runtime.yml"):
        assert needed in names, needed
    # the checkout's own link to itself, the lab, its inventory and the tests are no part of the collection
    for left_out in (".ansible", "inventories/lab", "lab", "tests", "ee"):
        assert not [n for n in names if n == left_out or n.startswith(left_out + "/")], left_out


def test_the_galaxy_stage_installs_this_collection_from_the_context_offline(context, tmp_path):
    """The galaxy stage's command as the Containerfile runs it, in _build (the image's /build), with no network: the
    Windows collections are already there (at build time they come from Galaxy), this one from the tarball."""
    containerfile = (context / "Containerfile").read_text()
    command = re.search(r"^RUN ANSIBLE_GALAXY_DISABLE_GPG_VERIFY=1 (ansible-galaxy collection install .*)$", containerfile,
                        re.M)[1]
    target = tmp_path / "collections"
    import ansible_collections

    for name in ("ansible.windows", "community.windows"):
        namespace, collection = name.split(".")
        installed = next(Path(root) / namespace / collection for root in ansible_collections.__path__
                         if (Path(root) / namespace / collection).is_dir())
        (target / "ansible_collections" / namespace).mkdir(parents=True, exist_ok=True)
        (target / "ansible_collections" / namespace / collection).symlink_to(installed, target_is_directory=True)
    args = shlex.split(command.replace("$ANSIBLE_GALAXY_CLI_COLLECTION_OPTS", "--offline")
                       .replace("/usr/share/ansible/collections", str(target)))
    # HOME and the collections path: only the target counts as installed (never a developer's ~/.ansible)
    isolated = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "ANSIBLE_COLLECTIONS_PATH": str(target)}
    proc = subprocess.run(["unshare", "-n", str(BIN / args[0]), *args[1:]], cwd=context / "_build", env=isolated,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    manifest = target / "ansible_collections" / "entra" / "sync_upgrade" / "MANIFEST.json"
    assert json.loads(manifest.read_text())["collection_info"]["name"] == "sync_upgrade", proc.stdout


def test_every_collection_the_code_calls_is_in_the_ee_at_the_tested_version():
    text = "\n".join(p.read_text() for folder in ("roles", "playbooks") for p in (REPO / folder).rglob("*.yml"))
    text += (REPO / "upgrade.yml").read_text()
    # task keys (`- ansible.windows.win_copy:`), the way every module is called here
    used = set(re.findall(r"^[ -]*([a-z_]+\.[a-z_]+)\.[a-z_]+:", text, re.M)) - {"ansible.builtin", "entra.sync_upgrade"}
    assert "ansible.windows" in used, "the scan found none of the collections the roles are known to use"
    wanted = {c["name"]: c.get("version") for c in yaml.safe_load((REPO / "ee" / "requirements.yml").read_text())
              ["collections"] if c.get("type") != "file"}
    assert used <= set(wanted), f"used by the code but not in ee/requirements.yml: {sorted(used - set(wanted))}"
    import ansible_collections  # the collections of the ansible package the tests run with

    for name, version in wanted.items():
        namespace, collection = name.split(".")
        for root in ansible_collections.__path__:
            manifest = Path(root) / namespace / collection / "MANIFEST.json"
            if manifest.is_file():
                assert json.loads(manifest.read_text())["collection_info"]["version"] == version, name
                break
        else:
            raise AssertionError(f"{name} is not installed with the ansible package")


def test_the_ee_python_needs_are_the_runtime_ones_pinned_as_the_controller_pins_them():
    ee, controller = pins(REPO / "ee" / "requirements.txt"), pins(REPO / "requirements.txt")
    assert ee["pywinrm"][1] == {"kerberos", "credssp"}
    for name in ("pywinrm", "pyspnego", "requests-ntlm", "cryptography", "jinja2", "pykerberos", "requests-credssp"):
        assert name in ee, name
    assert {n: v for n, (v, _) in ee.items() if n in controller and controller[n][0] != v} == {}
    assert not set(ee) & TEST_TOOLS, "test and lint tools do not belong in the execution environment"
    unpinned = [line for line in (REPO / "ee" / "requirements.txt").read_text().splitlines()
                if line.strip() and not line.startswith("#") and not PIN.match(line)]
    assert unpinned == []


def test_kerberos_build_packages_stay_in_the_builder_stage_and_its_libraries_reach_the_image():
    depends = Depends((REPO / "ee" / "bindep.txt").read_text())
    rpm = ["platform:rpm", "platform:redhat", "platform:centos"]
    at_build = {rule[0] for rule in depends.active_rules(rpm + ["compile"])}
    at_run = {rule[0] for rule in depends.active_rules(rpm + ["default"])}
    assert {"gcc", "krb5-devel", "python3.12-devel"} <= at_build
    assert {"krb5-libs", "krb5-workstation"} <= at_run
    assert not {"gcc", "krb5-devel", "python3.12-devel"} & at_run, "compilers and headers in the final image"
