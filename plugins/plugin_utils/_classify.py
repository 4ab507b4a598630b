# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Evidence (the probe's JSON document) -> the `sync` facts documented in plugins/modules/sync_facts.py.

Never raises, and never guesses: missing evidence gives "unknown" (None for numbers and booleans) and a
warning; garbled or impossible evidence (a count that is not a non-negative integer, a version that is not a
Windows file version of at most four numeric parts, a .NET Release that is not a number, a management agent
without a type) gives "unknown" and a warning naming the value; contradictory evidence gives the more specific
answer and a warning. A probe that ran in a 32-bit PowerShell saw redirected folders and registry views, so
it cannot prove that no sync tool is installed. Which product is on the server, in order:
  connect        the Connect wizard (Azure AD Connect key, AzureADConnect.exe, its Programs and Features entry)
  aadsync        the ADSync engine without the wizard, engine version 1.0.4xx
  dirsync        the DirSync Programs and Features entry or its DirSyncConfigShell.psc1
  mim_connector  FIMSynchronizationService with the Azure AD connector for FIM and an Extensible2 agent
  none           none of these, with enough evidence to say so; otherwise unknown
"""

from __future__ import annotations

import json
import re

from . import _evidence as ev

UNKNOWN = "unknown"
DOTNET_RELEASES = {  # exact Release values -> version (learn.microsoft.com .NET Framework version table)
    378389: "4.5", 378675: "4.5.1", 378758: "4.5.1", 379893: "4.5.2", 393295: "4.6", 393297: "4.6",
    394254: "4.6.1", 394271: "4.6.1", 394802: "4.6.2", 394806: "4.6.2", 460798: "4.7", 460805: "4.7",
    461308: "4.7.1", 461310: "4.7.1", 461808: "4.7.2", 461814: "4.7.2", 528040: "4.8", 528049: "4.8",
    528372: "4.8", 528449: "4.8", 533320: "4.8.1", 533325: "4.8.1",
}
CONNECT_NAME = re.compile(r"Microsoft (Azure AD|Entra) Connect( Sync)?", re.I)  # the wizard's entry
ENGINE_NAME = re.compile(r"Microsoft (Azure AD Sync|(Azure AD|Entra) Connect synchronization services)", re.I)
AADSYNC_VERSION = re.compile(r"1\.0\.4\d\d\.")
DIRSYNC_NAMES = {"windows azure active directory sync tool", "microsoft online services directory synchronization tool"}
DIRSYNC_SUBKEY = "microsoft online directory sync"
MIM_NAME = re.compile(r"(Microsoft Identity Manager|Forefront Identity Manager).*Synchroni[sz]ation Service", re.I)
AZURE_CONNECTOR_NAME = re.compile(r"Azure Active Directory Connector for FIM", re.I)
CORE_SKUS = {12, 13, 14, 29, 39, 40, 41, 43, 44, 45, 46, 63}  # *_SERVER_CORE editions of the 2008 era
DC_ROLES = {4, 5}
START_MODES = {"auto": "auto", "manual": "manual", "disabled": "disabled", "boot": "auto", "system": "auto"}


def _lower_keys(table) -> dict:
    return {str(k).lower(): v for k, v in table.items()} if isinstance(table, dict) else {}


def _str(value) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _int(value) -> int | None:
    """A non-negative integer (an int, or text of digits); anything else, None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _count(value, what: str, warnings: list[str]) -> int | None:
    """A count, or None with a warning naming the value when it is there but not a non-negative integer."""
    number = _int(value)
    if number is None and value is not None and value != "":
        warnings.append(f"{what} {value!r} is not a non-negative integer: taken as unknown")
    return number


