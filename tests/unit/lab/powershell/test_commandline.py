"""How a WinRS command line becomes what runs (lab/powershell/commandline.py)."""

from __future__ import annotations

import base64

import pytest

from lab.powershell import commandline


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


@pytest.mark.parametrize("line,argv", [
    ('echo "two  spaces" x', ["echo", "two  spaces", "x"]),
    (r'a\\"b c" d', ["a\\b c", "d"]),  # 2n backslashes before a quote: n backslashes, the quote groups
    (r'a\"b c', ['a"b', "c"]),  # 2n+1: n backslashes and a literal quote
    ('"a""b" c', ['a"b', "c"]),  # a doubled quote inside quotes is a literal quote
    (r"C:\dir\x.exe  /q", [r"C:\dir\x.exe", "/q"]),  # backslashes elsewhere are literal
])
def test_argv_follows_commandlinetoargvw(line, argv):
    assert commandline.split(line) == argv


def test_command_keeps_quoted_spaces_and_powershell_joins_the_rest():
    assert commandline.parse("PowerShell", ["-Command", "Write-Host", "x"]).text == "Write-Host x"
    inv = commandline.parse("powershell.exe", ['-NoProfile -Command "Write-Output \'a  b\'"'])
    assert inv.text == "Write-Output 'a  b'"
    assert commandline.parse("PowerShell", ["Start-Sleep", "1"]).text == "Start-Sleep 1"


def test_bad_powershell_parameters_are_refused_as_powershell_exe_does():
    with pytest.raises(commandline.CommandLineError):
        commandline.parse("powershell", ["-Bogus", "x"])
    with pytest.raises(commandline.CommandLineError):
        commandline.parse("powershell", ["-EncodedCommand", "not base64!"])
