"""The inventory's secrets, and where they leak: for the check that a full lab run at -vvv, its logs and its reports
contain none of them (issue 10, security).

`inventory_secrets()` reads the secrets the way Ansible does (ansible-inventory, with the vault ids given), and
`leaks(text, secrets)` names each one found in a text as it is, or in a form it could take on the way out: URL- or
JSON-escaped, base64 (as in an HTTP Basic Authorization header, `user:password` encoded together) or base64 of
UTF-16LE (PowerShell's -EncodedCommand, which is how Ansible sends a module's script over WinRM).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import subprocess
import urllib.parse
from pathlib import Path

from tests.labfixture import BIN, REPO, env

LAB_INVENTORY = REPO / "inventories" / "lab" / "hosts.yml"
SECRET_NAME = re.compile(r"pass(word|phrase)?|secret|token|credential|vault|_key$", re.I)
VAULTED = "__ansible_vault"
BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{8,}={0,2}")


def _hostvars(inventory: Path, vault_ids: tuple[str, ...]) -> dict[str, dict]:
    args = [str(BIN / "ansible-inventory"), "-i", str(inventory), "--list"]
    for vault_id in vault_ids:
        args += ["--vault-id", vault_id]
    out = subprocess.run(args, cwd=REPO, env=env(), capture_output=True, text=True, check=True).stdout
    return json.loads(out)["_meta"]["hostvars"]


def _decrypt(vaulted: str, vault_ids: tuple[str, ...]) -> str | None:
    """A vaulted value, decrypted by ansible-vault with the vault ids given; None when none of them opens it."""
    if not vault_ids:
        return None
    args = [str(BIN / "ansible-vault"), "decrypt", "--output", "-", "-"]
    for vault_id in vault_ids:
        args[2:2] = ["--vault-id", vault_id]
    proc = subprocess.run(args, cwd=REPO, env=env(), input=vaulted, capture_output=True, text=True)
    return proc.stdout if proc.returncode == 0 else None


def _is_secret(name: str, value) -> bool:
    return isinstance(value, dict) and VAULTED in value or bool(SECRET_NAME.search(name))


def inventory_secrets(inventory: Path | str = LAB_INVENTORY, vault_ids: tuple[str, ...] = ()) -> dict[str, str]:
    """Every secret the inventory and its group_vars define: name -> value.

    A secret is a variable named like a password, passphrase, secret, token, credential or key, or any vaulted
    value. The name is the variable's when all hosts share the value, `host/variable` otherwise. A value that is
    only a template ('{{ vault_winrm_password }}') is not itself a secret: the variable it names is collected too.
    A vaulted value that cannot be decrypted (its vault id not given) is an error, never a silent gap."""
    found: dict[str, dict[str, str]] = {}  # variable -> host -> value
    for host, variables in _hostvars(Path(inventory), tuple(vault_ids)).items():
        for name, value in variables.items():
            if not _is_secret(name, value):
                continue
            if isinstance(value, dict) and VAULTED in value:
                value = _decrypt(value[VAULTED], tuple(vault_ids))
                if value is None:
                    raise ValueError(f"{host}: {name} is vaulted and no vault id given can decrypt it")
            if not isinstance(value, str | int) or isinstance(value, bool):
                continue
            text = str(value)
            if text.strip() and "{{" not in text:
                found.setdefault(name, {})[host] = text
    secrets = {}
    for name, by_host in sorted(found.items()):
        if len(set(by_host.values())) == 1:
            secrets[name] = next(iter(by_host.values()))
        else:
            secrets.update({f"{host}/{name}": value for host, value in sorted(by_host.items())})
    return secrets


def _forms(value: str) -> set[str]:
    """The ways a secret can be written out as text without being decoded first."""
    return {value, urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value), json.dumps(value)[1:-1],
            value.replace("\\", "\\\\"), json.dumps(json.dumps(value)[1:-1])[1:-1]}


def _decoded(text: str) -> str:
    """Every base64 run in the text, decoded as UTF-8 and as UTF-16LE (joined; undecodable runs are skipped)."""
    parts = []
    for run in BASE64_RUN.findall(text):
        for candidate in {run, run[: len(run) - len(run) % 4]}:
            try:
                raw = base64.b64decode(candidate + "=" * (-len(candidate) % 4), validate=True)
            except (binascii.Error, ValueError):
                continue
            parts.append(raw.decode("utf-8", "ignore"))
            parts.append(raw.decode("utf-16-le", "ignore"))
    return "\n".join(parts)


def leaks(text: str, secrets: dict[str, str]) -> list[str]:
    """Names of the secrets found in the text, as they are or escaped or base64-encoded, sorted."""
    decoded = None
    found = []
    for name, value in secrets.items():
        if any(form in text for form in _forms(value)):
            found.append(name)
            continue
        if decoded is None:
            decoded = _decoded(text)
        if any(form in decoded for form in _forms(value)):
            found.append(name)
    return sorted(found)
