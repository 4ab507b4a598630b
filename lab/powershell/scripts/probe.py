"""The lab's side of plugins/plugin_utils/powershell/probe.ps1: the same primitives, answered from a twin.

The request is read the way PowerShell evaluates it (lab/powershell/psliteral.py), never with the
controller's code, so a wrong path in the evidence catalog fails here as it would on Windows. The answer is
the document the real probe prints: the same keys, keys sorted ordinally, json.dumps(ensure_ascii) escaping.
Whatever the lab cannot answer gets an item error "lab: not simulated: ..." (never an invented success).

Rules that stand in for Windows behaviour:
- SQL: the data source is built from the Parameters key as the probe builds it and must name an instance in
  the twin's `sql.instances` ('.', '(local)', 'localhost' and the host name are this computer) whose service,
  if it has one, is running. LocalDB needs the SqlClient of .NET 4.0.2+: it fails with SqlClient 2.0's
  "error 26" when the host's PowerShell runs on CLR 2 (PowerShell 2.0) or .NET 4.5 is missing (Release <
  378389). Full SQL and SQL Express answer either SqlClient. Queries the lab knows: COUNT_BIG(*) of a table,
  the database size from sys.database_files, SERVERPROPERTY('Edition'); any other is not simulated.
- Cmdlets: the module imports if its file exists and PowerShell is 3.0+ (the ADSync module needs CLR 4).
  Get-ADSyncScheduler exists when the twin's scheduler is the cmdlet's (no `source`), Get-ADSyncAutoUpgrade
  when `sync.auto_upgrade` is set, Get-ADSyncConnector when `sync.connectors` is; they fail while the ADSync
  service is not running. Any other cmdlet is not simulated.
- WMI: classes from Twin.wmi_instances, in the namespace each instance's __NAMESPACE names (root\\cimv2 for
  the derived ones). Filters: `Prop = 'text'` / `Prop = number` joined by AND; anything else is not simulated.
"""

from __future__ import annotations

import json
import re

from ...modules._regvalue import stored
from ...twin.filesystem import FileSystemError
from ...twin.registry import RegistryError, normalize
from .. import psliteral
from ..result import Result, not_simulated

MARKER = re.compile(r"^\s*#\s*entra-sync-upgrade:probe\s+v(?P<version>\d+)", re.M)
SECTIONS = ("environment", "registry", "registry_children", "services", "files", "text_files", "wmi", "sql",
            "cmdlets")
PS_HIVES = {"HKLM", "HKCU", "HKCR", "HKU"}  # what the probe's Open-ProbeRegistryKey maps
SERVICE_STATE = {"running": "Running", "stopped": "Stopped", "paused": "Paused"}
START_MODE = {"auto": "Auto", "delayed": "Auto", "manual": "Manual", "disabled": "Disabled"}
NDP4_FULL = r"HKLM\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full"
DOTNET_45 = 378389
SQL_NOT_FOUND = ("A network-related or instance-specific error occurred while establishing a connection to SQL "
                 "Server. The server was not found or was not accessible. Verify that the instance name is "
                 "correct and that SQL Server is configured to allow remote connections. (provider: SQL Network "
                 "Interfaces, error: 26 - Error Locating Server/Instance Specified)")
SQL_COUNT = re.compile(r"SELECT COUNT_BIG\(\*\) FROM (?:dbo\.)?\[?(?P<table>\w+)\]?(?: WITH \(NOLOCK\))?", re.I)
SQL_SIZE = re.compile(r"SELECT SUM\(CAST\(size AS BIGINT\)\) \* 8 / 1024 FROM sys\.database_files", re.I)
SQL_EDITION = re.compile(r"SELECT CAST\(SERVERPROPERTY\('Edition'\) AS NVARCHAR\(128\)\)", re.I)


class ItemError(Exception):
    """One item failed; its message goes to the item and to `errors`, as the probe's catch blocks do."""


