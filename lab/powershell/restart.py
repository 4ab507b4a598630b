"""What powershell.exe does with the commands of ansible.windows.win_reboot (plugin_utils/_reboot.py).

win_reboot sends each as an encoded script with a trailer that turns a failure into the exit code:
  - the boot time: `(Get-CimInstance ... Win32_OperatingSystem ...).LastBootUpTime.ToFileTime()`;
  - the restart: remove Winlogon\\AutoLogonChecked (unless the task has its own test command), run
    `shutdown.exe /r /t N /c '<msg>'` and print its stdout, stderr and exit code as JSON;
  - `shutdown.exe /a` when a restart scheduled by someone else (1190) must be replaced;
  - the readiness test: `Get-Item -LiteralPath '<AutoLogonChecked>' -ErrorAction Stop; '<marker>'`.
The restart itself (scheduling, the outage, the boot) belongs to the power model (lab/twin/power.py). Any
other shape of these commands is not matched here, so it fails as not simulated.
"""

from __future__ import annotations

import calendar
import json
import re
import time

from ..twin.errors import Win32Error
from ..twin.registry import RegistryError, normalize
from . import psliteral
from .result import Result

# _execute_command's trailer: exit with the native exit code, or 1, when the command failed
TRAILER = (r"(?:\s*;\s*If \(-not \$\?\) \{ If \(Get-Variable LASTEXITCODE -ErrorAction SilentlyContinue\) "
           r"\{ exit \$LASTEXITCODE \} Else \{ exit 1 \} \})?")
SINGLE_QUOTED = r"'(?:[^']|'')*'"
BOOT_TIME = re.compile(r"\(Get-CimInstance -ClassName Win32_OperatingSystem -Property LastBootUpTime\)"
                       r"\.LastBootUpTime\.ToFileTime\(\)" + TRAILER, re.I)
RESTART = re.compile(
    r"\$ErrorActionPreference = 'Continue'\n"
    r"if \(\$(?P<clear>True|False)\) \{\n"
    r"Remove-Item -LiteralPath '(?P<key>[^']+)' -Force -ErrorAction SilentlyContinue\n\}\n"
    r"\$stdout = \$null\n"
    r"\$stderr = \. \{ C:\\Windows\\System32\\shutdown\.exe /r /t (?P<delay>\d+) /c (?P<msg>" + SINGLE_QUOTED +
    r") \| Set-Variable stdout \} 2>&1 \| ForEach-Object ToString\n"
    r"If \(Get-Variable LASTEXITCODE -ErrorAction SilentlyContinue\) \{\n\$rc = \$LASTEXITCODE\n"
    r"\} Else \{\n\$rc=1\n\}\n"
    r"ConvertTo-Json -Compress -InputObject @\{\nstdout = \(@\(\$stdout\) -join \"`n\"\)\n"
    r"stderr = \(@\(\$stderr\) -join \"`n\"\)\nrc = \$rc\n\}" + TRAILER, re.I)
ABORT = re.compile(r"C:\\Windows\\System32\\shutdown\.exe /a" + TRAILER, re.I)
TEST = re.compile(r"Get-Item -LiteralPath '(?P<key>HK[A-Z]+:\\[^']+)' -ErrorAction Stop; "
                  r"'(?P<marker>[^']*)'" + TRAILER, re.I)
FILETIME_EPOCH = 11644473600  # seconds from 1601-01-01 to 1970-01-01


def _user(proc) -> str:
    return f"{proc.environment.get('USERDOMAIN', '')}\\{proc.environment.get('USERNAME', '')}"


def boot_time(proc, m: re.Match) -> Result:
    """DateTime.ToFileTime() of LastBootUpTime: 100 ns intervals since 1601 (UTC), to the microsecond WMI has."""
    dmtf = proc.twin.power.last_boot_dmtf()
    seconds = calendar.timegm(time.strptime(dmtf[:14], "%Y%m%d%H%M%S"))
    micros = int(dmtf[15:21])
    return Result(proc.encode(f"{((seconds + FILETIME_EPOCH) * 10**6 + micros) * 10}\r\n"))


def restart(proc, m: re.Match) -> Result:
    """The restart script: its own JSON report of what shutdown.exe printed and returned."""
    if m.group("clear").lower() == "true":
        try:
            key = normalize(m.group("key"))
            if proc.twin.registry.key_exists(key):
                proc.twin.registry.delete_key(key)
        except RegistryError:
            pass  # Remove-Item ... -ErrorAction SilentlyContinue
    stdout, stderr, rc = "", "", 0
    try:
        proc.twin.power.schedule_restart(int(m.group("delay")), psliteral.parse(m.group("msg")), _user(proc))
    except Win32Error as exc:
        stderr, rc = f"{exc.message}({exc.code})", exc.code
    report = json.dumps({"stdout": stdout, "stderr": stderr, "rc": rc}, separators=(",", ":"))
    return Result(proc.encode(report + "\r\n"))


def abort(proc, m: re.Match) -> Result:
    """shutdown.exe /a: its message goes to stderr as the program wrote it, its exit code is the script's."""
    try:
        proc.twin.power.abort()
    except Win32Error as exc:
        return Result(b"", proc.encode(f"{exc.message}({exc.code})\r\n"), exc.code)
    return Result()


def readiness(proc, m: re.Match) -> Result:
    """Get-Item on a registry key (formatted as PowerShell's table of keys), then the marker string."""
    key = m.group("key")
    if not proc.twin.registry.key_exists(normalize(key)):
        return Result.error(f"Cannot find path '{key}' because it does not exist.")
    full = proc.twin.registry.key_path(normalize(key))
    parent, _, name = full.rpartition("\\")
    hive = parent.replace("HKLM", "HKEY_LOCAL_MACHINE", 1)
    listing = (f"\r\n\r\n    Hive: {hive}\r\n\r\n\r\n{'Name':<31}Property\r\n{'----':<31}--------\r\n{name}\r\n\r\n\r\n")
    return Result(proc.encode(listing + m.group("marker") + "\r\n"))


# (pattern over the script's lines, stripped and without comments or blank lines, handler, changes the twin)
COMMANDS = [
    (BOOT_TIME, boot_time, False),
    (RESTART, restart, True),
    (ABORT, abort, True),
    (TEST, readiness, False),
]


def match(body: str):
    """(handler, match, mutates) when the script is one of win_reboot's commands, else None."""
    for pattern, handler, mutates in COMMANDS:
        m = pattern.fullmatch(body)
        if m:
            return handler, m, mutates
    return None