class Evidence:
    """Read-only access to the probe document; malformed or missing parts read as None, never raise."""

    def __init__(self, doc):
        self.doc = doc if isinstance(doc, dict) else {}

    def section(self, name: str) -> dict:
        value = self.doc.get(name)
        return _lower_keys(value)

    def entry(self, section: str, name: str) -> dict | None:
        value = self.section(section).get(name.lower())
        return value if isinstance(value, dict) else None

    def key_exists(self, path: str) -> bool | None:
        """True/False when the probe read the key, None when it was not read or failed."""
        entry = self.entry("registry", path)
        return entry.get("exists") if entry and isinstance(entry.get("exists"), bool) else None

    def values(self, path: str) -> dict:
        entry = self.entry("registry", path) or {}
        return {k: (v.get("data") if isinstance(v, dict) else None) for k, v in _lower_keys(entry.get("values")).items()}

    def value(self, path: str, name: str):
        return self.values(path).get(name.lower())

    def value_type(self, path: str, name: str) -> str | None:
        entry = self.entry("registry", path) or {}
        value = _lower_keys(entry.get("values")).get(name.lower())
        return value.get("type") if isinstance(value, dict) else None

    def uninstall(self) -> list[tuple[str, dict]]:
        """(subkey, {lower value name: data}) for every Programs and Features entry, both registry views."""
        out = []
        for parent in (ev.UNINSTALL, ev.UNINSTALL_WOW):
            entry = self.entry("registry_children", parent) or {}
            children = entry.get("children") if isinstance(entry.get("children"), dict) else {}
            for name, child in children.items():
                values = _lower_keys(child.get("values")) if isinstance(child, dict) else {}
                out.append((str(name), {k: (v.get("data") if isinstance(v, dict) else None) for k, v in values.items()}))
        return out

    def uninstall_read(self) -> bool:
        entry = self.entry("registry_children", ev.UNINSTALL)
        return bool(entry) and entry.get("exists") is True

    def service(self, name: str) -> dict | None:
        entry = self.entry("services", name)
        return entry if entry and entry.get("exists") is True else None

    def service_read(self, name: str) -> bool:
        entry = self.entry("services", name)
        return bool(entry) and isinstance(entry.get("exists"), bool)

    def file(self, path: str) -> dict | None:
        entry = self.entry("files", path)
        return entry if entry and entry.get("exists") is True else None

    def file_version(self, path: str) -> str | None:
        return _str((self.file(path) or {}).get("version"))

    def text(self, path: str) -> str | None:
        entry = self.entry("text_files", path) or {}
        return entry.get("text") if isinstance(entry.get("text"), str) else None

    def wmi(self, wmi_id: str) -> list[dict] | None:
        """Instances (lower-case property names); [] when the class is absent; None when not read."""
        entry = self.entry("wmi", wmi_id)
        if not entry or not isinstance(entry.get("instances"), list):
            return None
        return [_lower_keys(i) for i in entry["instances"] if isinstance(i, dict)]

    def wmi_first(self, wmi_id: str) -> dict:
        return (self.wmi(wmi_id) or [{}])[0]

    def sql(self, source: str, query: str):
        entry = self.entry("sql", ev.sql_id(source, query)) or {}
        return entry.get("value")

    def sql_error(self, source: str, query: str) -> str | None:
        entry = self.entry("sql", ev.sql_id(source, query)) or {}
        return _str(entry.get("error"))

    def cmdlet(self, cmd_id: str) -> list | None:
        """The cmdlet's output objects, None when it was not available or failed."""
        cmdlets = self.doc.get("cmdlets") if isinstance(self.doc.get("cmdlets"), dict) else {}
        result = _lower_keys(cmdlets.get("results")).get(cmd_id.lower())
        if not isinstance(result, dict) or not result.get("available") or "error" in result:
            return None
        return result.get("objects") if isinstance(result.get("objects"), list) else None

    def env(self, name: str) -> str | None:
        return _str(self.section("environment").get(name.lower()))

    def errors(self) -> list[str]:
        out: list[str] = []
        errors = self.doc.get("errors")
        for err in errors if isinstance(errors, list) else []:
            if isinstance(err, dict):
                line = f"{err.get('section', '?')} {err.get('item', '')}: {err.get('message', '')}".replace(" :", ":")
            else:
                line = str(err)
            if line not in out:
                out.append(line)
        return out


def classify(evidence) -> dict:
    """The `sync` facts for one host from its probe evidence."""
    e = Evidence(evidence)
    warnings: list[str] = []
    if not isinstance(evidence, dict) or not e.section("registry"):
        warnings.append("no registry evidence: the probe returned nothing usable")
    product = _product(e, warnings)
    tool = product["tool"]
    facts = {
        "computer_name": _str(e.section("host").get("computer_name")) or UNKNOWN,
        "tool": tool,
        "product": product["product"],
        "version": product["version"],
        "install_path": product["install_path"],
        "services": _services(e),
        **_database(e, tool, warnings),
        "staging_mode": None,
        "scheduler": {"enabled": None, "suspended": None, "interval": None, "source": UNKNOWN},
        "auto_upgrade": UNKNOWN,
        "connectors": [],
        "os": _os(e, warnings),
        "powershell_version": _powershell(e, warnings),
        "dotnet": _dotnet(e, warnings),
        "tls12": _tls12(e, warnings),
        **_pending_reboot(e, warnings),
        "system_drive": _system_drive(e, warnings),
        "wizard": _wizard(e),
        "unfinished_upgrade": _unfinished_upgrade(e),
        "deployment": _deployment(e, warnings),
        "warnings": warnings,
        "evidence_errors": e.errors(),
    }
    facts.update(_engine_state(e, tool, warnings))
    facts["tenant"] = _tenant(tool, facts["connectors"], warnings)
    if e.section("host").get("process_64bit") is False:
        warnings.append("the probe ran in a 32-bit PowerShell: Program Files, System32 and the registry were "
                        "redirected to their 32-bit views")
        if tool == "none":  # what it could not see may still be there
            facts.update(tool=UNKNOWN, product=UNKNOWN, version=UNKNOWN, install_path=UNKNOWN)
            warnings.append("no sync tool seen from a 32-bit process, which cannot see the 64-bit install: unknown")
    if e.doc.get("probe") not in (None, 1):
        warnings.append(f"probe document version {e.doc.get('probe')!r} is not 1: read as version 1")
    return facts


