"""Every inventory the project ships validates certificates and never sends a password in the clear (issue 10).

Each inventory is loaded the way Ansible loads it (ansible-inventory --list), and every host's connection settings
go through the assessment's own preflight (plugins/plugin_utils/_connection.py) with nothing allowed; the molecule
scenarios are checked through the inventory they link and any variables they set inline.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from plugins.plugin_utils._connection import ALLOW_CERT_VAR, ALLOW_HTTP_VAR, connection_problems
from tests.labfixture import BIN, REPO, env

INVENTORIES = sorted(p for p in (REPO / "inventories").glob("*/hosts.yml"))
SCENARIOS = sorted((REPO / "extensions" / "molecule").glob("*/molecule.yml"))


def hostvars(inventory: Path) -> dict[str, dict]:
    out = subprocess.run([str(BIN / "ansible-inventory"), "-i", str(inventory), "--list"], cwd=REPO, env=env(),
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)["_meta"]["hostvars"]


def test_the_shipped_inventories_are_all_found():
    assert {p.parent.name for p in INVENTORIES} >= {"lab", "example"}
    assert {p.parent.name for p in SCENARIOS} >= {"in_place", "parallel"}


@pytest.mark.parametrize("inventory", INVENTORIES, ids=lambda p: p.parent.name)
def test_every_host_validates_certificates_and_sends_no_clear_password(inventory):
    hosts = hostvars(inventory)
    assert hosts, f"{inventory}: no hosts"
    for host, variables in hosts.items():
        assert connection_problems(variables) == [], (inventory, host)
        assert str(variables.get("ansible_winrm_server_cert_validation", "validate")) == "validate", host
        assert not variables.get(ALLOW_HTTP_VAR) and not variables.get(ALLOW_CERT_VAR), host
        assert variables.get("ansible_winrm_scheme") == "https", (host, "the shipped inventories use HTTPS")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.parent.name)
def test_every_molecule_scenario_uses_a_checked_inventory(scenario):
    # molecule's ${VAR:-default}: the shipped default (a pytest-xdist worker names its own lab's copy instead)
    text = re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*:-([^}]*)\}", r"\1", scenario.read_text())
    inventory = yaml.safe_load(text)["provisioner"].get("inventory") or {}
    linked = (scenario.parent / inventory["links"]["hosts"]).resolve()
    assert linked in {p.resolve() for p in INVENTORIES}, linked
    inline = [inventory.get("host_vars") or {}, inventory.get("group_vars") or {}]
    for variables in (v for level in inline for v in level.values()):
        assert connection_problems({"ansible_connection": "winrm", **variables}) == [], (scenario, variables)


def test_the_check_would_catch_an_inventory_that_turns_validation_off(tmp_path):
    (tmp_path / "hosts.yml").write_text(
        "all:\n  hosts:\n    bad:\n      ansible_connection: winrm\n      ansible_winrm_server_cert_validation: ignore\n"
        "    clear:\n      ansible_connection: winrm\n      ansible_port: 5985\n")
    problems = {h: connection_problems(v) for h, v in hostvars(tmp_path / "hosts.yml").items()}
    assert all(len(p) == 1 for p in problems.values()), problems
