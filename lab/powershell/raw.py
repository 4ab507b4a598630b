"""The few plain commands the lab answers: Ansible's temp cleanup and harmless diagnostics.

Each entry is a full-match pattern over the script with comments and blank lines removed.
Anything else is not simulated.
"""

from __future__ import annotations

import re
import time

from ..twin.host import Twin
from .result import Result

MAX_SLEEP = 300


def _strip(script: str) -> str:
    lines = [ln.strip() for ln in script.replace("\r\n", "\n").split("\n")]
    return "\n".join(ln for ln in lines if ln and not ln.startswith("#"))


def _remove_item(twin: Twin, m: re.Match, stdin: bytes) -> Result:
    path = m.group("path").strip("'\"")
    if not twin.files.exists(path):
        return Result.error(f"Cannot find path '{path}' because it does not exist.")
    if twin.files.is_dir(path) and twin.files.listdir(path) and not m.group("recurse"):
        return Result.error(f"The item at {path} has children and the Recurse parameter was not specified.")
    twin.files.remove(path)
    return Result()


def _sleep(twin: Twin, m: re.Match, stdin: bytes) -> Result:
    time.sleep(min(float(m.group("seconds")), MAX_SLEEP))
    return Result()


def _hostname(twin: Twin, m: re.Match, stdin: bytes) -> Result:
    return Result(twin.state["hostname"].encode() + b"\r\n")


def _echo(twin: Twin, m: re.Match, stdin: bytes) -> Result:
    return Result(m.group("text").encode() + b"\r\n")


def _input(twin: Twin, m: re.Match, stdin: bytes) -> Result:
    # powershell.exe feeds redirected stdin to $input line by line; echoing it returns the lines
    lines = stdin.decode("utf-8", "replace").splitlines()
    return Result("".join(line + "\r\n" for line in lines).encode())


def _ps_version(twin: Twin, m: re.Match, stdin: bytes) -> Result:
    return Result(str(twin.powershell_version).encode() + b"\r\n")


POWERSHELL = [
    (re.compile(r"Remove-Item (?P<path>'[^']+'|\S+) -Force(?P<recurse> -Recurse)?", re.I), _remove_item, True),
    (re.compile(r"Start-Sleep (?:-Seconds |-s )?(?P<seconds>\d+(?:\.\d+)?)", re.I), _sleep, False),
    (re.compile(r"hostname(?:\.exe)?|\$env:COMPUTERNAME", re.I), _hostname, False),
    (re.compile(r"(?:Write-Output|echo) '(?P<text>[^']*)'", re.I), _echo, False),
    (re.compile(r"\$input(?: \| Write-Output)?", re.I), _input, False),
    (re.compile(r"\$PSVersionTable\.PSVersion\.ToString\(\)", re.I), _ps_version, False),
]
CMD = [
    (re.compile(r"hostname(?:\.exe)?", re.I), _hostname, False),
    (re.compile(r"echo (?P<text>.*)", re.I), _echo, False),
]


def match(table, script: str):
    """(handler, match, mutates) for a known command, else None."""
    body = _strip(script)
    for pattern, handler, mutates in table:
        m = pattern.fullmatch(body)
        if m:
            return handler, m, mutates
    return None