# ---- which product --------------------------------------------------------------------------------------------

FILE_VERSION = re.compile(r"\d{1,5}(\.\d{1,5}){1,3}")  # a Windows file version: 2 to 4 parts of 0..65535


def _version(text: str | None) -> str | None:
    """'1.0.494.0501' -> '1.0.494.501' (file versions, uninstall entries and registry values then compare equal);
    None for anything that is not a Windows file version."""
    text = _str(text)
    if text and FILE_VERSION.fullmatch(text) and all(int(part) <= 65535 for part in text.split(".")):
        return ".".join(str(int(part)) for part in text.split("."))
    return None


def _first(*candidates: tuple[str, str | None], warnings: list[str] | None = None
           ) -> tuple[str | None, list[tuple[str, str]]]:
    """The first valid version, and every valid (source, version) to compare; garbled ones are named in a warning."""
    for src, val in candidates:
        if _str(val) and _version(val) is None and warnings is not None:
            warnings.append(f"{src} version {val!r} is not a Windows file version (at most four numeric parts): "
                            "ignored")
    known = [(src, _version(val)) for src, val in candidates if _version(val)]
    return (known[0][1] if known else None), known


def _disagree(what: str, known: list[tuple[str, str]], warnings: list[str]) -> None:
    if len({v for _, v in known}) > 1:
        warnings.append(f"{what} evidence disagrees: " + ", ".join(f"{s}={v}" for s, v in known))


