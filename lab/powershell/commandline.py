"""Turn a WinRS command line into what runs: cmd.exe's line, or the script powershell.exe runs.

WinRS joins Command and Arguments with spaces into one line, as given (it quotes nothing), and cmd.exe runs
it. When the program is powershell.exe, the C runtime splits the line into argv (CommandLineToArgvW rules:
whitespace separates, double quotes group, backslashes escape only before a quote) and powershell.exe reads
its parameters (any unambiguous prefix, case-insensitive): -EncodedCommand takes a Base64 UTF-16LE script,
-Command (or the first argument that is not a parameter) takes the rest of argv joined by spaces.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from ..twin.errors import NotSimulated

POWERSHELL = {"powershell", "powershell.exe", "pwsh", "pwsh.exe"}
# powershell.exe parameters that take a value, and switches (Windows PowerShell 5.1's list)
VALUE_PARAMETERS = ("-executionpolicy", "-inputformat", "-outputformat", "-windowstyle", "-version",
                    "-psconsolefile", "-configurationname", "-file", "-encodedcommand", "-command")
SWITCHES = ("-noprofile", "-noninteractive", "-nologo", "-noexit", "-sta", "-mta")
ALIASES = {"-ec": "-encodedcommand", "-c": "-command", "-ep": "-executionpolicy", "-ex": "-executionpolicy",
           "-e": "-encodedcommand", "-enc": "-encodedcommand"}


class CommandLineError(ValueError):
    """powershell.exe would refuse this line (it prints its usage and exits 1)."""


@dataclass(frozen=True)
class Invocation:
    shell: str  # "powershell" or "cmd"
    text: str  # the decoded script (powershell) or the whole command line (cmd)
    line: str  # the command line WinRS built


def command_line(command: str, args: list[str]) -> str:
    return " ".join([command, *args])


def split(line: str) -> list[str]:
    """CommandLineToArgvW (the rules of the Microsoft C runtime since 2008)."""
    out, i, n = [], 0, len(line)
    while i < n:
        while i < n and line[i] in " \t":
            i += 1
        if i >= n:
            break
        arg, quoted = [], False
        while i < n and (quoted or line[i] not in " \t"):
            if line[i] == "\\":
                j = i
                while j < n and line[j] == "\\":
                    j += 1
                count = j - i
                if j < n and line[j] == '"':
                    arg.append("\\" * (count // 2))
                    if count % 2:
                        arg.append('"')
                        j += 1
                    i = j
                else:
                    arg.append("\\" * count)
                    i = j
                continue
            if line[i] == '"':
                if quoted and i + 1 < n and line[i + 1] == '"':  # "" inside quotes: a literal quote
                    arg.append('"')
                    i += 2
                    continue
                quoted = not quoted
                i += 1
                continue
            arg.append(line[i])
            i += 1
        out.append("".join(arg))
    return out


def program(line: str) -> str:
    """The program cmd.exe starts: the first word, quotes removed, without its folder."""
    m = re.match(r'\s*(?:"([^"]*)"|(\S+))', line)
    name = (m.group(1) if m and m.group(1) is not None else m.group(2) if m else "") or ""
    return name.replace("/", "\\").rsplit("\\", 1)[-1].lower()


def parse(command: str, args: list[str]) -> Invocation:
    line = command_line(command, args)
    if program(line) not in POWERSHELL:
        return Invocation("cmd", line.strip(), line)
    return Invocation("powershell", _powershell_script(split(line)[1:]), line)


def _parameter(token: str) -> str | None:
    low = token.lower()
    if low in ALIASES:
        return ALIASES[low]
    matches = [p for p in VALUE_PARAMETERS + SWITCHES if len(low) > 1 and p.startswith(low)]
    return matches[0] if len(matches) == 1 else None


def _powershell_script(argv: list[str]) -> str:
    i = 0
    while i < len(argv):
        token = argv[i]
        if not token.startswith("-") or token == "-":
            return " ".join(argv[i:])  # the first argument that is not a parameter starts the command
        name = _parameter(token)
        if name is None:
            raise CommandLineError(f"Cannot process the command because of an unknown parameter {token}.")
        if name == "-encodedcommand":
            if i + 1 >= len(argv):
                raise CommandLineError("Cannot process the command because of a missing parameter. "
                                       "Specify a parameter of type String for -EncodedCommand.")
            try:
                return base64.b64decode(argv[i + 1], validate=True).decode("utf-16-le")
            except (binascii.Error, UnicodeDecodeError):
                raise CommandLineError("Cannot process the command because the value specified with "
                                       "-EncodedCommand is not properly encoded.") from None
        if name == "-command":
            return " ".join(argv[i + 1:])
        if name == "-file":
            raise NotSimulated("powershell.exe -File")
        i += 2 if name in VALUE_PARAMETERS else 1
    return ""
