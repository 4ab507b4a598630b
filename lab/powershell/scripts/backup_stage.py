"""The lab's side of plugins/plugin_utils/powershell/backup-stage.ps1: the same steps, carried out on a twin.

The request is read the way PowerShell evaluates it (lab/powershell/psliteral.py). This file only translates the
script's steps; what Windows, reg.exe, SQL Server and the ADSync module do is the twin's (lab/twin/: files,
registry and regfile, services, sql, syncengine). The answer is the document the real script prints, in the
same order of checks; whatever the twin cannot answer fails the item with "lab: not simulated: ...".

Where the lab is quicker than Windows: a LocalDB file still held after its service stopped fails at once, where
the script retries for lock_wait_seconds; the service is stopped for no measurable time.
"""

from __future__ import annotations

import fnmatch
import ntpath
import time

from ...twin import regfile
from ...twin.environment import expand
from ...twin.errors import NotSimulated, Win32Error
from ...twin.filesystem import FileSystemError
from ...twin.sql import SqlError
from ...twin.syncengine import CmdletError
from ..result import Result
from . import _request

STAGING_ROOT = "%ProgramData%\\EntraSyncUpgrade\\backup\\"
COMMANDS_ALLOWED = ("Get-ADSyncServerConfiguration", "Get-ADSyncScheduler")
IN_USE = "The process cannot access the file '{}' because it is being used by another process."
STATUS = {"running": "Running", "stopped": "Stopped", "paused": "Paused"}


class ItemFailed(Exception):
    """The item's catch block: its message becomes the item's."""


def run(twin, script: str, stdin: bytes, environment: dict | None = None) -> Result:
    request, refused = _request.read(script, "backup-stage")
    if refused:
        return refused
    environment = twin.environment() if environment is None else environment
    doc = _Stage(twin, environment).run(request if isinstance(request, dict) else {})
    return _request.answer({"backup-stage": doc})


def _utc(mtime: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(mtime))