def _product(e: Evidence, warnings: list[str]) -> dict:
    arp = e.uninstall()
    connect_arp = next((v for k, v in arp if k.lower() == ev.CONNECT_UNINSTALL_SUBKEY.lower()
                        or CONNECT_NAME.fullmatch(_str(v.get("displayname")) or "")), None)
    engine_arp = next((v for _, v in arp if ENGINE_NAME.fullmatch(_str(v.get("displayname")) or "")), None)
    dirsync_arp = next((v for k, v in arp if k.lower() == DIRSYNC_SUBKEY
                        or (_str(v.get("displayname")) or "").lower() in DIRSYNC_NAMES), None)
    mim_arp = next((v for _, v in arp if MIM_NAME.search(_str(v.get("displayname")) or "")), None)
    connector_arp = next((v for _, v in arp if AZURE_CONNECTOR_NAME.search(_str(v.get("displayname")) or "")), None)

    wizard = e.key_exists(ev.CONNECT_KEY) or e.file(ev.WIZARD_EXE) is not None or connect_arp is not None
    engine = (e.service("ADSync") is not None or bool(e.key_exists(ev.ADSYNC_SERVICE_KEY))
              or e.file(ev.ADSYNC_ENGINE_EXE) is not None)
    dirsync = dirsync_arp is not None or any(e.file(p) for p in ev.DIRSYNC_SHELLS)
    fim = e.service("FIMSynchronizationService") is not None or bool(e.key_exists(ev.FIM_SERVICE_KEY))
    engine_version, engine_known = _first(("miiserver.exe", e.file_version(ev.ADSYNC_ENGINE_EXE)),
                                          ("engine uninstall entry", _str((engine_arp or {}).get("displayversion"))),
                                          warnings=warnings)
    _disagree("sync engine version", engine_known, warnings)
    engine_path = _str(e.value(ev.ADSYNC_PARAMETERS, "Path")) or _str(
        e.value(ev.MSOL_COEXISTENCE_CURRENT, "InstallationPath"))

    if wizard and not engine and dirsync:
        warnings.append("Connect wizard files next to DirSync without an ADSync engine: the Connect installer was "
                        "started here (e.g. to export DirSync's settings); DirSync is still the sync tool")
    elif wizard and not engine:
        # The installer started and stopped before configuring (or the engine was removed): no sync engine runs
        warnings.append("Connect wizard found but no ADSync engine (service, key or miiserver.exe): the wizard "
                        "is installed, no sync engine is configured")
        return _result("none", "none", "none", "none")
    if wizard and engine:
        version, known = _first(("AzureADConnect.exe", e.file_version(ev.WIZARD_EXE)),
                                ("Azure AD Connect\\Version", _str(e.value(ev.CONNECT_KEY, "Version"))),
                                ("uninstall entry", _str((connect_arp or {}).get("displayversion"))),
                                warnings=warnings)
        _disagree("Connect version", known, warnings)
        if version and engine_version and engine_version != version:
            warnings.append(f"Connect wizard {version} and sync engine {engine_version} differ (unfinished upgrade?)")
        if dirsync:
            warnings.append("DirSync evidence also present: an interrupted DirSync upgrade or leftovers")
        if not version:
            warnings.append("Connect found but its version is unknown")
        return _result("connect", _str((connect_arp or {}).get("displayname")) or "Microsoft Entra Connect",
                       version, engine_path)
    if engine:
        if engine_version and AADSYNC_VERSION.match(engine_version):
            if dirsync:
                warnings.append("DirSync evidence also present next to Azure AD Sync")
            return _result("aadsync", _str((engine_arp or {}).get("displayname")) or "Microsoft Azure AD Sync",
                           engine_version, engine_path)
        warnings.append(f"ADSync engine {engine_version or '(version unknown)'} without the Connect wizard: "
                        "neither Azure AD Sync (1.0.4xx) nor a complete Connect install")
        return _result(UNKNOWN, _str((engine_arp or {}).get("displayname")), engine_version, engine_path)
    if dirsync:
        version, known = _first(("uninstall entry", _str((dirsync_arp or {}).get("displayversion"))),
                                ("scheduler exe", e.file_version(ev.DIRSYNC_SCHEDULER_EXE)), warnings=warnings)
        _disagree("DirSync version", known, warnings)
        if not version:
            warnings.append("DirSync found but its version is unknown")
        path = (_str(e.value(ev.MSOL_COEXISTENCE, "InstallPath")) or _str((dirsync_arp or {}).get("installlocation"))
                or next((p.rsplit("\\", 1)[0] for p in ev.DIRSYNC_SHELLS if e.file(p)), None))
        return _result("dirsync", _str((dirsync_arp or {}).get("displayname")) or "Windows Azure Active Directory Sync tool",
                       version, path)
    if fim:
        return _mim(e, mim_arp, connector_arp, warnings)
    if not (e.uninstall_read() and e.service_read("ADSync") and e.service_read("FIMSynchronizationService")):
        warnings.append("not enough evidence (Programs and Features, services) to rule out a sync product")
        return _result(UNKNOWN, None, None, None)
    return _result("none", "none", "none", "none")


def _mim(e: Evidence, mim_arp, connector_arp, warnings: list[str]) -> dict:
    version, known = _first(("uninstall entry", _str((mim_arp or {}).get("displayversion"))),
                            ("miiserver.exe", e.file_version(ev.MIM_ENGINE_EXE)), warnings=warnings)
    _disagree("FIM/MIM version", known, warnings)
    path = _str(e.value(ev.FIM_PARAMETERS, "Path")) or _str((mim_arp or {}).get("installlocation"))
    name = _str((mim_arp or {}).get("displayname")) or "FIM/MIM Synchronization Service"
    agents = e.wmi("management_agents")
    installed = connector_arp is not None or e.file(ev.MIM_AZURE_CONNECTOR_DLL) is not None
    extensible = [a for a in agents or [] if str(a.get("type", "")).lower() == "extensible2"]
    untyped = [str(a.get("name") or "?") for a in agents or [] if not _str(a.get("type"))]
    if installed and untyped and not extensible:
        warnings.append(f"management agent(s) {', '.join(untyped)} report no type: cannot tell whether the Azure AD "
                        "connector is in use")
        return _result(UNKNOWN, name, version, path)
    if installed and (extensible or agents is None):
        if agents is None:
            warnings.append("management agents not readable: assuming the installed Azure AD connector is in use")
        return _result("mim_connector", name, version, path)
    warnings.append("FIM/MIM synchronization service without an Azure AD connector in use: nothing syncs to Entra "
                    "through it" if not installed else "Azure AD connector for FIM installed but no Extensible2 agent")
    return _result("none", name, version, path)


