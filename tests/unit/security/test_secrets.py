"""tests/secrets.py: the lab inventory's secrets are all found, and found again in every form they can leak in."""

from __future__ import annotations

import base64
import json
import subprocess
import urllib.parse

import pytest

from tests.labfixture import BIN, REPO, env
from tests.secrets import inventory_secrets, leaks

SECRETS = {"ansible_password": "Lab-Only-Passw0rd", "sync_installer_proxy_password": "pr0xy&p@ss word"}


def test_the_lab_inventorys_secrets_are_read_the_way_ansible_reads_them():
    secrets = inventory_secrets()
    assert secrets == {"ansible_password": "Lab-Only-Passw0rd"}  # the lab defines no other secret


def test_templated_and_vaulted_secrets_are_followed(tmp_path):
    vault_pass = tmp_path / "vault-pass"
    vault_pass.write_text("a-vault-password\n")
    (tmp_path / "group_vars" / "windows").mkdir(parents=True)
    (tmp_path / "hosts.yml").write_text("all:\n  children:\n    windows:\n      hosts:\n        one:\n        two:\n"
                                        "          backup_token: two-only-token\n")
    (tmp_path / "group_vars" / "windows" / "winrm.yml").write_text(
        "ansible_password: '{{ vault_winrm_password }}'\nansible_user: svc\n")
    vaulted = subprocess.run([str(BIN / "ansible-vault"), "encrypt_string", "--vault-id", f"test@{vault_pass}",
                              "V4ulted-Secret!", "--name", "vault_winrm_password"], cwd=REPO, env=env(),
                             capture_output=True, text=True, check=True).stdout
    (tmp_path / "group_vars" / "windows" / "vault.yml").write_text(vaulted)
    assert inventory_secrets(tmp_path / "hosts.yml", (f"test@{vault_pass}",)) == {
        "backup_token": "two-only-token", "vault_winrm_password": "V4ulted-Secret!"}
    with pytest.raises((ValueError, subprocess.CalledProcessError)):  # without the vault id it is an error, not a missed secret
        inventory_secrets(tmp_path / "hosts.yml")


@pytest.mark.parametrize("form", [
    lambda s: f"password: {s}",
    lambda s: urllib.parse.quote(s, safe=""),
    lambda s: urllib.parse.quote_plus(s),
    lambda s: json.dumps({"msg": s}),
    lambda s: "Authorization: Basic " + base64.b64encode(f"CORP\\labadmin:{s}".encode()).decode(),
    lambda s: "-EncodedCommand " + base64.b64encode(f"$p = '{s}'; Invoke-Thing".encode("utf-16-le")).decode(),
    lambda s: "data=" + base64.b64encode(s.encode()).decode().rstrip("="),
])
def test_a_secret_is_found_in_every_form(form):
    for name, value in SECRETS.items():
        assert leaks(form(value), SECRETS) == [name], form(value)


def test_clean_text_and_near_misses_leak_nothing():
    text = ("ok: [dirsync-2008r2] => Lab-Only-Passw0r and Lab-Only-Password; Authorization: Basic "
            + base64.b64encode(b"labadmin:something-else").decode())
    assert leaks(text, SECRETS) == []
    assert leaks(text + " Lab-Only-Passw0rd", SECRETS) == ["ansible_password"]
