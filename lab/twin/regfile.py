"""`reg.exe export`: a key and everything below it as a .reg file ("Windows Registry Editor Version 5.00",
UTF-16 LE with a byte order mark, CRLF), the format `reg import` reads back.

Rules: the key must exist ("ERROR: The system was unable to find the specified registry key or value.", exit 1);
its subkeys must be known to the twin (a partially modeled key cannot be exported: not simulated). Values are
written as regedit writes them: strings quoted with \\ and \" escaped, DWORDs as dword:%08x, everything else
as hex(<type>): bytes, wrapped before column 80 with a trailing backslash.
"""

from __future__ import annotations

from .registry import Registry, dotnet_value

HEADER = "Windows Registry Editor Version 5.00"
ROOTS = {"HKLM": "HKEY_LOCAL_MACHINE", "HKCU": "HKEY_CURRENT_USER", "HKCR": "HKEY_CLASSES_ROOT",
         "HKU": "HKEY_USERS", "HKCC": "HKEY_CURRENT_CONFIG"}
HEX_TYPES = {"expandstring": "hex(2)", "multistring": "hex(7)", "binary": "hex", "qword": "hex(b)", "none": "hex(0)"}
NOT_FOUND = "ERROR: The system was unable to find the specified registry key or value."


class KeyNotFound(LookupError):
    """reg.exe's error for a key that does not exist."""


def export(registry: Registry, key: str) -> bytes:
    """The .reg file's bytes for `key` and its subtree."""
    if not registry.key_exists(key):
        raise KeyNotFound(NOT_FOUND)
    lines = [HEADER, ""]
    _key(registry, registry.key_path(key), lines)
    return b"\xff\xfe" + ("\r\n".join(lines) + "\r\n").encode("utf-16-le")


def _key(registry: Registry, path: str, lines: list[str]) -> None:
    hive, _, rest = path.partition("\\")
    lines.append(f"[{ROOTS[hive]}\\{rest}]" if rest else f"[{ROOTS[hive]}]")
    values = registry.values(path)
    for name in sorted(values, key=lambda n: (n != "", n.lower())):  # the default value first
        lines.append(_value(values[name]))
    lines.append("")
    for sub in registry.subkeys(path):
        _key(registry, f"{path}\\{sub}", lines)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _value(value: dict) -> str:
    name = "@" if value["name"] == "" else _quote(value["name"])
    vtype, data = value["type"], dotnet_value(value)
    if vtype == "string":
        return f"{name}={_quote(data)}"
    if vtype == "dword":
        return f"{name}=dword:{data:08x}"
    if vtype == "expandstring":
        raw = (data + "\0").encode("utf-16-le")
    elif vtype == "multistring":
        raw = "".join(s + "\0" for s in data).encode("utf-16-le") + b"\0\0"
    elif vtype == "qword":
        raw = int(data).to_bytes(8, "little")
    else:
        raw = bytes(data)
    return _wrap(f"{name}={HEX_TYPES[vtype]}:", [f"{b:02x}" for b in raw])


def _wrap(head: str, octets: list[str]) -> str:
    """regedit's layout: comma-separated octets, a line ends with ",\\" at column 80 at most, continuations indent 2."""
    lines, line = [], head
    for i, octet in enumerate(octets):
        piece = octet + ("," if i < len(octets) - 1 else "")
        if len(line) + len(piece) > 79 and line.strip():
            lines.append(line + "\\")
            line = "  "
        line += piece
    lines.append(line)
    return "\r\n".join(lines)