def _wizard(e: Evidence) -> dict:
    """The Connect wizard's files, whatever the engine: the version of AzureADConnect.exe and whether
    Tools\\MigrateSettings.ps1 is there (a parallel target gets them when its installer stops at Welcome)."""
    return {"version": _version(e.file_version(ev.WIZARD_EXE)),
            "migrate_settings": None if e.entry("files", ev.WIZARD_MIGRATE_SETTINGS) is None
            else e.file(ev.WIZARD_MIGRATE_SETTINGS) is not None}


def _unfinished_upgrade(e: Evidence) -> dict | None:
    """The toolkit suspended this server's scheduler for an upgrade and has not put it back yet: {scheduler_before:
    enabled|disabled|unknown, since the key says how it was}. None when there is no such record."""
    if e.key_exists(ev.TOOLKIT_SCHEDULER):
        before = _int(e.value(ev.TOOLKIT_SCHEDULER, "Enabled"))
        return {"scheduler_before": {1: "enabled", 0: "disabled"}.get(before, UNKNOWN)}
    if e.key_exists(ev.TOOLKIT_DIRSYNC_SCHEDULER):
        state = _str(e.value(ev.TOOLKIT_DIRSYNC_SCHEDULER, "State"))
        return {"scheduler_before": "enabled" if state == "Running" else "disabled" if state else UNKNOWN}
    return None


def _deployment(e: Evidence, warnings: list[str]) -> dict | None:
    """The toolkit's mark on a parallel target ({source, source_computer, started, cutover}); None without one.
    cutover is {completed, old_server} once the cutover made the target the active server (roles/sync_cutover)."""
    text = e.text(ev.DEPLOYMENT_MARKER)
    if text is None:
        return None
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or not isinstance(doc.get("source"), str):
        warnings.append(f"{ev.DEPLOYMENT_MARKER} is not the toolkit's deployment mark: ignored")
        return None
    cutover = doc.get("cutover")
    if cutover is not None and not (isinstance(cutover, dict) and isinstance(cutover.get("completed"), str)):
        warnings.append(f"{ev.DEPLOYMENT_MARKER}: its cutover entry is not the toolkit's: ignored")
        cutover = None
    return {"source": doc["source"], "source_computer": _str(doc.get("source_computer")),
            "started": _str(doc.get("started")),
            "cutover": None if cutover is None else {"completed": cutover["completed"],
                                                     "old_server": _str(cutover.get("old_server"))}}


def _result(tool: str, product, version, install_path) -> dict:
    def text(v):
        return _str(v).rstrip("\\") if _str(v) else UNKNOWN

    return {"tool": tool, "product": text(product), "version": text(version), "install_path": text(install_path)}


# ---- engine state: services, database, scheduler, staging, auto-upgrade, connectors ---------------------------

def _services(e: Evidence) -> list[dict]:
    out = []
    for name in ev.SYNC_SERVICES:
        svc = e.service(name)
        if svc:
            out.append({"name": _str(svc.get("name")) or name, "display_name": _str(svc.get("display_name")) or UNKNOWN,
                        "state": (_str(svc.get("state")) or UNKNOWN).lower(),
                        "start_mode": START_MODES.get((_str(svc.get("start_mode")) or "").lower(), UNKNOWN),
                        "account": _str(svc.get("account")) or UNKNOWN})
    return out


def _sql_source(e: Evidence, tool: str) -> str | None:
    if tool in ("connect", "aadsync"):
        return "adsync"
    if tool in ("dirsync", "mim_connector"):
        return "fim"
    if tool == UNKNOWN:
        return next((s for s, key in ev.SQL_SOURCES.items() if e.key_exists(key)), None)
    return None


