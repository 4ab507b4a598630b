"""The lab's side of plugins/plugin_utils/powershell/handoff-note.ps1: a handoff note written, read or removed.

Only translates the script's steps onto the twin's file tree (lab/twin/filesystem.py owns what exists and what
the lab cannot know): ExpandEnvironmentVariables with the session's block, CreateDirectory, WriteAllText in
ASCII (a character outside it becomes '?', as .NET's ASCIIEncoding writes it), ReadAllText, Delete.
"""

from __future__ import annotations

import ntpath
import re

from ...twin.environment import expand
from ...twin.errors import NotSimulated
from ...twin.filesystem import FileSystemError
from ..result import Result
from . import _request

NOTE_NAME = re.compile(r"entra-sync-upgrade-[A-Za-z0-9_-]+\.txt\Z", re.I)  # PowerShell's -notmatch ignores case


class NoteFailed(Exception):
    pass


def run(twin, script: str, stdin: bytes, environment: dict | None = None) -> Result:
    request, refused = _request.read(script, "handoff-note")
    if refused:
        return refused
    environment = twin.environment() if environment is None else environment
    request = request if isinstance(request, dict) else {}
    out = {"path": None, "existed": False, "written": False, "removed": False, "text": None, "error": None}
    try:
        _note(twin, request, environment, out)
    except (NoteFailed, NotSimulated, FileSystemError) as exc:
        out["error"] = str(exc)
    return _request.answer({"handoff-note": out})


def _note(twin, request: dict, environment: dict, out: dict) -> None:
    action = str(request.get("action"))
    folder = expand(str(request.get("folder")), environment)
    name = str(request.get("name"))
    if not NOTE_NAME.match(name):
        raise NoteFailed(f"refused: note name {name}")
    path = ntpath.join(folder, name)
    out["path"] = path
    entry = twin.files.get(path)  # NotSimulated where the lab cannot know
    out["existed"] = entry is not None and entry["type"] == "file"
    if action == "read":
        if out["existed"]:
            out["text"] = twin.files.read(path).decode("ascii", "replace").replace("\ufffd", "?")
    elif action == "write":
        if entry is not None and entry["type"] == "dir":
            raise NoteFailed(f"Access to the path '{path}' is denied.")  # WriteAllText on a folder
        if not twin.files.is_dir(folder):
            twin.files.mkdir(folder)
        lines = request.get("lines") or []
        lines = [lines] if isinstance(lines, str) else lines
        text = "\r\n".join(str(line) for line in lines) + "\r\n"
        twin.files.write(path, text.encode("ascii", "replace"))
        out["written"] = True
    elif action == "remove":
        if out["existed"]:
            twin.files.remove(path)
            out["removed"] = True
    else:
        raise NoteFailed(f"unknown action {action}")
