"""The lab's side of plugins/plugin_utils/powershell/settings-export.ps1: the same operations, carried out on a twin.

This file only translates the script's steps; what the wizard's files, MigrateSettings.ps1, Authenticode and the
ADSync module do is the twin's (lab/twin/syncconfig.py, authenticode.py, syncengine.py, filesystem.py). The
script `& '<path>'` runs is MigrateSettings.ps1 only when its content is Microsoft's (syncconfig.
is_migrate_settings), whatever its name; any other script is not simulated.
"""

from __future__ import annotations

import base64
import hashlib
import ntpath
import re
import time

from ...twin import authenticode, syncconfig
from ...twin.environment import expand
from ...twin.errors import NotSimulated, Win32Error
from ...twin.filesystem import FileSystemError
from ...twin.syncengine import CmdletError
from . import _request

STAGING_ROOT = "%ProgramData%\\EntraSyncUpgrade\\backup\\"
PUSH_ROOT = "%ProgramData%\\EntraSyncUpgrade\\settings\\"
DATA_FOLDER = "%ProgramData%\\AADConnect"
MODULE = "%ProgramFiles%\\Microsoft Azure AD Sync\\Bin\\ADSync\\ADSync.psd1"
MICROSOFT_SIGNER = "O=Microsoft Corporation"


class Failed(Exception):
    """The script's catch block: its message becomes `error`."""


def run(twin, script: str, stdin: bytes, environment: dict | None = None):
    request, refused = _request.read(script, "settings-export")
    if refused:
        return refused
    environment = twin.environment() if environment is None else environment
    out = {"operation": None, "files": [], "located": None, "signer": None, "error": None}
    try:
        _Operation(twin, environment, out).run(request if isinstance(request, dict) else {})
    except (Failed, NotSimulated, CmdletError, syncconfig.MigrateSettingsError, FileSystemError) as exc:
        out["error"] = str(exc)
    except Win32Error as exc:
        out["error"] = exc.message
    return _request.answer({"settings-export": out})


def _utc(mtime: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(mtime))