def _database(e: Evidence, tool: str, warnings: list[str]) -> dict:
    source = _sql_source(e, tool)
    absent = "none" if tool == "none" else UNKNOWN
    db = {"type": absent, "server": absent, "instance": absent, "name": absent, "size_mb": None, "version": None}
    out = {"database": db, "object_count": None, "object_count_source": absent}
    if source is None:
        return out
    key = ev.SQL_SOURCES[source]
    if not e.key_exists(key):
        warnings.append(f"no {key}: the sync database is unknown")
        return out
    server = e.value(key, "Server")
    instance = e.value(key, "SQLInstance")
    db["server"] = _str(server) or _str(e.section("host").get("computer_name")) or "."
    db["instance"] = instance.strip() if isinstance(instance, str) else ""
    db["name"] = _str(e.value(key, "DBName")) or UNKNOWN
    edition = _str(e.sql(source, "edition"))
    if (_str(server) or "").lower().startswith("(localdb)"):
        db["type"] = "localdb"
    elif edition:
        db["type"] = "sql_express" if "express" in edition.lower() else "sql"
    elif db["instance"].upper() == "SQLEXPRESS":
        db["type"] = "sql_express"
        warnings.append("SQL edition not read: taken as Express from the instance name SQLEXPRESS")
    db["size_mb"] = _count(e.sql(source, "database_size_mb"), "database size (MB)", warnings)
    raw_version = _str(e.sql(source, "product_version"))
    db["version"] = _version(raw_version) if raw_version else None
    if raw_version and db["version"] is None:
        warnings.append(f"SQL Server version {raw_version!r} is not a version: taken as unknown")
    count = _count(e.sql(source, "metaverse_objects"), "metaverse object count", warnings)
    if count is None:
        reason = e.sql_error(source, "metaverse_objects")
        warnings.append("metaverse object count not available" + (f": {reason}" if reason else
                        " (SQL count of mms_metaverse failed or not run)"))
    else:
        out["object_count"], out["object_count_source"] = count, "sql:mms_metaverse"
    return out


def _interval(text: str | None) -> str | None:
    """'3:0:0' or ISO 8601 'PT3H' -> '03:00:00' (TimeSpan's format, as Get-ADSyncScheduler shows it)."""
    if not text:
        return None
    m = re.fullmatch(r"(?:(\d+)\.)?(\d+):(\d+):(\d+)", text.strip())
    if m:
        days, h, mi, s = int(m.group(1) or 0), int(m.group(2)), int(m.group(3)), int(m.group(4))
    else:
        m = re.fullmatch(r"P(?:(\d+)D)?T?(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?", text.strip())
        if not m or not any(m.groups()):
            return text.strip()
        days, h, mi, s = (int(g or 0) for g in m.groups())
    days, h = days + h // 24, h % 24
    return (f"{days}." if days else "") + f"{h:02d}:{mi:02d}:{s:02d}"


def _engine_state(e: Evidence, tool: str, warnings: list[str]) -> dict:
    out: dict = {}
    na = {"auto_upgrade": "not_applicable", "staging_mode": False}
    if tool in ("connect", "aadsync"):
        out["connectors"] = [{"name": _str(c.get("name")) or UNKNOWN, "type": _str(c.get("type")) or UNKNOWN,
                              "identifier": (_str(c.get("identifier")) or UNKNOWN).lower()}
                             for c in map(_lower_keys, e.cmdlet("connectors") or [])]
        if e.cmdlet("connectors") is None:
            warnings.append("Get-ADSyncConnector not available: connectors unknown")
    elif tool in ("dirsync", "mim_connector") or (tool == "none" and e.wmi("management_agents")):
        out["connectors"] = [{"name": _str(a.get("name")) or UNKNOWN, "type": _str(a.get("type")) or UNKNOWN,
                              "identifier": (_str(a.get("guid")) or UNKNOWN).strip("{}").lower()}
                             for a in e.wmi("management_agents") or []]
    if tool == "connect":
        scheduler = _lower_keys((e.cmdlet("scheduler") or [None])[0])
        if scheduler:
            out["scheduler"] = {"enabled": scheduler.get("synccycleenabled"),
                                "suspended": scheduler.get("schedulersuspended"),
                                "interval": _interval(_str(scheduler.get("currentlyeffectivesynccycleinterval"))),
                                "source": "Get-ADSyncScheduler"}
            staging = scheduler.get("stagingmodeenabled")
            out["staging_mode"] = staging if isinstance(staging, bool) else None
        else:
            warnings.append("Get-ADSyncScheduler not available: staging mode and scheduler unknown")
        upgrade = (e.cmdlet("auto_upgrade") or [None])[0]
        out["auto_upgrade"] = upgrade if upgrade in ("Enabled", "Suspended", "Disabled") else UNKNOWN
        if out["auto_upgrade"] == UNKNOWN:
            warnings.append("Get-ADSyncAutoUpgrade not available: auto-upgrade state unknown")
    elif tool == "aadsync":
        out.update(auto_upgrade="not_applicable", scheduler=_task_scheduler(e))
        warnings.append("Azure AD Sync has no Get-ADSyncScheduler: staging mode unknown")
    elif tool == "dirsync":
        svc = e.service("MSOnline")
        config = e.text(ev.DIRSYNC_SCHEDULER_CONFIG) or ""
        m = re.search(r"key=\"SyncTimeInterval\"\s+value=\"([^\"]+)\"", config)
        out.update(na, scheduler={
            "enabled": None if svc is None else (svc.get("state") == "Running" and svc.get("start_mode") != "Disabled"),
            "suspended": None, "interval": _interval(m.group(1)) if m else None,
            "source": "Microsoft.Online.DirSync.Scheduler.exe.config"})
    elif tool == "mim_connector":
        out.update(na, scheduler={"enabled": None, "suspended": None, "interval": None, "source": "none"})
    elif tool == "none":
        out.update(auto_upgrade="not_applicable",
                   scheduler={"enabled": None, "suspended": None, "interval": None, "source": "none"})
    return out


