"""The environment block a process on the host starts with, and what it adds (WinRS shell, Ansible's task).

Windows builds a logon session's block from volatile values (computer, user, profile folders), the machine
environment (HKLM\\...\\Session Manager\\Environment) and the user's (HKCU\\Environment, which wins, except
that Path is joined). A WinRS shell adds the variables the client sent in <rsp:Environment>; Ansible's module
wrapper adds a task's `environment:`. Names ignore case; an empty value removes a variable, as
SetEnvironmentVariable does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

MACHINE_KEY = r"HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Environment"
USER_KEY = r"HKCU\Environment"
# what the two keys hold on a fresh install, for a twin whose base layer does not carry them
DEFAULT_MACHINE = {"ComSpec": r"%SystemRoot%\system32\cmd.exe", "OS": "Windows_NT",
                   "Path": r"%SystemRoot%\system32;%SystemRoot%;%SystemRoot%\System32\Wbem;"
                           r"%SYSTEMROOT%\System32\WindowsPowerShell\v1.0\\",
                   "PATHEXT": ".COM;.EXE;.BAT;.CMD;.VBS;.VBE;.JS;.JSE;.WSF;.WSH;.MSC",
                   "PROCESSOR_ARCHITECTURE": "AMD64", "TEMP": r"%SystemRoot%\TEMP", "TMP": r"%SystemRoot%\TEMP",
                   "windir": "%SystemRoot%"}
DEFAULT_USER = {"TEMP": r"%USERPROFILE%\AppData\Local\Temp", "TMP": r"%USERPROFILE%\AppData\Local\Temp"}
_VAR = re.compile(r"%([^%\r\n]+)%")


def expand(text: str, block: Mapping[str, str]) -> str:
    """ExpandEnvironmentVariables: %NAME% becomes its value when NAME is defined (any case), else stays."""
    return _VAR.sub(lambda m: block.get(m.group(1).upper(), m.group(0)), text)


def overlay(block: dict[str, str], extra: Mapping[str, object] | None) -> dict[str, str]:
    """The block with variables set on top (SetEnvironmentVariable: an empty or null value removes it)."""
    out = dict(block)
    for name, value in (extra or {}).items():
        if value is None or str(value) == "":
            out.pop(str(name).upper(), None)
        else:
            out[str(name).upper()] = str(value)
    return out


class Environment:
    """The environment of a logon session on one twin (keys upper-case, as lookups ignore case)."""

    def __init__(self, twin):
        self.twin = twin

    def block(self, user: str) -> dict[str, str]:
        """System values, then the machine key, then the user's key (Path joined), then the logon's per-user
        values, which win (the machine key's USERNAME=SYSTEM is the services' view, not a user's)."""
        state, drive = self.twin.state, self.twin.state["disk"].get("system_drive", "C") + ":"
        root, profile = drive + "\\Windows", f"{drive}\\Users\\{user}"
        system = {
            "SYSTEMDRIVE": drive, "SYSTEMROOT": root, "PROGRAMFILES": drive + "\\Program Files",
            "PROGRAMFILES(X86)": drive + "\\Program Files (x86)", "PROGRAMW6432": drive + "\\Program Files",
            "COMMONPROGRAMFILES": drive + "\\Program Files\\Common Files",
            "COMMONPROGRAMFILES(X86)": drive + "\\Program Files (x86)\\Common Files",
            "COMMONPROGRAMW6432": drive + "\\Program Files\\Common Files",
            "PROGRAMDATA": drive + "\\ProgramData", "ALLUSERSPROFILE": drive + "\\ProgramData",
            "PUBLIC": drive + "\\Users\\Public", "COMPUTERNAME": state["hostname"],
        }
        logon = {
            "USERNAME": user, "USERDOMAIN": state["hostname"], "USERPROFILE": profile, "HOMEDRIVE": drive,
            "HOMEPATH": f"\\Users\\{user}", "APPDATA": profile + "\\AppData\\Roaming",
            "LOCALAPPDATA": profile + "\\AppData\\Local",
        }
        block = {**system, **logon}
        for name, value in (self._values(MACHINE_KEY) or DEFAULT_MACHINE).items():
            if name.upper() not in logon:
                block[name.upper()] = expand(value, block)
        for name, value in (self._values(USER_KEY) or DEFAULT_USER).items():
            value = expand(value, block)
            if name.upper() == "PATH" and "PATH" in block:
                value = block["PATH"] + ";" + value
            block[name.upper()] = value
        return block

    def _values(self, key: str) -> dict[str, str]:
        """Name -> text of a key's string values (REG_SZ and REG_EXPAND_SZ), as the logon builds them."""
        values = self.twin.registry.peek_values(key)
        return {v["name"]: str(v.get("data") or "") for v in values.values()
                if v["type"] in ("string", "expandstring") and v["name"]}
