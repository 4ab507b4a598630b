"""The lab's side of plugins/plugin_utils/powershell/backup-read.ps1: byte ranges of staged files, base64-encoded.

Fault `backup_read_corrupt` (twin state `faults`, set by tests with lab.edit): the bytes read differ from the
bytes staged (one byte of every range flipped), as when a file changes after it was hashed or a transfer is
damaged; the controller must notice by the SHA-256.
"""

from __future__ import annotations

import base64
import ntpath

from ...twin.environment import expand
from ...twin.errors import NotSimulated
from ..result import Result
from . import _request

STAGING_ROOT = "%ProgramData%\\EntraSyncUpgrade\\backup\\"


class ReadFailed(Exception):
    pass


def run(twin, script: str, stdin: bytes, environment: dict | None = None) -> Result:
    request, refused = _request.read(script, "backup-read")
    if refused:
        return refused
    environment = twin.environment() if environment is None else environment
    out = {"segments": [], "error": None}
    try:
        folder = expand(str(request.get("folder")), environment)
        root = expand(STAGING_ROOT, environment)
        if not folder.lower().startswith(root.lower()) or ".." in folder:
            raise ReadFailed(f"refused: {folder} is not below {root}")
        for segment in request.get("segments") or []:
            name = str(segment.get("name"))
            if ".." in name or name.startswith("\\"):
                raise ReadFailed(f"refused: file name {name}")
            path = ntpath.join(folder, name)
            entry = twin.files.get(path)
            if entry is None or entry["type"] != "file":
                raise ReadFailed(f"Could not find file '{path}'.")
            data = twin.files.read_range(path, int(segment["offset"]), int(segment["length"]))
            if data and twin.fault("backup_read_corrupt"):
                data = bytes([data[0] ^ 0xFF]) + data[1:]
            out["segments"].append({"name": name, "offset": int(segment["offset"]),
                                    "data": base64.b64encode(data).decode("ascii")})
    except (ReadFailed, NotSimulated) as exc:
        out["error"] = str(exc)
    return _request.answer({"backup-read": out})
