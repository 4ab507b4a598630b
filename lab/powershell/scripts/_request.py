"""What every project-script handler does first and last: find its marker, read `$request` as PowerShell
evaluates it, and print the script's one JSON document."""

from __future__ import annotations

import json
import re

from .. import psliteral
from ..result import Result, not_simulated


def read(script: str, name: str, version: str = "1") -> tuple[object, Result | None]:
    """(the request, None), or (None, the not-simulated answer) for another version or an unreadable request."""
    marker = re.search(rf"^\s*#\s*entra-sync-upgrade:{re.escape(name)}\s+v(?P<version>\d+)", script, re.M)
    if not marker or marker.group("version") != version:
        return None, not_simulated(f"{name} script of another version")
    try:
        return psliteral.parse_assignment(script, "request"), None
    except ValueError as exc:
        return None, not_simulated(f"{name} request: {exc}")


def dumps(doc: dict) -> str:
    """The scripts' JSON writer (powershell/common.ps1), in Python: ordinal key order, no spaces, ASCII only."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def answer(doc: dict) -> Result:
    return Result(dumps(doc).encode("ascii") + b"\r\n")
