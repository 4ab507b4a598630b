"""The plain commands the lab answers, in cmd.exe and in powershell.exe: Ansible's temp cleanup and a few
harmless diagnostics. Anything else is not simulated.

cmd.exe expands %VARIABLES% first (an undefined one stays as typed), then reads operators: the lab runs no
redirection (> <), pipe (|), chaining (& && ||) or escapes (^), so a line with any of them outside quotes is
refused, never half-run. Its errors are plain text; an unknown program is exit code 9009.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from ..twin.environment import expand
from ..twin.host import Twin
from .commandline import program
from .result import Result

MAX_SLEEP = 300
CODEPAGES = {437: "cp437", 850: "cp850", 1252: "cp1252", 65001: "utf-8"}
NOT_RECOGNIZED = "'{name}' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n"


@dataclass
class Process:
    """What a command runs with: the host, its environment block, the shell's code page and the input."""

    twin: Twin
    environment: dict[str, str]
    codepage: int = 437
    stdin: bytes = b""

    def encode(self, text: str) -> bytes:
        """Console output in the shell's code page (characters it lacks become '?')."""
        codec = CODEPAGES.get(self.codepage)
        if codec is None:
            raise ValueError(f"code page {self.codepage}")
        return text.encode(codec, "replace")


# cmd.exe -------------------------------------------------------------------------------------------------------
def cmd_failure(what: str, rc: int = 1) -> Result:
    """cmd.exe writes its errors as plain text, not PowerShell's CLIXML."""
    return Result(b"", f"lab: not simulated: cmd: {what}\r\n".encode(), rc, kind="not_simulated", name=what[:120])


def _operators(line: str) -> list[str]:
    found, quoted = [], False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "&|<>^":
            found.append(ch)
    return found


def run_cmd(proc: Process, line: str) -> Result:
    expanded = expand(line, proc.environment).strip()
    operators = _operators(expanded)
    if operators:
        return cmd_failure(f"operators {''.join(dict.fromkeys(operators))} in {line.strip()}")
    echo = re.match(r"(?i)echo(?=$|[\s.:/\\(\[+=,;])(?P<after>.*)", expanded, re.S)
    if echo:
        return _cmd_echo(proc, echo.group("after"))
    first = re.match(r'"([^"]*)"|\S+', expanded)
    path = first.group(1) if first and first.group(1) is not None else first.group(0) if first else ""
    if program(expanded) in ("hostname", "hostname.exe") and expanded == path:
        return Result(proc.encode(proc.twin.state["hostname"] + "\r\n"))
    if "\\" in path and not proc.twin.files.exists(path):  # a path the twin knows is not there
        return Result(b"", NOT_RECOGNIZED.format(name=path).encode(), 9009)
    return cmd_failure(line.strip(), rc=9009)


def _cmd_echo(proc: Process, after: str) -> Result:
    """ECHO: the text after the one separator that follows the word, as typed (spaces kept)."""
    if not after.strip():
        return Result(proc.encode("ECHO is on.\r\n"))
    text = after[1:]
    if text.strip().lower() in ("on", "off") and after[0] == " ":
        return cmd_failure(f"echo {text.strip()}")
    return Result(proc.encode(text + "\r\n"))


# powershell.exe ------------------------------------------------------------------------------------------------
def script_body(script: str) -> str:
    """The script's lines, stripped, without comments or blank lines (what the patterns here match)."""
    lines = [ln.strip() for ln in script.replace("\r\n", "\n").split("\n")]
    return "\n".join(ln for ln in lines if ln and not ln.startswith("#"))


def _remove_item(proc: Process, m: re.Match) -> Result:
    path = m.group("path").strip("'\"")
    if not proc.twin.files.exists(path):
        return Result.error(f"Cannot find path '{path}' because it does not exist.")
    if proc.twin.files.is_dir(path) and proc.twin.files.listdir(path) and not m.group("recurse"):
        return Result.error(f"The item at {path} has children and the Recurse parameter was not specified.")
    proc.twin.files.remove(path)
    return Result()


def _sleep(proc: Process, m: re.Match) -> Result:
    time.sleep(min(float(m.group("seconds")), MAX_SLEEP))
    return Result()


def _hostname(proc: Process, m: re.Match) -> Result:
    return Result(proc.encode(proc.twin.state["hostname"] + "\r\n"))


def _env(proc: Process, m: re.Match) -> Result:
    value = proc.environment.get(m.group("name").upper())
    return Result(b"" if value is None else proc.encode(value + "\r\n"))


def _write_output(proc: Process, m: re.Match) -> Result:
    return Result(proc.encode(m.group("text") + "\r\n"))


def _write_host(proc: Process, m: re.Match) -> Result:
    # the console host writes the line with a bare LF when its output is redirected (pywinrm's own tests)
    text = m.group("quoted") if m.group("quoted") is not None else m.group("word")
    return Result(proc.encode(text + "\n"))


def _input(proc: Process, m: re.Match) -> Result:
    # powershell.exe feeds redirected stdin to $input line by line; echoing it returns the lines
    lines = proc.stdin.decode("utf-8", "replace").splitlines()
    return Result(proc.encode("".join(line + "\r\n" for line in lines)))


def _ps_version(proc: Process, m: re.Match) -> Result:
    return Result(proc.encode(str(proc.twin.powershell_version) + "\r\n"))


# (pattern over the script without comments and blank lines, handler, whether it changes the twin)
POWERSHELL = [
    (re.compile(r"Remove-Item (?P<path>'[^']+'|\S+) -Force(?P<recurse> -Recurse)?", re.I), _remove_item, True),
    (re.compile(r"Start-Sleep (?:-Seconds |-s )?(?P<seconds>\d+(?:\.\d+)?)", re.I), _sleep, False),
    (re.compile(r"hostname(?:\.exe)?", re.I), _hostname, False),
    (re.compile(r"\$env:(?P<name>[A-Za-z_][A-Za-z0-9_()]*)", re.I), _env, False),
    (re.compile(r"(?:Write-Output|echo) '(?P<text>[^']*)'", re.I), _write_output, False),
    (re.compile(r"Write-Host (?:'(?P<quoted>[^']*)'|(?P<word>[^\s'\"$`;|&(){}@]+))", re.I), _write_host, False),
    (re.compile(r"\$input(?: \| Write-Output)?", re.I), _input, False),
    (re.compile(r"\$PSVersionTable\.PSVersion\.ToString\(\)", re.I), _ps_version, False),
]


def match_powershell(script: str):
    """(handler, match, mutates) for a known PowerShell command, else None."""
    body = script_body(script)
    for pattern, handler, mutates in POWERSHELL:
        m = pattern.fullmatch(body)
        if m:
            return handler, m, mutates
    return None
