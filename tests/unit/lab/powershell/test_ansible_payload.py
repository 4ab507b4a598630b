"""Ansible's bootstrap framing (lab/powershell/ansible_payload.py)."""

from __future__ import annotations

import json

from lab.powershell import ansible_payload


def test_ansible_framing_is_recognised():
    boot = json.dumps({"name": "exec_wrapper", "script": "...", "params": {}}).encode()
    manifest = json.dumps({"actions": [{"name": "winrm_put_file.ps1", "params": {"Path": "C:\\x"}}]}).encode()
    payload = ansible_payload.parse(boot + ansible_payload.SEPARATOR + manifest + ansible_payload.SEPARATOR + b"QUJD\r\n")
    assert payload.action_names == ["winrm_put_file.ps1"]
    assert payload.input == b"QUJD\r\n"
    assert ansible_payload.parse(b"plain stdin") is None
