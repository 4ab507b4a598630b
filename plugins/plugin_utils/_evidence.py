# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The evidence catalog: where each product keeps its keys, and the request the probe gathers them with.

This is the only place that knows paths. The probe (powershell/probe.ps1) is generic and reads exactly what
`build_request()` lists; the classifier (_classify.py) reads the answer back through the same constants.
Sources: docs/product-facts.md §3 (TLS 1.2) and §5 (detection evidence).

Request format (rendered as PowerShell literals by _psliteral.render):
  environment       [name, ...]                               environment variables
  registry          [{path, values: None|[names], subkeys}]   one key: its values (None = all) and subkey names
  registry_children [{path, values: [names]}]                 every subkey of a key with those values
  services          [name, ...]                               Win32_Service by service name
  files             [path, ...]                               exists, size, FileVersion (%VAR% expanded)
  text_files        [{path, max_bytes}]                       small text files, read whole
  wmi               [{id, namespace, class, properties, filter}]
  sql               [{id, parameters_key, query}]             a single SELECT against the database that the
                                                              key's Server / SQLInstance / DBName values name
  cmdlets           {module, commands: [{id, name, properties}]}  Get- cmdlets, only if the module file exists
"""

from __future__ import annotations

PROBE_VERSION = 1

HKLM = "HKLM\\"
SOFTWARE = HKLM + "SOFTWARE\\Microsoft\\"
SERVICES = HKLM + "SYSTEM\\CurrentControlSet\\Services\\"

# operating system, PowerShell, .NET
CURRENT_VERSION = SOFTWARE + "Windows NT\\CurrentVersion"
PRODUCT_OPTIONS = HKLM + "SYSTEM\\CurrentControlSet\\Control\\ProductOptions"
PS_ENGINES = (SOFTWARE + "PowerShell\\3\\PowerShellEngine", SOFTWARE + "PowerShell\\1\\PowerShellEngine")
NDP4_FULL = SOFTWARE + "NET Framework Setup\\NDP\\v4\\Full"

# TLS 1.2: the eight DWORDs Get-ADSyncToolsTls12 reads, with the value each must have (docs/product-facts.md §3)
_NETFX = "\\Microsoft\\.NETFramework\\v4.0.30319"
_SCHANNEL = HKLM + "SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\"
TLS12 = (
    (HKLM + "SOFTWARE" + _NETFX, "SystemDefaultTlsVersions", 1),
    (HKLM + "SOFTWARE" + _NETFX, "SchUseStrongCrypto", 1),
    (HKLM + "SOFTWARE\\WOW6432Node" + _NETFX, "SystemDefaultTlsVersions", 1),
    (HKLM + "SOFTWARE\\WOW6432Node" + _NETFX, "SchUseStrongCrypto", 1),
    (_SCHANNEL + "Server", "Enabled", 1),
    (_SCHANNEL + "Server", "DisabledByDefault", 0),
    (_SCHANNEL + "Client", "Enabled", 1),
    (_SCHANNEL + "Client", "DisabledByDefault", 0),
)

# pending reboot: a key whose existence says so, and the Session Manager values
REBOOT_PENDING = SOFTWARE + "Windows\\CurrentVersion\\Component Based Servicing\\RebootPending"
REBOOT_REQUIRED = SOFTWARE + "Windows\\CurrentVersion\\WindowsUpdate\\Auto Update\\RebootRequired"
SESSION_MANAGER = HKLM + "SYSTEM\\CurrentControlSet\\Control\\Session Manager"
PENDING_RENAMES = ("PendingFileRenameOperations", "PendingFileRenameOperations2")

# Programs and Features: both registry views, the values detection needs
UNINSTALL = SOFTWARE + "Windows\\CurrentVersion\\Uninstall"
UNINSTALL_WOW = HKLM + "SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall"
UNINSTALL_VALUES = ("DisplayName", "DisplayVersion", "Publisher", "InstallLocation")

# Azure AD Connect / Entra Connect: the wizard and the ADSync engine (also AADSync's engine)
CONNECT_KEY = SOFTWARE + "Azure AD Connect"  # WizardPath, Version
CONNECT_UNINSTALL_SUBKEY = "MicrosoftAzureADConnectionTool"
AD_SYNC_KEY = SOFTWARE + "AD Sync"
MSOL_COEXISTENCE = SOFTWARE + "MSOLCoExistence"  # DirSync: InstallPath; Connect: ServiceAccountType
MSOL_COEXISTENCE_CURRENT = MSOL_COEXISTENCE + "\\CurrentVersion"  # InstallationPath of the engine
ADSYNC_SERVICE_KEY = SERVICES + "ADSync"
ADSYNC_PARAMETERS = SERVICES + "ADSync\\Parameters"  # Server, SQLInstance, DBName, Path
FIM_SERVICE_KEY = SERVICES + "FIMSynchronizationService"
FIM_PARAMETERS = SERVICES + "FIMSynchronizationService\\Parameters"
DIRSYNC_SERVICE_KEY = SERVICES + "MSOnline"
AADSYNC_TASK_KEY = SOFTWARE + "Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tree\\Azure AD Sync Scheduler"
SQL_INSTANCE_NAMES = SOFTWARE + "Microsoft SQL Server\\Instance Names\\SQL"
# the toolkit's own record of a scheduler it suspended for an upgrade (sync-engine.ps1): an unfinished upgrade
TOOLKIT_SCHEDULER = HKLM + "SOFTWARE\\EntraSyncUpgrade\\Scheduler"  # Enabled (DWORD)
TOOLKIT_DIRSYNC_SCHEDULER = HKLM + "SOFTWARE\\EntraSyncUpgrade\\DirSyncScheduler"  # StartMode, State

SERVICE_VALUES = ("DisplayName", "ImagePath", "ObjectName", "Start")
PARAMETER_VALUES = ("Server", "SQLInstance", "DBName", "Path")

# files (paths use %VAR% so a non-C: system drive still works)
PF = "%ProgramFiles%\\"
WIZARD_EXE = PF + "Microsoft Azure Active Directory Connect\\AzureADConnect.exe"
WIZARD_MIGRATE_SETTINGS = PF + "Microsoft Azure Active Directory Connect\\Tools\\MigrateSettings.ps1"
ADSYNC_DIR = PF + "Microsoft Azure AD Sync"
ADSYNC_ENGINE_EXE = ADSYNC_DIR + "\\Bin\\miiserver.exe"
ADSYNC_MODULE = ADSYNC_DIR + "\\Bin\\ADSync\\ADSync.psd1"
PERSISTED_STATE = "%ProgramData%\\AADConnect\\PersistedState.xml"
DIRSYNC_DIRS = (PF + "Windows Azure Active Directory Sync", PF + "Microsoft Online Directory Sync")
DIRSYNC_SHELLS = tuple(d + "\\DirSyncConfigShell.psc1" for d in DIRSYNC_DIRS)
DIRSYNC_SCHEDULER_EXE = DIRSYNC_DIRS[0] + "\\Microsoft.Online.DirSync.Scheduler.exe"
DIRSYNC_SCHEDULER_CONFIG = DIRSYNC_SCHEDULER_EXE + ".config"
DIRSYNC_ENGINE_EXE = DIRSYNC_DIRS[0] + "\\SYNCBUS\\Synchronization Service\\Bin\\miiserver.exe"
MIM_DIR = PF + "Microsoft Forefront Identity Manager\\2010\\Synchronization Service"
MIM_ENGINE_EXE = MIM_DIR + "\\Bin\\miiserver.exe"
MIM_AZURE_CONNECTOR_DLL = MIM_DIR + "\\Extensions\\Microsoft.Azure.ActiveDirectory.Connector.dll"
AADSYNC_TASK_FILE = "%SystemRoot%\\System32\\Tasks\\Azure AD Sync Scheduler"
# the toolkit's own mark on a parallel target: which source's deployment it carries (roles/sync_deploy_parallel)
DEPLOYMENT_MARKER = "%ProgramData%\\EntraSyncUpgrade\\deployment.json"

FILES = (WIZARD_EXE, WIZARD_MIGRATE_SETTINGS, ADSYNC_ENGINE_EXE, ADSYNC_MODULE, PERSISTED_STATE, *DIRSYNC_SHELLS, DIRSYNC_SCHEDULER_EXE,
         DIRSYNC_ENGINE_EXE, MIM_ENGINE_EXE, MIM_AZURE_CONNECTOR_DLL)
TEXT_FILES = (DIRSYNC_SCHEDULER_CONFIG, AADSYNC_TASK_FILE, DEPLOYMENT_MARKER)
TEXT_MAX_BYTES = 65536

SYNC_SERVICES = ("ADSync", "FIMSynchronizationService", "MSOnline", "AzureADConnectHealthSyncInsights",
                 "AzureADConnectHealthSyncMonitor", "AzureADConnectAgentUpdater")

ENVIRONMENT = ("SystemDrive", "SystemRoot", "ProgramFiles", "ProgramData")

# WMI: id -> (namespace, class, properties, filter)
MIIS_NAMESPACE = "root\\MicrosoftIdentityIntegrationServer"
WMI = {
    "os": ("root\\cimv2", "Win32_OperatingSystem",
           ("Caption", "Version", "BuildNumber", "OperatingSystemSKU", "ProductType"), None),
    "computer_system": ("root\\cimv2", "Win32_ComputerSystem", ("Domain", "DomainRole", "PartOfDomain"), None),
    "system_disk": ("root\\cimv2", "Win32_LogicalDisk", ("DeviceID", "FreeSpace", "Size"),
                    "DeviceID='%SystemDrive%'"),
    "management_agents": (MIIS_NAMESPACE, "MIIS_ManagementAgent", ("Name", "Type", "Guid"), None),
}

# SQL: read-only counts against the database the sync service's Parameters key names (docs/product-facts.md §5)
SQL_QUERIES = {
    "metaverse_objects": "SELECT COUNT_BIG(*) FROM dbo.mms_metaverse WITH (NOLOCK)",
    "database_size_mb": "SELECT SUM(CAST(size AS BIGINT)) * 8 / 1024 FROM sys.database_files",
    "edition": "SELECT CAST(SERVERPROPERTY('Edition') AS NVARCHAR(128))",
    "product_version": "SELECT CAST(SERVERPROPERTY('ProductVersion') AS NVARCHAR(128))",
}
SQL_SOURCES = {"adsync": ADSYNC_PARAMETERS, "fim": FIM_PARAMETERS}


def sql_id(source: str, query: str) -> str:
    return f"{source}.{query}"


# ADSync cmdlets (docs/product-facts.md §5, §7): run only when the module is installed
SCHEDULER_PROPERTIES = ("AllowedSyncCycleInterval", "CurrentlyEffectiveSyncCycleInterval",
                        "CustomizedSyncCycleInterval", "NextSyncCyclePolicyType", "PurgeRunHistoryInterval",
                        "SyncCycleEnabled", "MaintenanceEnabled", "StagingModeEnabled", "SchedulerSuspended",
                        "SyncCycleInProgress")
CMDLETS = {
    "scheduler": ("Get-ADSyncScheduler", SCHEDULER_PROPERTIES),
    "auto_upgrade": ("Get-ADSyncAutoUpgrade", None),  # an enum value: Enabled, Suspended, Disabled
    "connectors": ("Get-ADSyncConnector", ("Name", "Type", "Identifier")),
}


def _key(path: str, values=None, subkeys: bool = False) -> dict:
    return {"path": path, "values": None if values is None else list(values), "subkeys": subkeys}


def registry_keys() -> list[dict]:
    keys = [
        _key(CURRENT_VERSION, ("ProductName", "CurrentVersion", "CurrentMajorVersionNumber",
                               "CurrentMinorVersionNumber", "CurrentBuild", "CurrentBuildNumber", "UBR",
                               "EditionID", "InstallationType", "DisplayVersion", "ReleaseId", "CSDVersion")),
        _key(PRODUCT_OPTIONS, ("ProductType",)),
        *(_key(k, ("PowerShellVersion", "RuntimeVersion")) for k in PS_ENGINES),
        _key(NDP4_FULL, ("Install", "Release", "Version")),
    ]
    for path in dict.fromkeys(k for k, _, _ in TLS12):  # each key once, with its two values
        keys.append(_key(path, [n for k, n, _ in TLS12 if k == path]))
    keys += [
        _key(REBOOT_PENDING, ()), _key(REBOOT_REQUIRED, ()), _key(SESSION_MANAGER, PENDING_RENAMES),
        _key(CONNECT_KEY), _key(AD_SYNC_KEY, ()), _key(MSOL_COEXISTENCE), _key(MSOL_COEXISTENCE_CURRENT),
        _key(ADSYNC_SERVICE_KEY, SERVICE_VALUES), _key(ADSYNC_PARAMETERS, PARAMETER_VALUES),
        _key(FIM_SERVICE_KEY, SERVICE_VALUES), _key(FIM_PARAMETERS, PARAMETER_VALUES),
        _key(DIRSYNC_SERVICE_KEY, SERVICE_VALUES), _key(AADSYNC_TASK_KEY, ()), _key(SQL_INSTANCE_NAMES),
        _key(TOOLKIT_SCHEDULER, ("Enabled",)), _key(TOOLKIT_DIRSYNC_SCHEDULER, ("StartMode", "State")),
    ]
    return keys


def build_request() -> dict:
    """Everything detection needs, in one probe run."""
    return {
        "environment": list(ENVIRONMENT),
        "registry": registry_keys(),
        "registry_children": [{"path": p, "values": list(UNINSTALL_VALUES)} for p in (UNINSTALL, UNINSTALL_WOW)],
        "services": list(SYNC_SERVICES),
        "files": list(FILES),
        "text_files": [{"path": p, "max_bytes": TEXT_MAX_BYTES} for p in TEXT_FILES],
        "wmi": [{"id": i, "namespace": ns, "class": cls, "properties": list(props), "filter": flt}
                for i, (ns, cls, props, flt) in WMI.items()],
        "sql": [{"id": sql_id(src, q), "parameters_key": key, "query": text}
                for src, key in SQL_SOURCES.items() for q, text in SQL_QUERIES.items()],
        "cmdlets": {"module": ADSYNC_MODULE,
                    "commands": [{"id": i, "name": n, "properties": None if p is None else list(p)}
                                 for i, (n, p) in CMDLETS.items()]},
    }
