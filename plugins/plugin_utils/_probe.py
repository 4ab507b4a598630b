# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The detection probe: its script and its answer.

The probe (powershell/probe.ps1) is one of the project's stdin scripts (_script.py): `$request` lists the
evidence to gather (_evidence.py), the probe prints one JSON document with the key `probe`. Call:
self._low_level_execute_command(command_line(), in_data=build_probe(request).encode("utf-8")).
"""

from __future__ import annotations

from . import _script
from ._script import MAX_COMMAND_LINE, POWERSHELL, STDIN_BOOTSTRAP, command_line, encoded_command  # noqa: F401

PROBE_MARKER = _script.marker("probe")
ProbeOutputError = _script.ScriptOutputError


def probe_body() -> str:
    return _script.body("probe")


def build_probe(request: dict) -> str:
    """`$request = <literal>`, the shared functions and the probe body: the whole script sent on stdin."""
    return _script.build("probe", request)


def parse_output(stdout) -> dict:
    """The probe's JSON document from its stdout (other lines, e.g. host warnings, are ignored)."""
    return _script.parse_document(stdout, "probe")
