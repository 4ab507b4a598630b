"""The outcome of one command on a twin."""

from __future__ import annotations

import json
from dataclasses import dataclass

from .clixml import error_stream


@dataclass
class Result:
    stdout: bytes = b""
    stderr: bytes = b""
    rc: int = 0
    kind: str = ""  # for the request log: module, helper, script, raw, not_simulated
    name: str = ""

    @classmethod
    def json(cls, obj: dict, rc: int = 0, **kw) -> Result:
        return cls(json.dumps(obj).encode("utf-8") + b"\r\n", b"", rc, **kw)

    @classmethod
    def error(cls, message: str, rc: int = 1, **kw) -> Result:
        return cls(b"", error_stream(message), rc, **kw)


def not_simulated(what: str) -> Result:
    """Anything the lab does not model fails loudly, so no test can pass on a silent no-op."""
    return Result.error(f"lab: not simulated: {what}", kind="not_simulated", name=what[:120])