class _Stage:
    def __init__(self, twin, environment: dict):
        self.twin, self.env, self.files = twin, environment, twin.files
        self.root = expand(STAGING_ROOT, environment)

    def run(self, request: dict) -> dict:
        out = {"mode": None, "folder": None, "free_bytes": None, "items": {}, "error": None,
               "powershell": self.twin.powershell_version}
        try:
            mode, folder = str(request.get("mode")), expand(str(request.get("folder")), self.env)
            out["mode"], out["folder"] = mode, folder
            if (not folder.lower().startswith(self.root.lower()) or len(folder) <= len(self.root)
                    or ".." in folder):
                raise ItemFailed(f"refused: staging folder {folder} is not below {self.root}")
            if mode == "remove":
                if self.files.exists(folder):
                    self.files.remove(folder)
                for parent in (self.root, ntpath.dirname(self.root.rstrip("\\"))):
                    if self.files.is_dir(parent) and not self.files.listdir(parent):
                        self.files.remove(parent)
            elif mode in ("plan", "collect"):
                if mode == "collect":
                    self.files.mkdir(folder)
                for item in request.get("items") or []:
                    out["items"][str(item.get("id"))] = self._item(item, mode, folder, int(request["hash_limit"]))
            else:
                raise ItemFailed(f"refused: mode {mode}")
            out["free_bytes"] = self.twin.free_bytes
        except (ItemFailed, FileSystemError, NotSimulated, Win32Error) as exc:
            out["error"] = str(exc)
        return out

    # one item: the script's Invoke-Item inside its try/catch --------------------------------------------------
    def _item(self, item: dict, mode: str, folder: str, hash_limit: int) -> dict:
        item_id, kind = str(item.get("id")), str(item.get("kind"))
        try:
            result = {"id": item_id, "kind": kind, "status": "present", "message": None, "files": []}
            collect = mode == "collect"
            directory = ntpath.join(folder, item_id)
            if collect:
                self.files.mkdir(directory)
            handler = getattr(self, f"_{kind}", None)
            if handler is None:
                raise ItemFailed(f"refused: item kind {kind}")
            handler(item, result, collect, directory, item_id + "\\", hash_limit)
            if collect and result["status"] == "present":
                result["status"] = "collected"
            return result
        except (ItemFailed, NotSimulated, SqlError, CmdletError, FileSystemError, Win32Error) as exc:
            return {"id": item_id, "kind": kind, "status": "failed", "message": str(exc), "files": []}

    def _file(self, item, result, collect, directory, prefix, hash_limit):
        source = expand(str(item.get("path")), self.env)
        entry = self.files.get(source)
        if entry is None or entry["type"] != "file":
            result.update(status="absent", message=f"no file {source}")
            return
        name = ntpath.basename(entry["path"])
        if collect:
            result["files"] = [self._copied(entry["path"], ntpath.join(directory, name), prefix + name)]
        else:
            result["files"] = [self._record(entry["path"], prefix + name, int(entry.get("size", 0)) <= hash_limit)]

    def _newest(self, item, result, collect, directory, prefix, hash_limit):
        parent = expand(str(item.get("folder")), self.env)
        want_folder = str(item.get("type")) == "folder"
        if not self.files.is_dir(parent):
            result.update(status="absent", message=f"no folder {parent}")
            return
        pattern = str(item.get("filter")).lower()
        found = [e for e in self.files.listdir(parent)
                 if fnmatch.fnmatchcase(ntpath.basename(e["path"]).lower(), pattern)
                 and (e["type"] == "dir") == want_folder]
        if not found:
            result.update(status="absent", message=f"nothing matches {item.get('filter')} in {parent}")
            return
        newest = sorted(found, key=lambda e: (float(e.get("mtime", 0)), ntpath.basename(e["path"]).lower()))[-1]
        name = ntpath.basename(newest["path"])
        if not want_folder:
            if collect:
                result["files"] = [self._copied(newest["path"], ntpath.join(directory, name), prefix + name)]
            else:
                result["files"] = [self._record(newest["path"], prefix + name,
                                                int(newest.get("size", 0)) <= hash_limit)]
        elif collect:
            for entry in self.files.walk(newest["path"]):  # Copy-Item -Recurse
                if entry["type"] == "file":
                    relative = entry["path"][len(ntpath.dirname(newest["path"])) + 1:]
                    self._copy(entry["path"], ntpath.join(directory, relative))
            result["files"] = self._tree(directory, prefix, True)
        else:
            result["files"] = self._tree(newest["path"], prefix + name + "\\", False)

    def _registry(self, item, result, collect, directory, prefix, hash_limit):
        key = str(item.get("key"))
        if not key.startswith("HKLM\\"):
            raise ItemFailed(f"refused: {key} is not under HKLM")
        if not self.twin.registry.key_exists(key):
            result.update(status="absent", message=f"no registry key {key}")
            return
        if collect:
            name = str(item.get("id")) + ".reg"
            try:
                data = regfile.export(self.twin.registry, key)
            except regfile.KeyNotFound as exc:
                raise ItemFailed(f"reg.exe export {key} failed: {exc}") from None
            self.files.write(ntpath.join(directory, name), data)
            result["files"] = [self._record(ntpath.join(directory, name), prefix + name, True, source=key)]

    def _cmdlet(self, item, result, collect, directory, prefix, hash_limit):
        name = str(item.get("command"))
        if name not in COMMANDS_ALLOWED:
            raise ItemFailed(f"refused: {name} is not a command this script runs")
        module = expand(str(item.get("module")), self.env)
        if self.files.get(module) is None:
            result.update(status="unavailable", message=f"no ADSync module at {module}")
            return
        if not self.twin.powershell_at_least("3.0"):
            result.update(status="unavailable",
                          message=f"PowerShell {self.twin.powershell_version} cannot load the ADSync module")
            return
        self.twin.adsync.import_module(self.twin.powershell_clr)
        if not self.twin.adsync.has_cmdlet(name):
            result.update(status="unavailable", message=f"this build has no {name}")
            return
        if not collect:
            return
        user = self.env.get("USERNAME")
        if str(item.get("output")) == "folder":
            for relative, data in sorted(self.twin.adsync.export_configuration(user).items()):
                self.files.write(ntpath.join(directory, relative), data)
            result["files"] = self._tree(directory, prefix, True)
            return
        lines = []
        for obj in self.twin.adsync.invoke(name, user):
            for prop in sorted((obj or {}).keys()):
                lines.append(f"{prop}={_ps_string(obj[prop])}")
        file_name = str(item.get("id")) + ".txt"
        self.files.write(ntpath.join(directory, file_name), ("\r\n".join(lines) + "\r\n").encode("utf-8"))
        result["files"] = [self._record(ntpath.join(directory, file_name), prefix + file_name, True, source=name)]

    def _sql_backup(self, item, result, collect, directory, prefix, hash_limit):
        source, database = str(item.get("data_source")), str(item.get("database"))
        server = source.split("\\")[0].lower()
        if server not in (".", "(local)", "localhost", str(self.env.get("COMPUTERNAME", "")).lower()):
            raise ItemFailed(f"the database {database} is on SQL Server {source}, not on this server: back it up "
                             "on the SQL Server (a COPY_ONLY backup)")
        connection = self.twin.sql.connect(source, "master", self.twin.powershell_clr, self.env.get("USERNAME"))
        backup_dir = str(connection.rows("EXEC master.dbo.xp_instance_regread N'HKEY_LOCAL_MACHINE', "
                                         "N'Software\\Microsoft\\MSSQLServer\\MSSQLServer', N'BackupDirectory'")[0][1])
        result["backup_directory"] = backup_dir
        if not collect:
            return
        bak = ntpath.join(backup_dir, f"{database}-entra-sync-upgrade-{item.get('stamp')}.bak")
        quoted_path = bak.replace("'", "''")
        connection.execute(f"BACKUP DATABASE [{database.replace(']', ']]')}] TO DISK = N'{quoted_path}' "
                           "WITH COPY_ONLY, INIT, CHECKSUM")
        connection.execute(f"RESTORE VERIFYONLY FROM DISK = N'{quoted_path}' WITH CHECKSUM")
        dest = ntpath.join(directory, f"{database}.bak")
        self.files.copy(bak, dest)  # Move-Item on one volume
        self.files.remove(bak)
        result["files"] = [self._record(dest, f"{prefix}{database}.bak", True,
                                        source=f"BACKUP DATABASE [{database}] on {source} WITH COPY_ONLY")]

    def _offline_copy(self, item, result, collect, directory, prefix, hash_limit):
        service_name = str(item.get("service"))
        sources = []
        for path in item.get("paths") or []:
            expanded = expand(str(path), self.env)
            entry = self.files.get(expanded)
            if entry is None or entry["type"] != "file":
                raise ItemFailed(f"no database file {expanded}")
            sources.append(entry["path"])
        service = self.twin.services.get(service_name)
        if service is None:
            raise ItemFailed(f"Cannot find any service with service name '{service_name}'.")
        result["service"] = {"name": service_name, "before": STATUS[service.state], "after": None,
                             "stopped_seconds": None}
        if not collect:
            result["files"] = [self._record(s, prefix + ntpath.basename(s), False) for s in sources]
            result["service"]["after"] = STATUS[service.state]
            return
        was_running = service.state == "running"
        records = []
        try:
            if was_running:
                self._stop(service)
            for path in sources:
                dest = ntpath.join(directory, ntpath.basename(path))
                self._copy(path, dest)
                records.append(self._record(dest, prefix + ntpath.basename(path), False, source=path))
        except (ItemFailed, NotSimulated, FileSystemError, Win32Error) as exc:
            result.update(status="failed", message=str(exc))
        finally:
            if was_running:
                try:
                    self.twin.services.start(service_name)
                except Win32Error:
                    result["restart_error"] = (f"Service '{service.display_name} ({service_name})' cannot be started "
                                               f"due to the following error: Cannot start service {service_name} on "
                                               "computer '.'.")
            result["service"]["after"] = STATUS[self.twin.services.get(service_name).state]
            result["service"]["stopped_seconds"] = 0
        if result["status"] == "failed":
            return
        for record in records:
            record["sha256"] = self.files.checksum(ntpath.join(ntpath.dirname(directory), record["name"]), "sha256")
        result["files"] = records

    # what the script's helpers do -----------------------------------------------------------------------------
    def _stop(self, service) -> None:
        try:
            self.twin.services.stop(service.name)
        except Win32Error:
            raise ItemFailed(f"Service '{service.display_name} ({service.name})' cannot be stopped due to the "
                             f"following error: Cannot stop {service.name} service on computer '.'.") from None

    def _copy(self, source: str, dest: str) -> None:
        """[System.IO.File]::Copy: refused while another process holds the file (a full disk: the model's DiskFull)."""
        if self.twin.sql.holder_of(source):
            raise ItemFailed(IN_USE.format(source))
        self.files.copy(source, dest)

    def _copied(self, source: str, dest: str, name: str) -> dict:
        self._copy(source, dest)
        return self._record(dest, name, True, source=source)

    def _record(self, path: str, name: str, with_hash: bool, source: str | None = None) -> dict:
        entry = self.files.get(path)
        return {"name": name, "source": source or entry["path"], "size": int(entry.get("size", 0)),
                "mtime": _utc(float(entry.get("mtime", 0))),
                "sha256": self.files.checksum(path, "sha256") if with_hash else None}

    def _tree(self, root: str, prefix: str, with_hash: bool) -> list[dict]:
        base = len(root.rstrip("\\")) + 1
        return [self._record(e["path"], prefix + e["path"][base:], with_hash)
                for e in self.files.walk(root) if e["type"] == "file"]


def _ps_string(value) -> str:
    """[string]$value as PowerShell writes it: $null is '', booleans True/False."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)
