"""The lab's building blocks without a network: command-line decoding, paths, durations, payload framing."""

from __future__ import annotations

import base64
import json

import pytest

from lab.powershell import ansible_payload, commandline
from lab.twin.filesystem import FileSystem, FileSystemError
from lab.twin.registry import Registry, RegistryError
from lab.wsman.soap import parse_duration


def b64(script: str) -> str:
    return base64.b64encode(script.encode("utf-16-le")).decode()


@pytest.mark.parametrize("switch", ["-EncodedCommand", "-encodedcommand", "-enc", "-e", "-EC"])
def test_encoded_command_accepts_any_prefix(switch):
    inv = commandline.parse("PowerShell", ["-NoProfile", "-ExecutionPolicy", "Unrestricted", switch, b64("hostname")])
    assert (inv.shell, inv.text) == ("powershell", "hostname")


def test_whole_line_in_command_element():
    inv = commandline.parse(f"powershell -NoProfile -NonInteractive -EncodedCommand {b64('$input')}", [])
    assert inv.text == "$input"


def test_cmd_line_stays_cmd():
    assert commandline.parse("ipconfig", ["/all"]) == commandline.Invocation("cmd", "ipconfig /all", "ipconfig /all")


@pytest.mark.parametrize("text,seconds", [("PT20S", 20), ("PT20.000S", 20), ("PT1M30S", 90), ("P1D", None)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


def test_registry_is_case_insensitive_and_keeps_case():
    reg = Registry()
    reg.set_value("HKLM:\\SOFTWARE\\Microsoft\\Azure AD Connect", "WizardPath", "string", "C:\\x")
    assert reg.get_value("HKEY_LOCAL_MACHINE\\software\\microsoft\\AZURE AD CONNECT", "wizardpath")["data"] == "C:\\x"
    assert reg.subkeys("HKLM\\SOFTWARE\\Microsoft") == ["Azure AD Connect"]
    assert reg.key_path("hklm\\software\\microsoft\\azure ad connect") == "HKLM\\SOFTWARE\\Microsoft\\Azure AD Connect"
    with pytest.raises(RegistryError):
        reg.set_value("HKXX\\nope", "a", "string", "b")


def test_filesystem_paths():
    fs = FileSystem()
    fs.write("c:/Program Files/App/x.exe", b"MZ", version="1.2.3.4")
    assert fs.exists("C:\\PROGRAM FILES\\app\\X.EXE")
    assert fs.is_dir("C:\\Program Files\\App")
    assert fs.get("C:\\Program Files\\App\\x.exe")["path"] == "C:\\Program Files\\App\\x.exe"
    with pytest.raises(FileSystemError):
        fs.write("relative\\path.txt", b"")


def test_ansible_framing_is_recognised():
    boot = json.dumps({"name": "exec_wrapper", "script": "...", "params": {}}).encode()
    manifest = json.dumps({"actions": [{"name": "winrm_put_file.ps1", "params": {"Path": "C:\\x"}}]}).encode()
    payload = ansible_payload.parse(boot + ansible_payload.SEPARATOR + manifest + ansible_payload.SEPARATOR + b"QUJD\r\n")
    assert payload.action_names == ["winrm_put_file.ps1"]
    assert payload.input == b"QUJD\r\n"
    assert ansible_payload.parse(b"plain stdin") is None
