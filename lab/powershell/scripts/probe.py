"""The lab's side of plugins/plugin_utils/powershell/probe.ps1: the same primitives, answered from a twin.

The request is read the way PowerShell evaluates it (lab/powershell/psliteral.py), never with the
controller's code, so a wrong path in the evidence catalog fails here as it would on Windows. The answer is
the document the real probe prints: the same keys, keys sorted ordinally, json.dumps(ensure_ascii) escaping.
This file only translates the script's steps; what Windows, SQL Server and the ADSync module do is the twin's
(lab/twin/: registry, files, services, wmi, sql, syncengine). Whatever the twin cannot answer becomes an item
error "lab: not simulated: ..." (never an invented success).

What the script itself does, and so the lab does here: it builds the SQL data source from the sync service's
Parameters key (Server, then SQLInstance), connects with the SqlClient of the CLR its PowerShell runs on, and
runs one SELECT; it imports the ADSync module only when the module file exists and runs only Get- commands;
WMI filters are `Prop = 'text'` / `Prop = number` joined by AND (anything else is not simulated).
"""

from __future__ import annotations

import re

from ...twin.environment import expand
from ...twin.errors import NotSimulated
from ...twin.filesystem import FileSystemError
from ...twin.registry import RegistryError, dotnet_value, normalize
from ...twin.sql import SqlError
from ...twin.syncengine import CmdletError
from ..result import Result
from . import _request

SECTIONS = ("environment", "registry", "registry_children", "services", "files", "text_files", "wmi", "sql",
            "cmdlets")
PS_HIVES = {"HKLM", "HKCU", "HKCR", "HKU"}  # what the probe's Open-ProbeRegistryKey maps
SERVICE_STATE = {"running": "Running", "stopped": "Stopped", "paused": "Paused"}
START_MODE = {"auto": "Auto", "delayed": "Auto", "manual": "Manual", "disabled": "Disabled", "boot": "Boot",
              "system": "System"}


class ItemError(Exception):
    """One item failed; its message goes to the item and to `errors`, as the probe's catch blocks do."""


def run(twin, script: str, stdin: bytes, environment: dict | None = None) -> Result:
    request, refused = _request.read(script, "probe")
    if refused:
        return refused
    environment = twin.environment() if environment is None else environment
    return _request.answer(_Probe(twin, environment).run(request if isinstance(request, dict) else None))


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
    def __init__(self, twin, environment: dict):
        self.twin = twin
        self.env = environment
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
        for name in _items(_get(request, "environment")):
            _put(out["environment"], _text(name), self.env.get(_text(name).upper()))
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
        reg, out = self.twin.registry, {}
        if names is None:  # GetValueNames(): every value
            found = list(reg.values(key).values())
        else:
            found = [v for v in (reg.get_value(key, _text(n)) for n in _items(names)) if v is not None]
        for value in found:
            _put(out, value["name"], {"type": value["type"], "data": dotnet_value(value)})
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
        except (ItemError, NotSimulated) as exc:
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
        except (ItemError, NotSimulated) as exc:
            entry = {"error": self.error("registry_children", path, str(exc))}
        _put(section, path, entry)

    # services, files ---------------------------------------------------------------------------------------
    def _services(self, section: dict, name) -> None:
        try:
            svc = self.twin.services.get(_text(name))  # Win32_Service.Name, not the display name
        except NotSimulated as exc:
            _put(section, _text(name), {"error": self.error("services", _text(name), str(exc))})
            return
        if svc is None:
            _put(section, _text(name), {"exists": False})
            return
        _put(section, _text(name), {
            "exists": True, "name": svc.name, "display_name": svc.display_name,
            "state": SERVICE_STATE[svc.state], "start_mode": START_MODE.get(svc.start_mode, "Manual"),
            "account": svc.username, "path": svc.path})

    def _file(self, path: str) -> dict | None:
        try:
            return self.twin.files.get(expand(path, self.env))
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
        except (ItemError, NotSimulated) as exc:
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
                    raw = self.twin.files.read(expand(path, self.env))
                    entry = {"exists": True, "size": size, "text": _read_all_text(raw), "truncated": False}
        except (ItemError, NotSimulated) as exc:
            entry = {"error": self.error("text_files", path, str(exc))}
        _put(section, path, entry)

    # WMI ---------------------------------------------------------------------------------------------------
    def _wmi(self, section: dict, item) -> None:
        wmi_id = _text(_get(item, "id"))
        try:
            entry = self._wmi_query(_text(_get(item, "namespace")), _text(_get(item, "class")),
                                    [_text(p) for p in _items(_get(item, "properties"))], _get(item, "filter"))
        except (ItemError, NotSimulated) as exc:
            entry = {"error": self.error("wmi", wmi_id, str(exc))}
        _put(section, wmi_id, entry)

    def _wmi_query(self, namespace: str, cls: str, properties: list[str], flt) -> dict:
        if not properties:
            raise _lab(f"WMI query of {cls} without properties")
        instances = self.twin.wmi.instances(namespace, cls)
        if instances is None:
            return {"exists": False, "instances": []}  # Invalid class / Invalid namespace
        conditions = _wql_filter(expand(_text(flt), self.env)) if flt else []
        out = []
        for inst in instances:
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
            if target["connection"] is not None:
                entry["value"] = target["connection"].scalar(text)
        except (ItemError, NotSimulated, SqlError) as exc:
            entry["error"] = self.error("sql", sql_id, str(exc))
        _put(section, sql_id, entry)

    def _sql_target(self, key_path: str) -> dict:
        """Connect once per Parameters key, as the script caches its connection."""
        if key_path.lower() in self.sql_targets:
            return self.sql_targets[key_path.lower()]
        target = {"key_exists": False, "data_source": None, "database": None, "error": None, "connection": None}
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
                target["connection"] = self.twin.sql.connect(source, database, self.twin.powershell_clr,
                                                             self.env.get("USERNAME"))
        except (ItemError, NotSimulated, SqlError) as exc:
            target["error"] = str(exc)
        return target

    def _reg_text(self, key: str, name: str) -> str:
        """[string]$key.GetValue(name): '' when the value is missing."""
        value = self.twin.registry.get_value(key, name)
        return "" if value is None else _text(dotnet_value(value))

    # ADSync cmdlets ----------------------------------------------------------------------------------------
    def _cmdlets(self, spec) -> dict:
        module = _text(_get(spec, "module"))
        entry = {"module": module, "module_exists": False, "imported": False, "results": {}}
        try:
            entry["module_exists"] = self._file(module) is not None
            if entry["module_exists"]:
                self.twin.adsync.import_module(self.twin.powershell_clr)
                entry["imported"] = True
        except (ItemError, NotSimulated, CmdletError) as exc:
            self.error("cmdlets", module, str(exc))
        if not entry["imported"]:
            return entry
        for command in _items(_get(spec, "commands")):
            cmd_id, name = _text(_get(command, "id")), _text(_get(command, "name"))
            result: dict = {"available": False, "objects": None}
            try:
                if not re.fullmatch(r"Get-[A-Za-z0-9]+", name, re.I):
                    raise ItemError(f"refused: {name} is not a Get- command")
                if self.twin.adsync.has_cmdlet(name):  # Get-Command finds it
                    result["available"] = True
                    objects = self.twin.adsync.invoke(name, self.env.get("USERNAME"))
                    result["objects"] = [self._cmdlet_record(name, o, _get(command, "properties")) for o in objects]
            except (ItemError, NotSimulated, CmdletError) as exc:
                result["error"] = self.error("cmdlets", cmd_id, str(exc))
            _put(entry["results"], cmd_id, result)
        return entry

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
