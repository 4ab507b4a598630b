# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a configuration backup holds, per sync tool: the items the backup-stage script collects.

The knowledge of where each product keeps its configuration lives here, once (paths from _evidence.py, facts
from docs/product-facts.md); the script on the server only carries out generic steps (copy a file, the newest
file or folder matching a pattern, export a registry key, run an allowed ADSync cmdlet, back up a SQL database,
copy files with a service stopped). Each item says whether the backup is incomplete without it (`required`).

Item kinds (powershell/backup-stage.ps1): file {path}; newest {folder, filter, type file|folder}; registry
{key}; cmdlet {module, command, output folder|text}; sql_backup {data_source, database}; offline_copy
{service, paths, lock_wait_seconds}.
"""

from __future__ import annotations

from . import _evidence as ev
from ._version import version_below

AADCONNECT_DATA = "%ProgramData%\\AADConnect"
ADSYNC_PARAMETERS = ev.SERVICES + "ADSync\\Parameters"
FIM_PARAMETERS = ev.SERVICES + "FIMSynchronizationService\\Parameters"
COEXISTENCE = ev.SOFTWARE + "MSOLCoExistence"
WIZARD_KEY = ev.SOFTWARE + "Azure AD Connect"
DIRSYNC_CONFIG_SHELL = ev.DIRSYNC_SHELLS[0]
DIRSYNC_ENGINE_CONFIG = ev.DIRSYNC_ENGINE_EXE + ".config"
ADSYNC_ENGINE_CONFIG = ev.ADSYNC_ENGINE_EXE + ".config"
MIM_ENGINE_CONFIG = ev.MIM_ENGINE_EXE + ".config"
# LocalDB keeps the ADSync database in the engine's Data folder: per instance, where its files are
# (1.x: (localdb)\.\ADSync -> Data\; 2.x: (localdb)\.\ADSync2019 -> Data\ADSync2019\). The plan checks the files
# exist before anything stops.
LOCALDB_FOLDERS = {".\\adsync": "Data", ".\\adsync2019": "Data\\ADSync2019"}
LOCALDB_FILES = ("ADSync.mdf", "ADSync_log.ldf")
TOOLS = ("dirsync", "aadsync", "connect", "mim_connector")
# Connect builds from 1.5.42.0 on export their configuration (docs/product-facts.md §2): there the fresh export
# is required, below it is taken where the cmdlet exists
EXPORT_SINCE = "1.5.42.0"


class CatalogError(ValueError):
    """The facts do not allow a backup (unknown tool, unknown database location)."""


def _file(item_id: str, path: str, required: bool, what: str) -> dict:
    return {"id": item_id, "kind": "file", "path": path, "required": required, "what": what}


def _registry(item_id: str, key: str, required: bool, what: str) -> dict:
    if not key.startswith("HKLM\\"):
        raise ValueError(f"backup-stage exports HKLM keys only: {key}")
    return {"id": item_id, "kind": "registry", "key": key, "required": required, "what": what}


def _adsync_items(facts: dict) -> list[dict]:
    """Azure AD Sync and Connect (the ADSync engine)."""
    connect = facts.get("tool") == "connect"
    exports = connect and version_below(facts.get("version"), EXPORT_SINCE) is False
    return [
        _file("persisted_state", ev.PERSISTED_STATE, connect, "the Connect wizard's install state (PersistedState.xml)"),
        {"id": "applied_policy", "kind": "newest", "folder": AADCONNECT_DATA,
         "filter": "Applied-SynchronizationPolicy-*.json", "type": "file", "required": False,
         "what": "the newest settings the wizard applied (Connect 1.5.42 and later write one per change)"},
        {"id": "exported_configuration", "kind": "newest", "folder": AADCONNECT_DATA,
         "filter": "Exported-ServerConfiguration-*", "type": "folder", "required": False,
         "what": "the newest exported server configuration (View or Export Current Configuration, MigrateSettings)"},
        {"id": "server_configuration", "kind": "cmdlet", "module": ev.ADSYNC_MODULE,
         "command": "Get-ADSyncServerConfiguration", "output": "folder", "required": exports,
         "what": "a fresh export of connectors, global settings and synchronization rules"},
        {"id": "scheduler", "kind": "cmdlet", "module": ev.ADSYNC_MODULE, "command": "Get-ADSyncScheduler",
         "output": "text", "required": False, "what": "the sync scheduler's settings"},
        _registry("engine_parameters", ADSYNC_PARAMETERS, True,
                  "the ADSync service's Parameters key (database server, instance and name)"),
        _registry("wizard_settings", WIZARD_KEY, False, "the Connect wizard's registry settings"),
        _registry("coexistence_settings", COEXISTENCE, False, "the MSOLCoExistence settings"),
        _file("scheduler_task", ev.AADSYNC_TASK_FILE, False,
              "the Azure AD Sync scheduled task (builds before the built-in scheduler)"),
        _file("engine_config", ADSYNC_ENGINE_CONFIG, False, "the sync engine's miiserver.exe.config"),
    ]


def _dirsync_items(facts: dict) -> list[dict]:
    return [
        _registry("coexistence_settings", COEXISTENCE, True, "DirSync's MSOLCoExistence settings"),
        _registry("engine_parameters", FIM_PARAMETERS, True,
                  "the sync engine's Parameters key (database server, instance and name)"),
        _file("scheduler_config", ev.DIRSYNC_SCHEDULER_CONFIG, False, "the DirSync scheduler's interval and settings"),
        _file("config_shell", DIRSYNC_CONFIG_SHELL, False, "DirSync's configuration shell (psc1)"),
        _file("engine_config", DIRSYNC_ENGINE_CONFIG, False, "the sync engine's miiserver.exe.config"),
    ]


def _mim_items(facts: dict) -> list[dict]:
    return [
        _registry("engine_parameters", FIM_PARAMETERS, True,
                  "the MIM sync engine's Parameters key (database server, instance and name)"),
        _file("engine_config", MIM_ENGINE_CONFIG, False, "the sync engine's miiserver.exe.config"),
    ]


def database_item(facts: dict, stamp: str, lock_wait_seconds: int = 300) -> dict:
    """The sync database: LocalDB files copied with the sync service stopped, or a COPY_ONLY SQL backup."""
    db = facts.get("database") or {}
    kind, name = db.get("type"), db.get("name")
    if not isinstance(name, str) or not name or name == "unknown":
        raise CatalogError("the sync database's name is unknown: re-run the assessment")
    if kind == "localdb":
        folder = LOCALDB_FOLDERS.get(str(db.get("instance", "")).lower())
        install = facts.get("install_path")
        if folder is None or not isinstance(install, str) or install in ("", "unknown"):
            raise CatalogError(f"the LocalDB files of instance {db.get('instance')!r} are in no folder this toolkit "
                               "knows: copy ADSync.mdf and ADSync_log.ldf by hand with the ADSync service stopped")
        base = install.rstrip("\\") + "\\" + folder + "\\"
        return {"id": "database", "kind": "offline_copy", "service": "ADSync", "required": True,
                "paths": [base + f for f in LOCALDB_FILES], "lock_wait_seconds": lock_wait_seconds,
                "what": "the LocalDB database files (the ADSync service is stopped while they are copied)"}
    if kind in ("sql_express", "sql"):
        server, instance = db.get("server"), db.get("instance")
        if not isinstance(server, str) or not server or server == "unknown":
            raise CatalogError("the sync database's SQL Server is unknown: re-run the assessment")
        source = server + ("\\" + instance if isinstance(instance, str) and instance not in ("", "unknown") else "")
        return {"id": "database", "kind": "sql_backup", "data_source": source, "database": name, "stamp": stamp,
                "required": True, "what": f"a COPY_ONLY backup of the {name} database on {source}"}
    raise CatalogError(f"the sync database type is {kind!r}: this toolkit cannot back it up")


def items(facts: dict, include_database: bool, stamp: str, lock_wait_seconds: int = 300) -> list[dict]:
    """The items of a backup of this server. DirSync keeps its configuration in its database, so its database
    backup is always part of it; for the others the database is included when asked (it stops sync briefly on
    LocalDB)."""
    tool = facts.get("tool")
    if tool == "dirsync":
        found = _dirsync_items(facts)
        include_database = True
    elif tool in ("aadsync", "connect"):
        found = _adsync_items(facts)
    elif tool == "mim_connector":
        found = _mim_items(facts)
    else:
        raise CatalogError(f"nothing to back up: the server runs {tool!r}, not one of {', '.join(TOOLS)}")
    if include_database:
        found.append(database_item(facts, stamp, lock_wait_seconds))
    return found


def request(mode: str, folder: str, item_list: list[dict], hash_limit: int = 1024 * 1024) -> dict:
    """The backup-stage script's request (what the script needs of each item, without the descriptions)."""
    return {"mode": mode, "folder": folder, "hash_limit": hash_limit,
            "items": [{k: v for k, v in item.items() if k not in ("what", "required")} for item in item_list]}