def run(twin, script: str, stdin: bytes) -> Result:
    marker = MARKER.search(script)
    if not marker or marker.group("version") != "1":
        return not_simulated("probe script of another version")
    try:
        request = psliteral.parse_assignment(script, "request")
    except ValueError as exc:
        return not_simulated(f"probe request: {exc}")
    doc = _Probe(twin).run(request if isinstance(request, dict) else None)
    return Result(dumps(doc).encode("ascii") + b"\r\n")


def dumps(doc: dict) -> str:
    """The probe's JSON writer, in Python: ordinal key order, no spaces, ASCII only."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


# PowerShell hashtables ignore the case of keys: the first spelling stays, a later one overwrites the value
def _put(table: dict, key: str, value) -> None:
    for existing in table:
        if existing.lower() == key.lower():
            table[existing] = value
            return
    table[key] = value


def _get(table, key: str):
    if not isinstance(table, dict):
        return None
    return next((v for k, v in table.items() if k.lower() == key.lower()), None)


def _items(value) -> list:
    """What `foreach` walks: nothing for $null, the elements of an array, else the value itself."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _text(value) -> str:
    """[string]$x: $null is ''."""
    return "" if value is None else str(value)


def _lab(what: str) -> ItemError:
    return ItemError(f"lab: not simulated: {what}")


