# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build the probe script, the command that runs it, and read its answer.

The probe (powershell/probe.ps1 plus the request literal) is far longer than the 8191 characters cmd.exe
allows on a command line, so it travels on stdin: the command line carries only STDIN_BOOTSTRAP, which reads
stdin and runs it. Call: powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand
<encoded_command(STDIN_BOOTSTRAP)> with in_data = build_probe(request) encoded as UTF-8.

From an action plugin: self._low_level_execute_command(command_line(), in_data=...). Pass the whole
command_line(): Ansible's winrm connection sends a command containing " -EncodedCommand " as it is, but wraps
anything else (a bare base64 string included) as the text of a new PowerShell script.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

from ._psliteral import render

PROBE_PATH = Path(__file__).resolve().parent / "powershell" / "probe.ps1"
PROBE_MARKER = "# entra-sync-upgrade:probe v1"
MAX_COMMAND_LINE = 8191  # cmd.exe's limit, which WinRS applies to the whole command line

# PowerShell 2.0-safe: $input enumerates the lines of stdin; they are joined back and run as one script.
STDIN_BOOTSTRAP = (
    "# entra-sync-upgrade:stdin-script v1\n"
    "$s = [string]::Join([Environment]::NewLine, [string[]]@($input)); & ([scriptblock]::Create($s))\n"
)
POWERSHELL = "powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand"

# What stdin carries intact: $input splits on line breaks and the console code page decodes the bytes, so
# request strings stay printable ASCII (the catalog's paths and names are).
_SAFE = re.compile(r"[ -~]*\Z")


class ProbeOutputError(ValueError):
    """The probe's stdout held no JSON document."""


def probe_body() -> str:
    return PROBE_PATH.read_text(encoding="utf-8")


def build_probe(request: dict) -> str:
    """`$request = <literal>` followed by the probe body: the whole script sent on stdin."""
    _check_transportable(request)
    body = probe_body()
    if not body.startswith(PROBE_MARKER):
        raise ValueError(f"{PROBE_PATH} must start with the marker {PROBE_MARKER!r}")
    return "$request = " + render(request, indent=2) + "\n" + body


def _check_transportable(value, where: str = "request") -> None:
    if isinstance(value, str):
        if not _SAFE.match(value):
            raise ValueError(f"{where}: only printable ASCII survives the stdin transport: {value!r}")
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_transportable(k, where)
            _check_transportable(v, f"{where}.{k}")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _check_transportable(v, f"{where}[{i}]")


def encoded_command(script: str) -> str:
    """The -EncodedCommand argument: base64 of the script in UTF-16-LE."""
    return base64.b64encode(script.encode("utf-16-le")).decode("ascii")


def command_line() -> str:
    """The whole command line that runs whatever arrives on stdin."""
    line = f"{POWERSHELL} {encoded_command(STDIN_BOOTSTRAP)}"
    if len(line) > MAX_COMMAND_LINE:
        raise RuntimeError(f"the stdin bootstrap itself exceeds {MAX_COMMAND_LINE} characters")
    return line


def parse_output(stdout) -> dict:
    """The probe's JSON document from its stdout (other lines, e.g. host warnings, are ignored)."""
    text = stdout.decode("utf-8", "replace") if isinstance(stdout, bytes) else str(stdout or "")
    for line in reversed(text.splitlines()):
        line = line.strip().lstrip("\ufeff")  # a UTF-8 console (code page 65001) may start with a BOM
        if not line.startswith("{"):
            continue
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if isinstance(doc, dict) and "probe" in doc:
            return doc
    snippet = text.strip()[:300] or "(empty)"
    raise ProbeOutputError(f"the probe printed no JSON document; stdout began: {snippet}")
