# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sync_settings: a sync server's settings, produced and fetched to the controller, or pushed to a new server.

Operations (docs/configuration-compare.md, "Settings methods"):
  export             on the source, by method: json_export (the newest Applied-SynchronizationPolicy-*.json),
                     migrate_settings (run the Microsoft-signed MigrateSettings.ps1 the controller fetched from the
                     target, unless a folder it wrote is there already, then the newest Exported-ServerConfiguration-*
                     folder), dirsync_export (the file at `path`)
  fetch_wizard_file  one file, e.g. the target's Tools\\MigrateSettings.ps1
  export_config      Get-ADSyncServerConfiguration -Path on a Connect host, for the comparison
  push               the files of a controller folder (an export's) to the target's
                     C:\\ProgramData\\EntraSyncUpgrade\\settings\\<source>\\, each verified by SHA-256 there
Fetching stages the files on the server (settings-export.ps1) and reads them in chunks with backup-read (the
backup's reader: plugin_utils/_chunked_fetch.py); every file is hashed on the server and again on the controller,
and lands in <dest>/<host>/<kind>/ (folders 0700, files 0600) with manifest.json. The same files already there:
unchanged. Check mode plans and changes nothing, on the server or the controller.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ntpath
import os
import shutil
from pathlib import Path

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase
from ansible_collections.entra.sync_upgrade.plugins.plugin_utils import _backup_store as store
from ansible_collections.entra.sync_upgrade.plugins.plugin_utils import _chunked_fetch as chunked_fetch
from ansible_collections.entra.sync_upgrade.plugins.plugin_utils import _evidence as ev
from ansible_collections.entra.sync_upgrade.plugins.plugin_utils import _progress as progress
from ansible_collections.entra.sync_upgrade.plugins.plugin_utils import _script

ARGUMENT_SPEC = {
    "operation": {"type": "str", "required": True,
                  "choices": ["export", "fetch_wizard_file", "export_config", "push"]},
    "method": {"type": "str", "choices": ["json_export", "migrate_settings", "dirsync_export"]},
    "path": {"type": "str"},
    "dest": {"type": "path"},
    "src": {"type": "path"},
    "source": {"type": "str"},
    "script": {"type": "path"},
    "script_sha256": {"type": "str"},
    "refresh": {"type": "bool", "default": False},
    "chunk_bytes": {"type": "int", "default": 4 * 1024 * 1024},
}
STAGING = "%ProgramData%\\EntraSyncUpgrade\\backup\\settings-"
PUSH_ROOT = "C:\\ProgramData\\EntraSyncUpgrade\\settings\\"
MANIFEST = "manifest.json"


class SettingsFailed(Exception):
    """The operation cannot go on; the message says why."""


class ActionModule(ActionBase):
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        result = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        host = self._task.delegate_to or task_vars["inventory_hostname"]  # the server it runs on
        try:
            outcome = self._dispatch(host, args)
        except (SettingsFailed, store.StoreError, chunked_fetch.FetchFailed) as exc:
            outcome = {"changed": False, "status": "failed", "failed": True, "msg": f"{host}: {exc}"}
        return {**result, "operation": args["operation"], "method": args["method"], **outcome}

    def _dispatch(self, host: str, args: dict) -> dict:
        operation = args["operation"]
        if operation == "push":
            for name in ("src", "source"):
                if not args[name]:
                    raise SettingsFailed(f"push needs {name}")
            return self._push(Path(args["src"]), args["source"])
        if not args["dest"] or not Path(args["dest"]).is_absolute():
            raise SettingsFailed(f"{operation} needs dest, an absolute controller folder")
        if not 1024 <= args["chunk_bytes"] <= 16 * 1024 * 1024:
            raise SettingsFailed("chunk_bytes must be between 1024 and 16777216")
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        staging = STAGING + store.stamp(now)
        if operation == "export_config":
            return self._fetch(host, args, staging, {"method": "export_config"}, "export_config", now)
        if operation == "fetch_wizard_file":
            if not args["path"]:
                raise SettingsFailed("fetch_wizard_file needs path")
            kind = "wizard_file_" + ntpath.basename(args["path"]).replace(".", "_")
            return self._fetch(host, args, staging, {"method": "file", "path": args["path"]}, kind, now)
        method = args["method"]
        if method is None:
            raise SettingsFailed("export needs method")
        if method == "dirsync_export":
            if not args["path"]:
                raise SettingsFailed("dirsync_export needs path, the file DirSync's export wrote")
            return self._fetch(host, args, staging, {"method": "file", "path": args["path"]}, method, now)
        if method == "migrate_settings":
            return self._migrate(host, args, staging, now)
        return self._fetch(host, args, staging, {"method": "json_export"}, method, now)

    # the remote scripts ----------------------------------------------------------------------------------------
    def remote(self, name: str, request: dict) -> dict:
        try:
            return _script.run(self, name, request)
        except _script.ScriptFailed as exc:
            raise SettingsFailed(str(exc)) from None

    def settings(self, request: dict) -> dict:
        doc = self.remote("settings-export", {"module": ev.ADSYNC_MODULE, **request})
        if doc.get("error"):
            raise SettingsFailed(f"{request['operation']}: {doc['error']}")
        return doc

    # export, fetch_wizard_file, export_config ------------------------------------------------------------------
    def _fetch(self, host: str, args: dict, staging: str, what: dict, kind: str, now, extra: dict | None = None):
        local = Path(args["dest"]) / host / kind
        if self._task.check_mode:
            plan = self.settings({"operation": "stage", "collect": False, "folder": staging, **what})
            return self._result("planned", False, local, plan, extra,
                                plan=[f"fetch {f['source']} ({f['size']:,} bytes)" for f in plan["files"]]
                                or [f"run {plan['located']} and fetch what it writes"])
        try:
            staged = self.settings({"operation": "stage", "collect": True, "folder": staging, **what})
            previous = store.read_manifest(local)
            if previous and _same_files(previous.get("files"), staged["files"]) and _all_there(local, previous):
                return self._result("unchanged", False, local, staged, extra)
            self._download(host, args, staging, staged, kind, now, local)
        finally:
            if not self._task.check_mode:
                try:
                    self.settings({"operation": "remove", "folder": staging})
                except (SettingsFailed, AnsibleError):
                    pass  # the result stands; a leftover staging folder holds only copies
        return self._result("done", True, local, staged, extra)

    def _download(self, host, args, staging, staged, kind, now, local: Path) -> None:
        partial = store.new_backup_dir(Path(args["dest"]) / host, ".partial", store.stamp(now))
        try:
            shown = progress.fetch_reporter(self._display.display, f"{host}: settings", staged["files"],
                                            "the controller")
            done = chunked_fetch.fetch(self.remote, staging, partial, staged["files"], args["chunk_bytes"], shown)
            bad = [f["name"] for f in staged["files"] if done[f["name"]] != (f["sha256"], f["size"])]
            if bad:
                raise SettingsFailed(f"{len(bad)} file(s) differ from what the server hashed: {', '.join(bad[:5])}")
            manifest = {"format": 1, "host": host, "kind": kind, "method": kind, "located": staged.get("located"),
                        "created_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "files": [{"name": f["name"], "source": f["source"], "size": f["size"], "sha256": f["sha256"]}
                                  for f in staged["files"]]}
            store.write_manifest(partial, manifest)
            if local.exists():
                shutil.rmtree(local)
            os.replace(partial, local)
        finally:
            shutil.rmtree(partial.parent, ignore_errors=True)

    def _migrate(self, host: str, args: dict, staging: str, now) -> dict:
        """MigrateSettings.ps1 runs only when no folder it wrote is there (or refresh); the controller's copy of
        the script is checked against its SHA-256 first, and the server checks hash and Microsoft's signature."""
        existing = None
        if not args["refresh"]:
            try:
                existing = self.settings({"operation": "stage", "collect": False, "folder": staging,
                                          "method": "migrate_settings"})
            except SettingsFailed:
                existing = None
        if existing is not None:
            return self._fetch(host, args, staging, {"method": "migrate_settings"}, "migrate_settings", now)
        if not args["script"] or not args["script_sha256"]:
            raise SettingsFailed("migrate_settings needs script (MigrateSettings.ps1 fetched from the target's wizard "
                                 "folder) and script_sha256")
        data = Path(args["script"]).read_bytes()
        if hashlib.sha256(data).hexdigest() != args["script_sha256"].lower():
            raise SettingsFailed(f"{args['script']} does not have the SHA-256 {args['script_sha256']}")
        if self._task.check_mode:
            return self._result("planned", False, Path(args["dest"]) / host / "migrate_settings", None, None,
                                plan=["run MigrateSettings.ps1 (Microsoft-signed, SHA-256 "
                                      f"{args['script_sha256']}) and fetch its Exported-ServerConfiguration folder"])
        ran = self.settings({"operation": "migrate", "folder": staging, "script": base64.b64encode(data).decode(),
                             "sha256": args["script_sha256"].lower()})
        outcome = self._fetch(host, args, staging, {"method": "migrate_settings"}, "migrate_settings", now,
                              {"signer": ran.get("signer")})
        return {**outcome, "changed": True, "status": "done"}

    # push ------------------------------------------------------------------------------------------------------
    def _push(self, src: Path, source: str) -> dict:
        if not source.replace("-", "").replace("_", "").replace(".", "").isalnum():
            raise SettingsFailed(f"source {source!r} cannot name a folder")
        manifest = store.read_manifest(src)
        if not manifest or not manifest.get("files"):
            raise SettingsFailed(f"{src} holds no settings fetched by sync_settings ({MANIFEST} missing or empty)")
        files = manifest["files"]
        for f in files:
            local = src / store.local_name(f["name"])
            if not local.is_file() or hashlib.sha256(local.read_bytes()).hexdigest() != f["sha256"]:
                raise SettingsFailed(f"{local} differs from its manifest: fetch the settings again")
        folder = PUSH_ROOT + source
        names = [f["name"] for f in files]
        there = self.settings({"operation": "check", "folder": folder, "names": names,
                               "create": not self._task.check_mode})
        have = {f["name"]: f["sha256"] for f in there["files"]}
        todo = [f for f in files if have.get(f["name"]) != f["sha256"]]
        result = {"remote_folder": folder, "path": str(src), "files": [{"name": f["name"], "size": f["size"],
                                                                        "sha256": f["sha256"]} for f in files],
                  "plan": [f"copy {f['name']} to {folder}" for f in todo]}
        if not todo:
            return {**result, "changed": False, "status": "unchanged"}
        if self._task.check_mode:
            return {**result, "changed": True, "status": "planned"}
        for f in todo:
            self._connection.put_file(str(src / store.local_name(f["name"])), ntpath.join(folder, f["name"]))
        after = {f["name"]: f["sha256"] for f in self.settings({"operation": "check", "folder": folder,
                                                                "names": names, "create": False})["files"]}
        bad = [f["name"] for f in files if after.get(f["name"]) != f["sha256"]]
        if bad:
            raise SettingsFailed(f"{len(bad)} file(s) on the target differ from the controller's: {', '.join(bad[:5])}")
        return {**result, "changed": True, "status": "done"}

    # the result ------------------------------------------------------------------------------------------------
    @staticmethod
    def _result(status: str, changed: bool, local: Path, doc: dict | None, extra: dict | None,
                plan: list | None = None) -> dict:
        files = (doc or {}).get("files") or []
        return {"changed": changed, "status": status, "path": str(local),
                "manifest": str(local / MANIFEST) if status != "planned" else None,
                "located": (doc or {}).get("located"), "plan": plan or [],
                "files": [{"name": f["name"], "size": f["size"], "sha256": f["sha256"]} for f in files],
                **(extra or {})}


def _same_files(before, now) -> bool:
    return sorted((f["name"], f["sha256"]) for f in before or []) == sorted((f["name"], f["sha256"]) for f in now)


def _all_there(local: Path, manifest: dict) -> bool:
    return all((local / store.local_name(f["name"])).is_file() for f in manifest.get("files") or [])