class _Probe:
    def __init__(self, twin):
        self.twin = twin
        self.errors: list[dict] = []
        self.sql_targets: dict[str, dict] = {}

    def error(self, section: str, item: str, message: str) -> str:
        self.errors.append({"section": section, "item": item, "message": message})
        return message

    def run(self, request: dict | None) -> dict:
        out = {"probe": 1, "host": {}, "environment": {}, "registry": {}, "registry_children": {}, "services": {},
               "files": {}, "text_files": {}, "wmi": {}, "sql": {}, "cmdlets": None, "errors": self.errors}
        if request is None:
            self.error("request", "", "no $request hashtable above the probe body")
            request = {}
        for name in sorted(k for k in request if k.lower() not in SECTIONS):
            self.error("request", name, "unknown request section")
        out["host"] = {"computer_name": self.twin.state["hostname"],
                       "powershell_version": self.twin.powershell_version, "process_64bit": True}
        env = self.twin.environment()
        for name in _items(_get(request, "environment")):
            _put(out["environment"], _text(name), env.get(_text(name).upper()))
        for section in SECTIONS[1:-1]:
            handler = getattr(self, "_" + section)
            for item in _items(_get(request, section)):
                handler(out[section], item)
        if _get(request, "cmdlets") is not None:
            out["cmdlets"] = self._cmdlets(_get(request, "cmdlets"))
        return out

    # registry ----------------------------------------------------------------------------------------------
    def _open(self, path: str) -> str | None:
        """The normalized key path, None when the key does not exist."""
        try:
            norm = normalize(path)
        except RegistryError:
            raise ItemError(f"not a registry path: {path}") from None
        if norm.split("\\")[0] not in PS_HIVES:
            raise ItemError(f"not a registry path: {path}")
        return norm if self.twin.registry.key_exists(norm) else None

    def _values(self, key: str, names) -> dict:
        present = {v["name"].lower(): v for v in self.twin.registry.values(key).values()}
        wanted = [v["name"] for v in present.values()] if names is None else [_text(n) for n in _items(names)]
        out: dict = {}
        for name in wanted:
            value = present.get(name.lower())
            if value is not None:
                _put(out, value["name"], {"type": value["type"], "data": stored(value)})
        return out

    def _registry(self, section: dict, item) -> None:
        path = _text(_get(item, "path"))
        try:
            key = self._open(path)
            entry: dict = {"exists": False}
            if key is not None:
                entry = {"exists": True, "values": self._values(key, _get(item, "values"))}
                if _get(item, "subkeys"):
                    entry["subkeys"] = sorted(self.twin.registry.subkeys(key))
        except ItemError as exc:
            entry = {"error": self.error("registry", path, str(exc))}
        _put(section, path, entry)

    def _registry_children(self, section: dict, item) -> None:
        path = _text(_get(item, "path"))
        try:
            key = self._open(path)
            entry: dict = {"exists": False}
            if key is not None:
                children: dict = {}
                for name in sorted(self.twin.registry.subkeys(key)):
                    _put(children, name, {"values": self._values(key + "\\" + name, _get(item, "values"))})
                entry = {"exists": True, "children": children}
        except ItemError as exc:
            entry = {"error": self.error("registry_children", path, str(exc))}
        _put(section, path, entry)

    # services, files ---------------------------------------------------------------------------------------
    def _services(self, section: dict, name) -> None:
        svc = self.twin.services.data.get(_text(name).lower())  # Win32_Service.Name, not the display name
        if svc is None:
            _put(section, _text(name), {"exists": False})
            return
        _put(section, _text(name), {
            "exists": True, "name": svc["name"], "display_name": svc["display_name"],
            "state": SERVICE_STATE[svc["state"]], "start_mode": START_MODE[svc["start_mode"]],
            "account": svc["username"], "path": svc["path"]})

    def _file(self, path: str) -> dict | None:
        try:
            return self.twin.files.get(self.twin.expand_env(path))
        except FileSystemError:
            raise _lab(f"relative or malformed file path {path}") from None

    def _files(self, section: dict, path) -> None:
        path = _text(path)
        try:
            f = self._file(path)
            if f is None:
                entry: dict = {"exists": False}
            elif f["type"] == "dir":
                entry = {"exists": True, "type": "dir", "size": None, "version": None}
            else:
                entry = {"exists": True, "type": "file", "size": int(f.get("size", 0)),
                         "version": (f.get("version") or "").strip() or None}
        except ItemError as exc:
            entry = {"error": self.error("files", path, str(exc))}
        _put(section, path, entry)

    def _text_files(self, section: dict, item) -> None:
        path = _text(_get(item, "path"))
        try:
            f = self._file(path)
            if f is None or f["type"] == "dir":  # Test-Path -PathType Leaf
                entry: dict = {"exists": False}
            else:
                size = int(f.get("size", 0))
                if size > int(_get(item, "max_bytes") or 0):
                    entry = {"exists": True, "size": size, "text": None, "truncated": True}
                else:
                    raw = self.twin.files.read(self.twin.expand_env(path))
                    entry = {"exists": True, "size": size, "text": _read_all_text(raw), "truncated": False}
        except ItemError as exc:
            entry = {"error": self.error("text_files", path, str(exc))}
        _put(section, path, entry)

    # WMI ---------------------------------------------------------------------------------------------------
    def _wmi(self, section: dict, item) -> None:
        wmi_id = _text(_get(item, "id"))
        try:
            entry = self._wmi_query(_text(_get(item, "namespace")), _text(_get(item, "class")),
                                    [_text(p) for p in _items(_get(item, "properties"))], _get(item, "filter"))
        except ItemError as exc:
            entry = {"error": self.error("wmi", wmi_id, str(exc))}
        _put(section, wmi_id, entry)

    def _wmi_query(self, namespace: str, cls: str, properties: list[str], flt) -> dict:
        if not properties:
            raise _lab(f"WMI query of {cls} without properties")
        instances = self.twin.wmi_instances(cls)
        if instances is None:
            return {"exists": False, "instances": []}  # Invalid class / Invalid namespace
        here = [i for i in instances if i.get("__NAMESPACE", "root\\cimv2").lower() == namespace.lower()]
        if instances and not here:
            return {"exists": False, "instances": []}
        conditions = _wql_filter(self.twin.expand_env(_text(flt))) if flt else []
        out = []
        for inst in here:
            if not all(_wql_match(inst, cls, prop, want) for prop, want in conditions):
                continue
            record = {}
            for prop in properties:
                key = next((k for k in inst if k.lower() == prop.lower()), None)
                if key is None:
                    raise _lab(f"WMI property {cls}.{prop}")
                _put(record, prop, inst[key])
            out.append(record)
        return {"exists": True, "instances": out}

    # SQL ---------------------------------------------------------------------------------------------------
    def _sql(self, section: dict, item) -> None:
        sql_id = _text(_get(item, "id"))
        entry: dict = {"key_exists": False, "data_source": None, "database": None, "value": None}
        try:
            text = _text(_get(item, "query"))
            if not re.match(r"\s*SELECT\s", text, re.I) or ";" in text:
                raise ItemError("refused: the probe runs a single SELECT only")
            target = self._sql_target(_text(_get(item, "parameters_key")))
            entry.update(key_exists=target["key_exists"], data_source=target["data_source"],
                         database=target["database"])
            if target["error"]:
                raise ItemError(target["error"])
            if target["db"] is not None:
                entry["value"] = self._sql_query(target, " ".join(text.split()))
        except ItemError as exc:
            entry["error"] = self.error("sql", sql_id, str(exc))
        _put(section, sql_id, entry)

    def _sql_target(self, key_path: str) -> dict:
        if key_path.lower() in self.sql_targets:
            return self.sql_targets[key_path.lower()]
        target = {"key_exists": False, "data_source": None, "database": None, "error": None, "db": None,
                  "instance": None}
        self.sql_targets[key_path.lower()] = target
        try:
            key = self._open(key_path)
            if key is not None:
                target["key_exists"] = True
                server, instance, database = (self._reg_text(key, n) for n in ("Server", "SQLInstance", "DBName"))
                server = server or "."  # '' is this computer
                source = server + ("\\" + instance if instance else "")
                target["data_source"] = source
                if not database:
                    raise ItemError(f"no DBName value in {key_path}")
                target["database"] = database
                target["instance"], target["db"] = self._sql_connect(source, database)
        except ItemError as exc:
            target["error"] = str(exc)
        return target

    def _reg_text(self, key: str, name: str) -> str:
        """[string]$key.GetValue(name): '' when the value is missing."""
        value = self.twin.registry.get_value(key, name)
        return "" if value is None else _text(stored(value))

    def _sql_connect(self, source: str, database: str) -> tuple[dict, dict]:
        here = {".", "(local)", "localhost", self.twin.state["hostname"].lower()}

        def canonical(ds: str) -> str:
            server, sep, rest = ds.partition("\\")
            return (("." if server.lower() in here else server) + sep + rest).lower()

        sql = self.twin.state.get("sql") or {}
        name = next((k for k in (sql.get("instances") or {}) if canonical(k) == canonical(source)), None)
        if canonical(source).startswith("(localdb)\\") and not self._sqlclient_knows_localdb():
            raise ItemError(SQL_NOT_FOUND)
        if name is None:
            raise ItemError(SQL_NOT_FOUND)
        instance = sql["instances"][name]
        service = instance.get("service")
        if service and (self.twin.services.get(service) or {}).get("state") != "running":
            raise ItemError(SQL_NOT_FOUND)
        db = next((d for d in sql.get("databases") or [] if canonical(d.get("instance", "")) == canonical(name)
                   and str(d.get("name", "")).lower() == database.lower()), None)
        if db is None:
            raise ItemError(f'Cannot open database "{database}" requested by the login. The login failed.')
        return instance, db

    def _sqlclient_knows_localdb(self) -> bool:
        release = self.twin.registry.get_value(NDP4_FULL, "Release")
        return self.twin.powershell_at_least("3.0") and release is not None and int(release["data"]) >= DOTNET_45

    @staticmethod
    def _sql_query(target: dict, text: str):
        db, instance = target["db"], target["instance"]
        if m := SQL_COUNT.fullmatch(text):
            tables = db.get("tables") or {}
            table = next((t for t in tables if t.lower() == m.group("table").lower()), None)
            if table is None:
                raise ItemError(f"Invalid object name 'dbo.{m.group('table')}'.")
            return int(tables[table])
        if SQL_SIZE.fullmatch(text) and "size_mb" in db:
            return int(db["size_mb"])
        if SQL_EDITION.fullmatch(text) and "edition" in instance:
            return str(instance["edition"])
        raise _lab(f"SQL query {text[:100]}")

    # ADSync cmdlets ----------------------------------------------------------------------------------------
    def _cmdlets(self, spec) -> dict:
        module = _text(_get(spec, "module"))
        entry = {"module": module, "module_exists": False, "imported": False, "results": {}}
        try:
            entry["module_exists"] = self._file(module) is not None
            if entry["module_exists"]:
                if not self.twin.powershell_at_least("3.0"):
                    raise ItemError("This assembly is built by a runtime newer than the currently loaded runtime "
                                    "and cannot be loaded.")
                if not (self.twin.state.get("sync") or {}).get("module"):
                    raise _lab(f"module file {module} without a sync engine module in the twin")
                entry["imported"] = True
        except ItemError as exc:
            self.error("cmdlets", module, str(exc))
        if not entry["imported"]:
            return entry
        for command in _items(_get(spec, "commands")):
            cmd_id, name = _text(_get(command, "id")), _text(_get(command, "name"))
            result: dict = {"available": False, "objects": None}
            try:
                if not re.fullmatch(r"Get-[A-Za-z0-9]+", name, re.I):
                    raise ItemError(f"refused: {name} is not a Get- command")
                if self._cmdlet_exists(name):  # Get-Command finds it
                    result["available"] = True
                    objects = self._cmdlet_objects(name)
                    result["objects"] = [self._cmdlet_record(name, o, _get(command, "properties")) for o in objects]
            except ItemError as exc:
                result["error"] = self.error("cmdlets", cmd_id, str(exc))
            _put(entry["results"], cmd_id, result)
        return entry

    def _cmdlet_table(self, name: str) -> tuple[bool, list]:
        """(this build of the module has the cmdlet, what it returns)."""
        sync = self.twin.state.get("sync") or {}
        scheduler = sync.get("scheduler")
        table = {
            "get-adsyncscheduler": (isinstance(scheduler, dict) and "source" not in scheduler, [scheduler]),
            "get-adsyncautoupgrade": (sync.get("auto_upgrade") is not None, [sync.get("auto_upgrade")]),
            "get-adsyncconnector": (sync.get("connectors") is not None, list(sync.get("connectors") or [])),
        }
        if name.lower() not in table:
            raise _lab(f"cmdlet {name}")
        return table[name.lower()]

    def _cmdlet_exists(self, name: str) -> bool:
        return self._cmdlet_table(name)[0]

    def _cmdlet_objects(self, name: str) -> list:
        if (self.twin.services.get("ADSync") or {}).get("state") != "running":
            # UNCONFIRMED: the exact text the ADSync cmdlets print when the service is down
            raise ItemError(f"{name}: the Microsoft Azure AD Sync service (ADSync) is not running.")
        return self._cmdlet_table(name)[1]

    @staticmethod
    def _cmdlet_record(name: str, obj, properties):
        if properties is None:
            if isinstance(obj, (dict, list)):
                raise _lab(f"{name} output without a property list")
            return obj
        record: dict = {}
        for prop in _items(properties):
            key = next((k for k in obj if k.lower() == _text(prop).lower()), None) if isinstance(obj, dict) else None
            if key is None:
                raise _lab(f"property {prop} of {name}")
            _put(record, _text(prop), obj[key])
        return record


