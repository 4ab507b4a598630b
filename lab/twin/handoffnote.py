r"""The handoff note an upgrade run leaves for the operator, as the lab's operator reads it.

Where: the all-users desktop, `C:\Users\Public\Desktop\entra-sync-upgrade-<step>.txt` (ASCII, CRLF). Format
(fixed between the run and the operator; the run writes it, the lab reads it with its own parser because the
lab never imports the controller's code):

    entra-sync-upgrade handoff v1
    Step: <step id>
    Host: <inventory name> (<computer name>)
    Issued: <UTC ISO 8601>
    <Key>: <value>            one line per parameter (Installer, Settings, Source, Export-To, Staging, ...)

    What to do:
    1. ...
    When it is done, the run sees:
    - ...
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import NotSimulated

HEADER = "entra-sync-upgrade handoff v1"
FOLDER = r"C:\Users\Public\Desktop"
STEPS = ("upgrade", "auto_upgrade", "wizard_files", "dirsync_export", "install_import", "install_migrate",
         "install_manual", "staging_on", "staging_off")
_FIELD = re.compile(r"^(?P<key>[A-Za-z][A-Za-z0-9-]*): ?(?P<value>.*)$")
_HOST = re.compile(r"^(?P<name>\S+)(?: \((?P<computer>[^)]*)\))?$")


class NoteError(ValueError):
    """The file is not a handoff note the operator can act on."""


@dataclass(frozen=True)
class Note:
    step: str
    host: str
    computer: str | None
    issued: str
    parameters: dict[str, str] = field(default_factory=dict)
    instructions: list[str] = field(default_factory=list)
    expectations: list[str] = field(default_factory=list)
    path: str = ""


def path_of(step: str) -> str:
    return f"{FOLDER}\\entra-sync-upgrade-{step}.txt"


def parse(text: str, path: str = "") -> Note:
    lines = text.replace("\r\n", "\n").split("\n")
    if not lines or lines[0].strip() != HEADER:
        raise NoteError(f"{path or 'note'}: not a handoff note (first line is not {HEADER!r})")
    fields: dict[str, str] = {}
    at = 1
    while at < len(lines) and lines[at].strip():
        match = _FIELD.match(lines[at])
        if match is None:
            raise NoteError(f"{path or 'note'}: line {at + 1} is not 'Key: value': {lines[at]!r}")
        fields[match["key"]] = match["value"].strip()
        at += 1
    for required in ("Step", "Host", "Issued"):
        if required not in fields:
            raise NoteError(f"{path or 'note'}: no {required}: line")
    step = fields.pop("Step")
    if step not in STEPS:
        raise NoteError(f"{path or 'note'}: unknown step {step!r}; the operator knows {', '.join(STEPS)}")
    host = _HOST.match(fields.pop("Host"))
    if host is None:
        raise NoteError(f"{path or 'note'}: Host: must be '<inventory name> (<computer name>)'")
    issued = fields.pop("Issued")
    instructions, expectations, section = [], [], None
    for line in lines[at:]:
        stripped = line.strip()
        if stripped == "What to do:":
            section = instructions
        elif stripped.startswith("When it is done"):
            section = expectations
        elif stripped and section is not None:
            section.append(re.sub(r"^(\d+\.|-)\s*", "", stripped))
    return Note(step=step, host=host["name"], computer=host["computer"], issued=issued, parameters=fields,
                instructions=instructions, expectations=expectations, path=path)


def notes_on(files) -> list[Note]:
    """The notes on a host's all-users desktop (its FileSystem), oldest first. A note that does not parse is
    skipped; a desktop the lab does not model is an empty one here (the operator cannot see it either)."""
    found = []
    for step in STEPS:
        path = path_of(step)
        try:
            if not files.exists(path):
                continue
            found.append(parse(files.read(path).decode("ascii", errors="replace"), path))
        except (NotSimulated, NoteError):
            continue
    return sorted(found, key=lambda n: n.issued)


def read_note(files, step: str) -> Note | None:
    """The note of one step, None when there is none; NoteError when it does not parse."""
    path = path_of(step)
    if not files.exists(path):
        return None
    return parse(files.read(path).decode("ascii", errors="replace"), path)
