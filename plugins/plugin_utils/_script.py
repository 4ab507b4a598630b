# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The project's PowerShell scripts: how one is built, sent and answered.

A script is `$request = <PowerShell literal>`, the shared functions (powershell/common.ps1) and the script's
body (powershell/<name>.ps1, which starts with its marker `# entra-sync-upgrade:<name> v<N>`). It runs on
Windows PowerShell 2.0 and later and prints one JSON document whose top-level key is the script's name.

Scripts are far longer than the 8191 characters cmd.exe allows on a command line, so they travel on stdin:
the command line carries only STDIN_BOOTSTRAP, which reads stdin and runs it. From an action plugin:
self._low_level_execute_command(command_line(), in_data=build(name, request).encode("utf-8")). Pass the whole
command_line(): Ansible's winrm connection sends a command containing " -EncodedCommand " as it is, but wraps
anything else (a bare base64 string included) as the text of a new PowerShell script.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

from ansible.errors import AnsibleConnectionFailure, AnsibleError

from ._psliteral import render

POWERSHELL_DIR = Path(__file__).resolve().parent / "powershell"
COMMON_PATH = POWERSHELL_DIR / "common.ps1"
MAX_COMMAND_LINE = 8191  # cmd.exe's limit, which WinRS applies to the whole command line
# Windows Server 2008 R2 (WinRM 2.0) accepts requests up to MaxEnvelopeSizekb = 150 KB; a script sent on stdin
# travels in one Send, so every built script must stay well below that.
MAX_SCRIPT_BYTES = 100 * 1024

# PowerShell 2.0-safe: $input enumerates the lines of stdin; they are joined back and run as one script.
STDIN_BOOTSTRAP = (
    "# entra-sync-upgrade:stdin-script v1\n"
    "$s = [string]::Join([Environment]::NewLine, [string[]]@($input)); & ([scriptblock]::Create($s))\n"
)
POWERSHELL = "powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand"

# What stdin carries intact: $input splits on line breaks and the console code page decodes the bytes, so
# request strings stay printable ASCII.
_SAFE = re.compile(r"[ -~]*\Z")


class ScriptOutputError(ValueError):
    """The script's stdout held no JSON document."""


class ScriptFailed(Exception):
    """The script did not run to its document: a non-zero exit, or no JSON document (the message says which)."""


def marker(name: str, version: int = 1) -> str:
    return f"# entra-sync-upgrade:{name} v{version}"


def body(name: str) -> str:
    """The script's body as shipped (powershell/<name>.ps1); it must start with its marker."""
    path = POWERSHELL_DIR / f"{name}.ps1"
    text = path.read_text(encoding="utf-8")
    if not text.startswith(marker(name)):
        raise ValueError(f"{path} must start with the marker {marker(name)!r}")
    return text


def build(name: str, request: dict) -> str:
    """The whole script sent on stdin: the request, the shared functions, the body."""
    check_transportable(request)
    script = ("$request = " + render(request, indent=2) + "\n" + COMMON_PATH.read_text(encoding="utf-8") + "\n"
              + body(name))
    if len(script.encode("utf-8")) > MAX_SCRIPT_BYTES:
        raise ValueError(f"the {name} script is {len(script.encode('utf-8'))} bytes; the limit is {MAX_SCRIPT_BYTES}")
    return script


def check_transportable(value, where: str = "request") -> None:
    if isinstance(value, str):
        if not _SAFE.match(value):
            raise ValueError(f"{where}: only printable ASCII survives the stdin transport: {value!r}")
    elif isinstance(value, dict):
        for k, v in value.items():
            check_transportable(k, where)
            check_transportable(v, f"{where}.{k}")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            check_transportable(v, f"{where}[{i}]")


def encoded_command(script: str) -> str:
    """The -EncodedCommand argument: base64 of the script in UTF-16-LE."""
    return base64.b64encode(script.encode("utf-16-le")).decode("ascii")


def command_line() -> str:
    """The whole command line that runs whatever arrives on stdin."""
    line = f"{POWERSHELL} {encoded_command(STDIN_BOOTSTRAP)}"
    if len(line) > MAX_COMMAND_LINE:
        raise RuntimeError(f"the stdin bootstrap itself exceeds {MAX_COMMAND_LINE} characters")
    return line


def parse_document(stdout, key: str) -> dict:
    """The script's JSON document (the last stdout line that is a JSON object with `key`); host noise around it,
    e.g. warnings, is ignored."""
    text = stdout.decode("utf-8", "replace") if isinstance(stdout, bytes) else str(stdout or "")
    for line in reversed(text.splitlines()):
        line = line.strip().lstrip("\ufeff")  # a UTF-8 console (code page 65001) may start with a BOM
        if not line.startswith("{"):
            continue
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if isinstance(doc, dict) and key in doc:
            return doc
    snippet = text.strip()[:300] or "(empty)"
    raise ScriptOutputError(f"the {key} script printed no JSON document; stdout began: {snippet}")


def run(action, name: str, request: dict) -> dict:
    """Run one project script on an action plugin's host and return its document (the value under its name);
    ScriptFailed with the host's own words when it exits non-zero or prints no document."""
    try:
        out = action._low_level_execute_command(command_line(), in_data=build(name, request).encode("utf-8"),
                                                sudoable=False)
    except AnsibleError:
        raise
    except Exception as exc:
        if not _is_transport_error(exc):
            raise
        # pywinrm and requests raise their own errors for a connection reset or an HTTP error mid-command (only a
        # read timeout becomes AnsibleConnectionFailure in Ansible's winrm plugin): say so as a connection failure,
        # which every caller handles, instead of an unexpected error that skips the caller's own cleanup and result
        raise AnsibleConnectionFailure(
            f"the connection failed while the {name} script ran on the host (it may have run to its end there): "
            f"{type(exc).__name__}: {exc}") from exc
    if out["rc"] != 0:
        stderr = _text(out.get("stderr")).strip()[:500]
        raise ScriptFailed(f"the {name} script failed on the host (rc {out['rc']}): "
                           f"{stderr or _text(out.get('stdout')).strip()[:500]}")
    try:
        return parse_document(out["stdout"], name)[name]
    except ValueError as exc:
        raise ScriptFailed(str(exc)) from None


def _is_transport_error(exc: Exception) -> bool:
    """An error of the WinRM transport (requests, urllib3, pywinrm, a socket), not of the toolkit's code."""
    module = type(exc).__module__ or ""
    return isinstance(exc, OSError) or module.split(".")[0] in ("requests", "urllib3", "winrm", "http")


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value or "")
