# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sync_backup: the server's sync configuration, staged on the server and fetched to the controller, verified.

Like sync_facts it sends the project's PowerShell 2.0-safe scripts over the host's raw WinRM connection
(Ansible's modules and its fetch need PowerShell 5.1, which legacy sync servers lack):
  1. backup-stage, mode plan (read-only): what each item would collect, and the free space. Check mode stops
     here and reports the plan; so does a young verified backup of unchanged files, which is reused.
  2. backup-stage, mode collect: everything copied into a staging folder and hashed (SHA-256) on the server;
     a service stopped for a database copy is started again by the script whatever happens.
  3. backup-read, in chunks: the files come to <dest>/<host>/<UTC stamp>/, hashed again as they are written.
  4. backup-stage, mode remove: the staging folder is deleted.
The result is the step result `sync_backup_result` (docs/upgrade-run.md). A failure is a status, not a failed
task: the role records it and then stops the host with the cause.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from ansible.errors import AnsibleConnectionFailure, AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible_collections.entra.sync_upgrade.plugins.plugin_utils import _backup_catalog as catalog
from ansible_collections.entra.sync_upgrade.plugins.plugin_utils import _backup_store as store
from ansible_collections.entra.sync_upgrade.plugins.plugin_utils import _chunked_fetch as chunked_fetch
from ansible_collections.entra.sync_upgrade.plugins.plugin_utils import _engine_record, _script
from ansible_collections.entra.sync_upgrade.plugins.plugin_utils import _progress as progress

ARGUMENT_SPEC = {
    "facts": {"type": "dict", "required": True},
    "dest": {"type": "path", "required": True},
    "database": {"type": "bool", "default": False},
    "max_age_hours": {"type": "float", "default": 4.0},
    "vault_id": {"type": "str"},
    "chunk_bytes": {"type": "int", "default": 4 * 1024 * 1024},
    "lock_wait_seconds": {"type": "int", "default": 300},
}
STAGING = "%ProgramData%\\EntraSyncUpgrade\\backup\\"
MARGIN_BYTES = 64 * 1024 * 1024  # free space kept beyond the backup's own size, on the server and the controller
OK_STATUSES = ("present", "collected")


class BackupFailed(Exception):
    """The backup cannot go on; the message is the cause the result reports."""


class ActionModule(ActionBase):
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        result = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        host = task_vars["inventory_hostname"]
        root = Path(args["dest"])
        if not root.is_absolute():
            return {**result, "failed": True, "msg": f"dest must be an absolute path, not {root}"}
        if not 1024 <= args["chunk_bytes"] <= 16 * 1024 * 1024:
            return {**result, "failed": True, "msg": "chunk_bytes must be between 1024 and 16777216"}
        if args["max_age_hours"] < 0:
            return {**result, "failed": True, "msg": "max_age_hours must be 0 or more"}
        vault = self._vault_secret(args["vault_id"]) if args["vault_id"] else None
        if isinstance(vault, str):
            return {**result, "failed": True, "msg": vault}
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        when = store.stamp(now)
        try:
            items = catalog.items(args["facts"], args["database"], when, args["lock_wait_seconds"])
        except catalog.CatalogError as exc:
            return {**result, "failed": True, "msg": str(exc)}

        backup = _Backup(self, host, root, args, items, when, now, vault)
        try:
            outcome = backup.run(self._task.check_mode)
        except BackupFailed as exc:
            outcome = backup.failed(str(exc))
        except AnsibleError as exc:
            if not isinstance(exc, AnsibleConnectionFailure) and "timed out" not in to_text(exc):
                raise
            outcome = backup.failed(f"the connection failed during the backup: {to_text(exc)}")
        return {**result, **outcome}

    def _vault_secret(self, vault_id: str):
        """The loaded vault secret for vault_id, or an error message (checked before anything changes)."""
        secrets = dict(getattr(self._loader._vault, "secrets", None) or [])
        if vault_id not in secrets:
            loaded = ", ".join(sorted(secrets)) or "none"
            return (f"sync_backup_vault_id is {vault_id!r} but no vault secret with that id is loaded (loaded: "
                    f"{loaded}); run with --vault-id {vault_id}@<password file or prompt>")
        return secrets[vault_id]

    def remote(self, name: str, request: dict) -> dict:
        """Run one project script on the host and return its document."""
        try:
            return _script.run(self, name, request)
        except _script.ScriptFailed as exc:
            raise BackupFailed(str(exc)) from None

class _Backup:
    def __init__(self, action: ActionModule, host: str, root: Path, args: dict, items: list[dict], when: str,
                 now: dt.datetime, vault):
        self.action, self.host, self.root, self.args = action, host, root, args
        self.items, self.when, self.now, self.vault = items, when, now, vault
        self.folder = STAGING + when
        self.facts = args["facts"]
        self.plan_doc: dict = {}

    # the whole backup ---------------------------------------------------------------------------------------
    def run(self, check_mode: bool) -> dict:
        plan = self.action.remote("backup-stage", catalog.request("plan", self.folder, self.items))
        if plan.get("error"):
            raise BackupFailed(f"planning the backup failed on the host: {plan['error']}")
        self.plan_doc = plan
        self._require_items(plan, "present")
        stops = self._service_stops(plan)
        reuse = self._reusable(plan)
        if reuse is not None:
            folder, manifest = reuse
            return self._result("unchanged", changed=False, path=str(folder), manifest=manifest, reused=True,
                                plan=[f"reuse the verified backup {folder} ({store.age_hours(manifest, self.now):.1f} h "
                                      "old; the configuration files are unchanged since)"])
        needed = self._needed_bytes(plan)
        self._check_space(plan, needed)
        lines = self._plan_lines(plan)
        if check_mode:
            return self._result("planned", changed=bool(stops), plan=lines, bytes=needed)
        return self._collect(lines, bool(stops))

    def _collect(self, lines: list[str], stops: bool) -> dict:
        local = store.new_backup_dir(self.root, self.host, self.when)
        manifest = self._manifest(local)
        try:
            staged = self.action.remote("backup-stage", catalog.request("collect", self.folder, self.items))
            manifest["service"] = self._service_report(staged)
            if staged.get("error"):
                raise BackupFailed(f"staging the backup failed on the host: {staged['error']}")
            manifest["items"] = self._item_report(staged)
            files = [dict(f, item=i["id"]) for i in self.items
                     for f in (staged["items"].get(i["id"]) or {}).get("files") or []]
            self._require_items(staged, "collected")
            self._fetch(local, files, manifest)
        except BackupFailed as exc:
            manifest.update(status=store.FAILED, cause=str(exc))
        finally:
            self._remove_staging(manifest)
            store.write_manifest(local, manifest)
        if manifest["status"] == store.FAILED:
            return self._result("failed", changed=stops, path=str(local), manifest=manifest, cause=manifest["cause"],
                                plan=lines)
        if self.vault is not None:
            from ansible.parsing.vault import VaultLib

            store.encrypt(local, [f["name"] for f in manifest["files"]], VaultLib(), self.vault, self.args["vault_id"])
            for f in manifest["files"]:
                f["encrypted"] = True
            manifest["vault_id"] = self.args["vault_id"]
            store.write_manifest(local, manifest)
        return self._result("done", changed=stops, path=str(local), manifest=manifest, plan=lines)

    def failed(self, cause: str) -> dict:
        return self._result("failed", changed=False, cause=cause)

    # steps ----------------------------------------------------------------------------------------------------
    def _require_items(self, doc: dict, ok: str) -> None:
        """Every required item must be there; an optional one may be absent or unavailable, never failed."""
        problems = []
        for item in self.items:
            entry = (doc.get("items") or {}).get(item["id"]) or {}
            status = entry.get("status")
            if status == ok:
                continue
            if status == "failed" or item["required"]:
                problems.append(f"{item['id']} ({item['what']}): {status or 'no answer'}"
                                + (f": {entry.get('message')}" if entry.get("message") else ""))
        if problems:
            raise BackupFailed("the backup would be incomplete: " + "; ".join(problems))

    @staticmethod
    def _service_stops(plan: dict) -> list[str]:
        return [e["service"]["name"] for e in (plan.get("items") or {}).values()
                if e.get("service") and e["service"].get("before") == "Running"]

    def _fingerprint(self, doc: dict) -> list:
        """What a reused backup must still match: the configuration files (name, size, time, hash) per item."""
        return [[i["id"], sorted([f["name"], f["size"], f["mtime"], f.get("sha256")]
                                 for f in (doc["items"].get(i["id"]) or {}).get("files") or [])]
                for i in self.items if i["kind"] in ("file", "newest")]

    def _reusable(self, plan: dict):
        young = store.young_backup(self.root, self.host, self.now, self.args["max_age_hours"])
        if young is None:
            return None
        _, manifest = young
        wants_database = any(i["id"] == "database" for i in self.items)
        has_database = bool((manifest.get("database") or {}).get("included"))
        if manifest.get("fingerprint") == self._fingerprint(plan) and (has_database or not wants_database):
            return young
        return None

    def _needed_bytes(self, plan: dict) -> int:
        total = sum(f["size"] for e in plan["items"].values() for f in e.get("files") or [])
        for item in self.items:
            if item["kind"] == "sql_backup":  # the backup's size is not known before it exists: the database's
                total += int((self.facts.get("database") or {}).get("size_mb") or 0) * 1024 * 1024
        return total

    def _check_space(self, plan: dict, needed: int) -> None:
        free = plan.get("free_bytes")
        if isinstance(free, int) and free < needed + MARGIN_BYTES:
            raise BackupFailed(f"not enough free space on the server's system drive for the staging copy: "
                               f"{free:,} bytes free, {needed + MARGIN_BYTES:,} needed")
        existing = next(p for p in (self.root, *self.root.parents) if p.exists())
        controller_free = shutil.disk_usage(existing).free
        if controller_free < needed + MARGIN_BYTES:
            raise BackupFailed(f"not enough free space on the controller under {self.root}: {controller_free:,} "
                               f"bytes free, {needed + MARGIN_BYTES:,} needed")

    def _plan_lines(self, plan: dict) -> list[str]:
        lines = []
        for item in self.items:
            entry = plan["items"].get(item["id"]) or {}
            files = entry.get("files") or []
            size = sum(f["size"] for f in files)
            if entry.get("status") != "present":
                lines.append(f"skip {item['id']}: {entry.get('message')}")
            elif item["kind"] == "offline_copy":
                lines.append(f"stop {item['service']} (sync pauses), copy {', '.join(f['source'] for f in files)} "
                             f"({size:,} bytes), start {item['service']} again")
            elif item["kind"] == "sql_backup":
                lines.append(f"BACKUP DATABASE [{item['database']}] on {item['data_source']} WITH COPY_ONLY to "
                             f"{entry.get('backup_directory')}, then fetch it")
            elif item["kind"] == "registry":
                lines.append(f"export {item['key']} (reg.exe export)")
            elif item["kind"] == "cmdlet":
                lines.append(f"run {item['command']}")
            else:
                lines.append(f"copy {', '.join(f['source'] for f in files)} ({size:,} bytes)")
        return lines

    def _fetch(self, local: Path, files: list[dict], manifest: dict) -> None:
        """Read every staged file in chunks (plugin_utils/_chunked_fetch.py); each file is verified against the
        server's SHA-256."""
        shown = progress.fetch_reporter(self.action._display.display, f"{self.host}: backup", files, str(local))
        try:
            done = chunked_fetch.fetch(self.action.remote, self.folder, local, files, self.args["chunk_bytes"], shown)
        except chunked_fetch.FetchFailed as exc:
            raise BackupFailed(str(exc).replace("the staged files", "the staged backup")
                               .replace("the reader", "the backup reader")) from None
        bad = []
        for f in files:
            digest, size = done[f["name"]]
            verified = digest == f["sha256"] and size == f["size"]
            manifest["files"].append({"name": str(store.local_name(f["name"])), "item": f["item"],
                                      "source": f["source"], "size": f["size"], "mtime": f["mtime"],
                                      "sha256_server": f["sha256"], "sha256_controller": digest,
                                      "verified": verified, "encrypted": False})
            if not verified:
                bad.append(f["name"])
        if bad:
            raise BackupFailed(f"{len(bad)} file(s) differ from what the server hashed (damaged transfer or a file "
                               f"that changed while it was read): {', '.join(bad[:5])}")
        manifest.update(status=store.VERIFIED, cause=None, bytes=sum(f["size"] for f in files))

    def _remove_staging(self, manifest: dict) -> None:
        try:
            removed = self.action.remote("backup-stage", catalog.request("remove", self.folder, []))
            manifest["staging_removed"] = not removed.get("error")
            if removed.get("error"):
                manifest["staging_error"] = removed["error"]
        except (BackupFailed, AnsibleError) as exc:  # the backup's own outcome stands; say what is left behind
            manifest["staging_removed"] = False
            manifest["staging_error"] = f"{self.folder} may remain on the host: {to_text(exc)}"

    # reports ----------------------------------------------------------------------------------------------------
    def _manifest(self, local: Path) -> dict:
        db_item = next((i for i in self.items if i["id"] == "database"), None)
        return {"format": store.FORMAT, "host": self.host, "tool": self.facts.get("tool"),
                "version": self.facts.get("version"), "created_at": self.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "status": store.FAILED, "cause": "the backup did not finish", "server_folder": self.folder,
                "database": {"included": db_item is not None, "kind": db_item["kind"] if db_item else None},
                "items": [], "files": [], "bytes": 0, "fingerprint": self._fingerprint(self.plan_doc),
                "vault_id": None, "engine": _engine_record.from_facts(self.facts)}

    def _item_report(self, staged: dict) -> list[dict]:
        return [{"id": i["id"], "kind": i["kind"], "what": i["what"], "required": i["required"],
                 "status": (staged["items"].get(i["id"]) or {}).get("status"),
                 "message": (staged["items"].get(i["id"]) or {}).get("message")} for i in self.items]

    @staticmethod
    def _service_report(staged: dict) -> dict | None:
        for entry in (staged.get("items") or {}).values():
            service = entry.get("service")
            if service:
                if service.get("before") != service.get("after"):
                    raise BackupFailed(f"the {service['name']} service was {service.get('before')} before the "
                                       f"database copy and is {service.get('after')} now "
                                       f"({entry.get('restart_error') or 'no error reported'}): start it")
                return service
        return None

    def _result(self, status: str, changed: bool, path: str | None = None, manifest: dict | None = None,
                cause: str | None = None, reused: bool = False, plan: list | None = None,
                bytes: int | None = None) -> dict:
        manifest = manifest or {}
        files = manifest.get("files") or []
        result = {
            "changed": changed, "status": status, "cause": cause, "path": path,
            "manifest": f"{path}/{store.MANIFEST}" if path else None,
            "created_at": manifest.get("created_at"), "reused": reused, "plan": plan or [],
            "files": len(files), "bytes": bytes if bytes is not None else sum(f["size"] for f in files),
            "database": any(i["id"] == "database" for i in self.items),
            "service": manifest.get("service"), "encrypted": bool(manifest.get("vault_id")),
        }
        if status == "failed":
            result["msg"] = cause
        return result