class _Operation:
    def __init__(self, twin, environment: dict, out: dict):
        self.twin, self.env, self.files, self.out = twin, environment, twin.files, out
        self.module = expand(MODULE, environment)

    def _below(self, path: str, root: str) -> None:
        root = expand(root, self.env)
        if not path.lower().startswith(root.lower()) or ".." in path:
            raise Failed(f"refused: {path} is not below {root}")

    def _record(self, path: str, name: str) -> dict:
        entry = self.files.get(path)
        return {"name": name, "source": entry["path"], "size": self.files.size(path), "mtime": _utc(entry["mtime"]),
                "sha256": hashlib.sha256(self.files.read(path)).hexdigest()}

    def _newest(self, pattern: str, folders: bool) -> dict | None:
        data = expand(DATA_FOLDER, self.env)
        if self.files.get(data) is None:
            return None
        found = [e for e in self.files.listdir(data) if (e["type"] == "dir") == folders
                 and re.fullmatch(pattern, e["path"].rpartition("\\")[2], re.I)]
        return max(found, key=lambda e: (e["mtime"], e["path"].rpartition("\\")[2])) if found else None

    def _located(self, method: str, path: str) -> tuple[str, list[tuple[str, str]]]:
        """(the source, [(file path, name)])."""
        data = expand(DATA_FOLDER, self.env)
        if method == "json_export":
            entry = self._newest(r"Applied-SynchronizationPolicy-.*\.json", False)
            if entry is None:
                raise Failed(f"no Applied-SynchronizationPolicy-*.json in {data}")
            return entry["path"], [(entry["path"], entry["path"].rpartition("\\")[2])]
        if method == "migrate_settings":
            entry = self._newest(r"Exported-ServerConfiguration-.*", True)
            if entry is None:
                raise Failed(f"no Exported-ServerConfiguration-* folder in {data}")
            root, name = entry["path"], entry["path"].rpartition("\\")[2]
            return root, [(e["path"], name + e["path"][len(root):]) for e in
                          sorted(self.files.walk(root), key=lambda e: e["path"].lower()) if e["type"] == "file"]
        if method == "file":
            full = expand(path, self.env)
            entry = self.files.get(full)
            if entry is None or entry["type"] != "file":
                raise Failed(f"Could not find file '{full}'.")
            return entry["path"], [(entry["path"], entry["path"].rpartition("\\")[2])]
        raise Failed(f"unknown method {method}")

    def run(self, request: dict) -> None:
        operation = str(request.get("operation"))
        self.out["operation"] = operation
        if request.get("module"):
            self.module = expand(str(request["module"]), self.env)
        folder = expand(str(request.get("folder")), self.env)
        if operation == "stage":
            self._below(folder, STAGING_ROOT)
            self._stage(request, folder, bool(request.get("collect")))
        elif operation == "migrate":
            self._below(folder, STAGING_ROOT)
            self._migrate(request, folder)
        elif operation == "check":
            self._below(folder, PUSH_ROOT)
            self._check(request, folder)
        elif operation == "remove":
            self._below(folder, STAGING_ROOT)
            if self.files.get(folder) is not None:
                self.files.remove(folder)
        else:
            raise Failed(f"unknown operation {operation}")

    def _stage(self, request: dict, folder: str, collect: bool) -> None:
        records = []
        if str(request.get("method")) == "export_config":
            self._export_config(folder, collect)
            if collect:
                root = ntpath.join(folder, "export")
                for e in sorted(self.files.walk(root), key=lambda e: e["path"].lower()):
                    if e["type"] == "file":
                        records.append(self._record(e["path"], "export" + e["path"][len(root):]))
            self.out["located"] = "Get-ADSyncServerConfiguration"
        else:
            source, entries = self._located(str(request.get("method")), str(request.get("path")))
            self.out["located"] = source
            for path, name in entries:
                if collect:
                    dest = ntpath.join(folder, name)
                    self.files.mkdir(ntpath.dirname(dest))
                    self.files.copy(path, dest)
                    record = self._record(dest, name)
                    record["source"] = self.files.get(path)["path"]
                else:
                    record = self._record(path, name)
                records.append(record)
        self.out["files"] = records

    def _export_config(self, folder: str, collect: bool) -> None:
        if self.files.get(self.module) is None:
            raise Failed(f"no ADSync module at {self.module}")
        if not self.twin.powershell_at_least("3.0"):
            raise Failed(f"PowerShell {self.twin.powershell_version} cannot load the ADSync module")
        self.twin.adsync.import_module(self.twin.powershell_clr)
        if not self.twin.adsync.has_cmdlet("Get-ADSyncServerConfiguration"):
            raise Failed("this build has no Get-ADSyncServerConfiguration")
        if not collect:
            return
        for relative, data in sorted(self.twin.adsync.export_configuration(self.env.get("USERNAME")).items()):
            self.files.write(ntpath.join(folder, "export", relative), data)

    def _migrate(self, request: dict, folder: str) -> None:
        self.files.mkdir(folder)
        path = ntpath.join(folder, "MigrateSettings.ps1")
        data = base64.b64decode(str(request.get("script")))
        self.files.write(path, data)
        if hashlib.sha256(data).hexdigest() != str(request.get("sha256")):
            raise Failed(f"refused: {path} does not have the SHA-256 the controller sent")
        status, subject = authenticode.signature(data)
        self.out["signer"] = {"status": status, "subject": subject or ""}
        if status != "Valid" or MICROSOFT_SIGNER not in (subject or ""):
            raise Failed(f"refused: {path} is not signed by Microsoft ({status}, {subject or ''})")
        if not syncconfig.is_migrate_settings(data):
            raise NotSimulated("running a Microsoft-signed script other than MigrateSettings.ps1")
        syncconfig.run_migrate_settings(self.twin)
        self.out["located"] = self._located("migrate_settings", "")[0]

    def _check(self, request: dict, folder: str) -> None:
        records = []
        for name in request.get("names") or []:
            name = str(name)
            if ".." in name or name.startswith("\\"):
                raise Failed(f"refused: file name {name}")
            path = ntpath.join(folder, name)
            if request.get("create"):
                self.files.mkdir(ntpath.dirname(path))
            entry = self.files.get(path)
            sha = hashlib.sha256(self.files.read(path)).hexdigest() if entry and entry["type"] == "file" else None
            records.append({"name": name, "sha256": sha})
        self.out["files"] = records