def _read_all_text(raw: bytes) -> str:
    """[System.IO.File]::ReadAllText: the BOM decides the encoding, else UTF-8."""
    for bom, codec in ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"),
                       (b"\xfe\xff", "utf-16-be")):
        if raw.startswith(bom):
            return raw[len(bom):].decode(codec, "replace")
    return raw.decode("utf-8", "replace")


_WQL_TERM = re.compile(r"\s*(?P<prop>\w+)\s*=\s*(?:'(?P<text>[^']*)'|(?P<num>-?\d+))\s*")


def _wql_filter(text: str) -> list[tuple[str, object]]:
    conditions = []
    for part in re.split(r"\s+AND\s+", text.strip(), flags=re.I):
        m = _WQL_TERM.fullmatch(part)
        if not m:
            raise _lab(f"WQL filter {text}")
        conditions.append((m.group("prop"), m.group("text") if m.group("num") is None else int(m.group("num"))))
    return conditions


def _wql_match(inst: dict, cls: str, prop: str, want) -> bool:
    key = next((k for k in inst if k.lower() == prop.lower()), None)
    if key is None:
        raise _lab(f"WMI property {cls}.{prop} in a filter")
    have = inst[key]
    if isinstance(want, str):
        return str(have).lower() == want.lower()  # WQL string comparison ignores case
    return have == want