ENTRA_CONNECTOR_SUFFIX = " - AAD"  # the wizard names the Entra connector "<tenant>.onmicrosoft.com - AAD"
TENANT_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+")


def _tenant(tool: str, connectors: list[dict], warnings: list[str]) -> str:
    """The tenant this server syncs to, from the Entra connector's name (Connect and Azure AD Sync); DirSync's and
    the MIM connector's management agent names carry no tenant, so theirs is unknown."""
    if tool not in ("connect", "aadsync"):
        return "none" if tool == "none" else UNKNOWN
    names = [c["name"] for c in connectors if c.get("type") != "AD" and c["name"].endswith(ENTRA_CONNECTOR_SUFFIX)]
    tenants = {n[:-len(ENTRA_CONNECTOR_SUFFIX)].strip().lower() for n in names}
    if len(tenants) == 1 and TENANT_NAME.fullmatch(next(iter(tenants))):
        return tenants.pop()
    if connectors:  # without connectors, their own warning already says why
        warnings.append("tenant unknown: " + (f"Entra connectors name several tenants ({', '.join(sorted(tenants))})"
                        if len(tenants) > 1 else f"no Entra connector named '<tenant>{ENTRA_CONNECTOR_SUFFIX}' "
                        f"({', '.join(repr(n) for n in names) or 'none'} among the connectors)"))
    return UNKNOWN


def _task_scheduler(e: Evidence) -> dict:
    """AADSync runs its cycles from the Task Scheduler task 'Azure AD Sync Scheduler'."""
    xml = e.text(ev.AADSYNC_TASK_FILE)
    if not e.key_exists(ev.AADSYNC_TASK_KEY) or xml is None:
        return {"enabled": None, "suspended": None, "interval": None, "source": UNKNOWN}
    m = re.search(r"<Interval>([^<]+)</Interval>", xml)
    return {"enabled": "<Enabled>false</Enabled>" not in xml.replace(" ", ""), "suspended": None,
            "interval": _interval(m.group(1)) if m else None, "source": "scheduled_task"}


# ---- the host: OS, PowerShell, .NET, TLS, reboot, disk ---------------------------------------------------------

def _os(e: Evidence, warnings: list[str]) -> dict:
    wmi_os, cs = e.wmi_first("os"), e.wmi_first("computer_system")
    reg = lambda name: e.value(ev.CURRENT_VERSION, name)  # noqa: E731
    build = _int(wmi_os.get("buildnumber")) or _int(reg("CurrentBuildNumber")) or _int(reg("CurrentBuild"))
    version = _str(wmi_os.get("version"))
    if not version and build:
        major, minor = _int(reg("CurrentMajorVersionNumber")), _int(reg("CurrentMinorVersionNumber"))
        base = f"{major}.{minor}" if major is not None and minor is not None else _str(reg("CurrentVersion"))
        version = f"{base}.{build}" if base else None
    install_type = _str(reg("InstallationType"))
    sku = _int(wmi_os.get("operatingsystemsku"))
    if install_type:
        core = install_type.lower() == "server core"
        if sku in CORE_SKUS and not core:
            warnings.append(f"InstallationType {install_type} but OperatingSystemSKU {sku} is a Server Core edition")
            core = True
    else:
        core = (sku in CORE_SKUS) if sku is not None else None
    dc_votes = {"DomainRole": _int(cs.get("domainrole")) in DC_ROLES if _int(cs.get("domainrole")) is not None else None,
                "ProductType": _int(wmi_os.get("producttype")) == 2 if _int(wmi_os.get("producttype")) else None,
                "ProductOptions": (_str(e.value(ev.PRODUCT_OPTIONS, "ProductType")) or "").lower() == "lanmannt"
                if _str(e.value(ev.PRODUCT_OPTIONS, "ProductType")) else None}
    known = {k: v for k, v in dc_votes.items() if v is not None}
    if len(set(known.values())) > 1:
        warnings.append("domain controller evidence disagrees: " + ", ".join(f"{k}={v}" for k, v in known.items())
                        + " (reported as a domain controller)")
    domain = _str(cs.get("domain"))
    if cs.get("partofdomain") is False:
        warnings.append(f"not joined to a domain (workgroup {domain or UNKNOWN})")
    out = {"caption": _str(wmi_os.get("caption")) or _str(reg("ProductName")) or UNKNOWN,
           "version": version or UNKNOWN, "build": build,
           "ubr": _count(reg("UBR"), "update build revision (UBR)", warnings),
           "edition": _str(reg("EditionID")) or UNKNOWN,
           "server_core": core, "domain_controller": any(known.values()) if known else None,
           "domain": domain or UNKNOWN, "part_of_domain": cs.get("partofdomain") if isinstance(
               cs.get("partofdomain"), bool) else None}
    if not wmi_os:
        warnings.append("Win32_OperatingSystem not read: OS facts from the registry")
    if out["caption"] == UNKNOWN or build is None:
        warnings.append("operating system unknown")
    return out


def _powershell(e: Evidence, warnings: list[str]) -> str:
    version = _str(e.section("host").get("powershell_version"))
    for key in ev.PS_ENGINES:
        version = version or _str(e.value(key, "PowerShellVersion"))
    if not version:
        warnings.append("PowerShell version unknown")
    return version or UNKNOWN


def _dotnet(e: Evidence, warnings: list[str]) -> dict:
    exists = e.key_exists(ev.NDP4_FULL)
    raw = e.value(ev.NDP4_FULL, "Release")
    release = _int(raw) if e.value_type(ev.NDP4_FULL, "Release") in ("dword", None) else None
    if raw is not None and release is None:
        warnings.append(f".NET Framework Release {raw!r} ({e.value_type(ev.NDP4_FULL, 'Release')}) is not a DWORD "
                        "number: .NET version unknown")
        return {"release": None, "version": UNKNOWN}
    if release is None:
        if exists:
            return {"release": None, "version": "4.0"}  # .NET 4.0 wrote no Release value
        warnings.append(".NET Framework 4 not found" if exists is False else ".NET Framework version not read")
        return {"release": None, "version": UNKNOWN}
    version = DOTNET_RELEASES.get(release)
    if version is None:
        lower = [r for r in DOTNET_RELEASES if r <= release]
        version = DOTNET_RELEASES[max(lower)] if lower else UNKNOWN
        warnings.append(f".NET Release {release} not in the table: taken as {version}")
    return {"release": release, "version": version}


def _tls12(e: Evidence, warnings: list[str]) -> dict:
    values, missing = {}, []
    for key, name, want in ev.TLS12:
        label = f"{key}\\{name}"
        data = e.value(key, name)
        dword = data if e.value_type(key, name) == "dword" and isinstance(data, int) else None
        values[label] = dword
        if dword != want:
            missing.append(label)
    if all(e.key_exists(k) is None for k, _, _ in ev.TLS12):
        warnings.append("TLS 1.2 registry values not read")
        return {"values": values, "enabled": None, "missing": missing}
    return {"values": values, "enabled": not missing, "missing": missing}


def _pending_reboot(e: Evidence, warnings: list[str]) -> dict:
    reasons = []
    checks = [e.key_exists(ev.REBOOT_PENDING), e.key_exists(ev.REBOOT_REQUIRED), e.key_exists(ev.SESSION_MANAGER)]
    if checks[0]:
        reasons.append(ev.REBOOT_PENDING)
    if checks[1]:
        reasons.append(ev.REBOOT_REQUIRED)
    for name in ev.PENDING_RENAMES:
        if e.value(ev.SESSION_MANAGER, name):
            reasons.append(f"{ev.SESSION_MANAGER}\\{name}")
    if not reasons and None in checks:
        warnings.append("pending reboot evidence incomplete")
        return {"pending_reboot": None, "pending_reboot_reasons": []}
    return {"pending_reboot": bool(reasons), "pending_reboot_reasons": reasons}


def _system_drive(e: Evidence, warnings: list[str]) -> dict:
    drive = e.env("SystemDrive")
    disks = e.wmi("system_disk") or []
    disk = next((d for d in disks if drive and str(d.get("deviceid", "")).lower() == drive.lower()), None)
    if disk is None and len(disks) == 1:
        disk = disks[0]
    if disk is None:
        warnings.append("system drive size and free space not read")
        return {"drive": drive or UNKNOWN, "free_bytes": None, "size_bytes": None}
    return {"drive": drive or _str(disk.get("deviceid")) or UNKNOWN, "free_bytes": _int(disk.get("freespace")),
            "size_bytes": _int(disk.get("size"))}
