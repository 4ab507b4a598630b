r"""What the Entra Connect wizard and its package (AzureADConnect.msi) do to a host.

Each operation checks first, as the wizard does, and changes nothing when it refuses (WizardError, with the
reason). Public sources (Microsoft Learn, repo MicrosoftDocs/entra-docs, docs/identity/hybrid/connect/):
- how-to-dirsync-upgrade-get-started.md: DirSync is upgraded in place below 50,000 objects (the analysis page
  recommends a parallel deployment above, with "Export settings" or "Continue upgrading DirSync on this
  computer"); the upgrade removes DirSync and installs Connect; on the DirSync server, start the package, close
  the wizard and run `AzureADConnect.exe /ForceExport` (below 50,000), or "Export settings" (above).
- how-to-upgrade-previous-version.md: "If the Entra connector GUID b891884f-051e-4a83-95af-2544101c9083 is
  missing, the configuration cannot be upgraded" (uninstall and install clean instead).
- how-to-connect-install-prerequisites.md / whatis-azure-ad-connect-v2.md: Connect 2.x needs Windows Server
  2016 or later with the full GUI (no Server Core) and ships SQL Server 2019 LocalDB.
- how-to-connect-import-export-config.md: settings are imported on a new server, which starts in staging mode
  (preselected); the MigrateSettings.ps1 flow starts the package on the new server and stops at Welcome.
- how-to-connect-install-automatic-upgrade.md: auto-upgrade is on by default for express installs and DirSync
  upgrades.

The layout a Connect install leaves is the profiles' own (fragments/products/connect-2x-common and the newest
connect-2.x fragment, versions set to the package's), so a host the wizard built reads like a profile-built one.
Lab rule, stricter than Windows Installer: the package must be a valid lab installer signed by Microsoft (a
careful operator checks; msiexec itself would run an unsigned package).
"""

from __future__ import annotations

import contextlib
import copy
import ntpath
import time
import uuid
from pathlib import Path

from . import labmsi, modeled, profile, syncconfig
from .errors import Win32Error
from .products import UNINSTALL

PROFILES = Path(__file__).resolve().parents[1] / "profiles"
ENTRA_CONNECTOR_ID = "b891884f-051e-4a83-95af-2544101c9083"
DIRSYNC_THRESHOLD = 50_000
SERVER_2016_BUILD = 14393
WIZARD_DIR = r"C:\Program Files\Microsoft Azure Active Directory Connect"
WIZARD_EXE = WIZARD_DIR + r"\AzureADConnect.exe"
MIGRATE_SETTINGS = WIZARD_DIR + r"\Tools\MigrateSettings.ps1"
CONNECT_KEY = r"HKLM\SOFTWARE\Microsoft\Azure AD Connect"
CONNECT_UNINSTALL = UNINSTALL + r"\MicrosoftAzureADConnectionTool"
CONNECT_NAME = "Microsoft Entra Connect"
ADSYNC_DISPLAY_NAME = "Microsoft Entra ID Sync"
LAYOUT = "fragments/products/connect-2.5.190"  # the newest Connect layout; its versions become the package's
DIRSYNC = "fragments/products/dirsync-1.0.7020"
DIRSYNC_DIR = r"C:\Program Files\Windows Azure Active Directory Sync"
AADSYNC_UNINSTALL = UNINSTALL + r"\{8086D146-223A-4064-A5BE-45129B193AF6}"
AADSYNC_TASK_KEY = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Schedule\TaskCache\Tree\Azure AD Sync Scheduler"
AADSYNC_TASK_FILE = r"C:\Windows\System32\Tasks\Azure AD Sync Scheduler"
LOCALDB_2019 = r"(localdb)\.\ADSync2019"
DATA_2019 = r"C:\Program Files\Microsoft Azure AD Sync\Data\ADSync2019"
# UNCONFIRMED: the size of a new ADSync database (LocalDB's model database grown by the install)
NEW_DATABASE_BYTES = (100 * 2**20, 20 * 2**20)
# msiexec's exit codes an `installer_exit` fault gives the package (Windows Installer error codes)
ROLLED_BACK, RESTART_REQUIRED = 1603, 3010
METHODS = ("json_export", "migrate_settings", "dirsync_export", "manual")
MIGRATE_SETTINGS_TEXT = (
    "# lab stand-in for MigrateSettings.ps1 (Microsoft-signed; ships in the Connect wizard's Tools folder).\r\n"
    "# It reads HKLM\\SOFTWARE\\Microsoft\\Azure AD Connect\\WizardPath and the ADSync service key, runs\r\n"
    "# Get-ADSyncServerConfiguration -Path and writes %ProgramData%\\AADConnect\\Exported-ServerConfiguration-*.\r\n")


class WizardError(ValueError):
    """The wizard (or Windows Installer) refuses: nothing was changed."""


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in str(text).split("."))


class Wizard:
    """The wizard and its package on one twin."""

    def __init__(self, twin, profiles_dir: Path = PROFILES):
        self.twin = twin
        self.profiles_dir = profiles_dir

    # what the host is ---------------------------------------------------------------------------------------
    @property
    def sync(self) -> dict:
        return self.twin.state.get("sync") or {}

    def product(self) -> str | None:
        """dirsync, aadsync, connect, mim, or None (no sync engine)."""
        sync = self.sync
        if sync.get("engine") == "dirsync":
            return "dirsync"
        return sync.get("product") or None

    def objects(self) -> int:
        """Metaverse objects in the sync database (what the wizard's analysis counts)."""
        for db in (self.twin.state.get("sql") or {}).get("databases") or []:
            if db.get("name") in ("ADSync", "FIMSynchronizationService"):
                return int((db.get("tables") or {}).get("mms_metaverse", 0))
        return 0

    # the package --------------------------------------------------------------------------------------------
    def package(self, path: str) -> str:
        """The package's ProductVersion, once it is known to be a valid, Microsoft-signed Connect package."""
        files = self.twin.files
        if not files.exists(path) or files.is_dir(path):
            # msiexec's ERROR_INSTALL_PACKAGE_OPEN_FAILED (1619)
            raise WizardError(f"{path}: This installation package could not be opened. Verify that the package "
                              "exists and that you can access it.")
        data = files.read(path)
        properties = labmsi.msi_properties(data)
        if properties is None:
            # ERROR_INSTALL_PACKAGE_INVALID (1620)
            raise WizardError(f"{path}: This installation package could not be opened. Contact the application "
                              "vendor to verify that this is a valid Windows Installer package.")
        signature = labmsi.authenticode(data, path)
        if signature["status"] != "Valid" or signature["signer_name"] != "Microsoft Corporation":
            raise WizardError(f"{path}: not a valid Microsoft-signed package (signature {signature['status']}, "
                              f"signer {signature['signer_name']}): the lab operator does not run it")
        if "connect" not in str(properties.get("ProductName", "")).lower():
            raise WizardError(f"{path}: the package is {properties.get('ProductName')!r}, not Entra Connect")
        return str(properties["ProductVersion"])

    def require_os(self, version: str) -> None:
        """Connect 2.x: Windows Server 2016 or later, not Server Core."""
        if version_tuple(version)[0] < 2:
            return
        os_ = self.twin.state["os"]
        # UNCONFIRMED: the wizard's exact wording for both refusals
        if int(os_.get("build", 0)) < SERVER_2016_BUILD:
            raise WizardError(f"Microsoft Entra Connect Sync {version} requires Windows Server 2016 or later; "
                              f"this server runs {os_.get('caption')}.")
        if str(os_.get("installation_type", "")).lower() == "server core":
            raise WizardError(f"Microsoft Entra Connect Sync {version} needs the full desktop experience; Server "
                              "Core is not supported.")

    # operations ---------------------------------------------------------------------------------------------
    def wizard_files(self, installer_path: str) -> dict:
        """The package started and stopped at Welcome: the wizard's files, nothing configured."""
        version = self.package(installer_path)
        self.require_os(version)
        if self.product() == "connect":
            raise WizardError("Microsoft Entra Connect is already installed here: the package would upgrade it, "
                              "not stop at Welcome")
        with all_or_nothing(self.twin):
            changed = self._unpack_wizard(version)
        return {"changed": changed, "version": version,
                "message": f"started {ntpath.basename(installer_path)} {version} and stopped at Welcome"}

    def upgrade(self, installer_path: str, continue_large: bool = False) -> dict:
        """In place: DirSync, Azure AD Sync or Connect -> the package's version."""
        version = self.package(installer_path)
        product = self.product()
        if product not in ("dirsync", "aadsync", "connect"):
            raise WizardError(f"nothing to upgrade: no DirSync, Azure AD Sync or Connect here ({product or 'none'})")
        self.require_os(version)
        installed = str(self.sync.get("version") or "0")
        if version_tuple(installed) > version_tuple(version):
            # UNCONFIRMED: the wizard's exact wording
            raise WizardError(f"A newer version of Microsoft Entra Connect ({installed}) is already installed.")
        if product != "dirsync" and version_tuple(installed) == version_tuple(version):
            return {"changed": False, "version": version, "message": f"{version} is already installed"}
        if product == "dirsync":
            objects = self.objects()
            if objects >= DIRSYNC_THRESHOLD and not continue_large:
                raise WizardError(f"DirSync holds {objects} objects, at or above {DIRSYNC_THRESHOLD}: the wizard "
                                  "recommends a parallel deployment (Export settings) unless told to continue "
                                  "upgrading DirSync on this computer")
        elif not any(str(c.get("identifier", "")).lower() == ENTRA_CONNECTOR_ID for c in self.sync.get("connectors") or []):
            raise WizardError(f"The Entra connector GUID {ENTRA_CONNECTOR_ID} is missing: the configuration cannot "
                              "be upgraded (uninstall and install clean instead).")
        exit_code = self._installer_exit("upgrade", product)
        if exit_code == ROLLED_BACK:
            return self._rolled_back(version)
        with all_or_nothing(self.twin):
            if product == "dirsync":
                self._dirsync_to_connect(version)
            else:
                self._upgrade_engine(version, product)
            self._write_policy()
        message = f"upgraded {product} {installed} to Microsoft Entra Connect Sync {version}"
        service_error = self._start_sync_service()
        if service_error:
            message += f"; the wizard could not start the ADSync service: {service_error}"
        if exit_code == RESTART_REQUIRED:
            self.twin.power.require_restart("pending_file_rename")
            message += "; the installer ended with 3010: a restart is required to complete the installation"
        return {"changed": True, "version": version, "from": installed, "exit_code": exit_code or 0,
                "service_error": service_error, "message": message}

    def _installer_exit(self, *asked: str) -> int | None:
        """The MSI exit code an `installer_exit` fault gives this run of the package (counted), or None."""
        fault = self.twin.faults.fire("wizard", list(asked))
        return int(fault["code"]) if fault else None

    @staticmethod
    def _rolled_back(version: str) -> dict:
        """msiexec's 1603: the installation failed and Windows Installer rolled it back; nothing changed."""
        return {"changed": False, "failed": True, "version": version, "exit_code": ROLLED_BACK,
                "message": f"the {version} package ended with exit code 1603 (Fatal error during installation); "
                           "Windows Installer rolled it back: nothing changed"}

    def _start_sync_service(self) -> str | None:
        """The wizard starts ADSync at the end of its configuration; a start that fails leaves it stopped (the
        wizard reports it; the product stays installed). The error's text, or None."""
        scm = self.twin.services
        if scm.peek("ADSync") is None:
            return None
        scm.set_state("ADSync", "stopped")
        try:
            scm.start("ADSync")
        except Win32Error as exc:
            return f"{exc.message} ({exc.code})"
        return None

    def install(self, installer_path: str, settings_files: dict[str, bytes] | None, method: str, staging: bool,
                configuration: dict | None = None) -> dict:
        """A clean server becomes a Connect server with the settings imported (json_export, migrate_settings,
        dirsync_export: the files), configured by hand (manual: `configuration`, as syncconfig.configuration
        reads it from the source), or, with neither, with the wizard's defaults (nothing imported)."""
        if method not in METHODS:
            raise WizardError(f"unknown settings method {method!r}; one of {', '.join(METHODS)}")
        version = self.package(installer_path)
        self.require_os(version)
        if self.product() is not None or self.twin.services.peek("ADSync") is not None:
            raise WizardError(f"a sync engine is already installed here ({self.product() or 'ADSync'}): the wizard "
                              "installs only on a clean server")
        exit_code = self._installer_exit(method, "install")
        if exit_code == ROLLED_BACK:
            return self._rolled_back(version)
        with all_or_nothing(self.twin):
            self._lay_down_connect(version, keep_account=False)
            self._new_database({"mms_metaverse": 0, "mms_connectorspace": 0})  # filled by the first cycle
            self.twin.state["sync"].update(self._default_configuration())
            self.twin.state["sync"]["auto_upgrade"] = "Disabled"  # a custom install is not eligible (AU)
            if settings_files is not None and method != "manual":
                syncconfig.apply_settings(self.twin, settings_files, method)  # ValueError: the wizard's message
            elif method == "manual" and configuration is not None:
                self._configure_by_hand(configuration)
            self._staging(staging)
            syncconfig.write_persisted_state(self.twin)  # the tenant it signed in to: the imported one
            self._write_policy()
        how = ("nothing imported" if settings_files is None and configuration is None
               else "configured by hand" if method == "manual" else f"settings imported ({method})")
        message = (f"installed Microsoft Entra Connect Sync {version}, {how}, staging mode "
                   f"{'on' if staging else 'off'}")
        if exit_code == RESTART_REQUIRED:
            self.twin.power.require_restart("pending_file_rename")
            message += "; the installer ended with 3010: a restart is required to complete the installation"
        return {"changed": True, "version": version, "exit_code": exit_code or 0, "message": message}

    def set_staging(self, on: bool) -> dict:
        if self.product() != "connect":
            raise WizardError("staging mode is a Microsoft Entra Connect setting; Connect is not installed here")
        if bool(self.sync.get("staging_mode")) == on:
            return {"changed": False, "message": f"staging mode already {'on' if on else 'off'}"}
        self._staging(on)
        return {"changed": True, "message": f"staging mode {'on' if on else 'off'}"}

    def dirsync_export(self, installer_path: str, out_path: str) -> dict:
        """On a DirSync server: the package's wizard files, then its export of DirSync's settings at out_path
        (/ForceExport below 50,000 objects, Export settings from the analysis page above)."""
        version = self.package(installer_path)
        if self.product() != "dirsync":
            raise WizardError("the settings export reads DirSync's configuration; DirSync is not installed here")
        # UNCONFIRMED: whether a Connect 2.x package starts on Windows Server 2008 R2 / 2012 R2 at all (no OS
        # check here: the documented export path assumes it does)
        how = "/ForceExport" if self.objects() < DIRSYNC_THRESHOLD else "Export settings"
        files = syncconfig.settings_files(self.twin, "dirsync_export")
        with all_or_nothing(self.twin):
            self._unpack_wizard(version)
            if len(files) == 1:
                self.twin.files.write(out_path, next(iter(files.values())))
            else:
                for name, data in files.items():
                    self.twin.files.write(ntpath.join(out_path, name), data)
        return {"changed": True, "version": version, "export": out_path, "how": how,
                "message": f"exported DirSync's settings with {how} to {out_path}"}

    # the pieces ---------------------------------------------------------------------------------------------
    def _unpack_wizard(self, version: str) -> bool:
        files = self.twin.files
        existing = files.get(WIZARD_EXE) if files.exists(WIZARD_EXE) else None
        if existing and existing.get("version") == version and files.exists(MIGRATE_SETTINGS):
            return False
        layout = dict(self._layout(version))[LAYOUT]
        files.write(WIZARD_EXE, None, version=version, size=int(layout["files"][WIZARD_EXE]["size"]))
        files.write(MIGRATE_SETTINGS, labmsi.sign(MIGRATE_SETTINGS_TEXT.encode()))
        return True

    def _layout(self, version: str) -> list[tuple[str, dict]]:
        """The Connect layout's fragments (product fragments only), the last one set to `version`."""
        chain = profile.fragments(LAYOUT, self.profiles_dir)
        name, data = chain[-1]
        data = copy.deepcopy(data)
        for values in (data.get("registry") or {}).values():
            for key in ("DisplayVersion", "Version"):
                if key in (values or {}):
                    values[key] = version
        data["registry"][CONNECT_UNINSTALL]["DisplayName"] = CONNECT_NAME
        for spec in (data.get("files") or {}).values():
            if "version" in spec:
                spec["version"] = version
        data.setdefault("sync", {})["version"] = version
        data.setdefault("services", {}).setdefault("ADSync", {})["display_name"] = ADSYNC_DISPLAY_NAME
        return chain[:-1] + [(name, data)]

    def _lay_down_connect(self, version: str, keep_account: bool) -> None:
        """Write the Connect layout at `version`. An upgrade keeps the service account, the files the wizard
        keeps (PersistedState.xml, ...), the engine's state (scheduler, connectors) and group members."""
        twin, chain = self.twin, self._layout(version)
        with twin.building(modeled.RUNTIME):
            for _, data in chain:
                data = copy.deepcopy(data)
                if keep_account:
                    if twin.services.peek("ADSync") is not None:
                        ((data.get("services") or {}).get("ADSync") or {}).pop("username", None)
                    data["files"] = {p: s for p, s in (data.get("files") or {}).items()
                                     if "version" in (s or {}) or not twin.files.exists(p)}
                profile.apply(twin, data)
        spec = profile.merge(chain)
        sync = twin.state.setdefault("sync", {})
        if keep_account:
            for key, value in spec["sync"].items():
                if key in ("version", "product") or sync.get(key) is None:
                    sync[key] = copy.deepcopy(value)
        else:
            twin.state["sync"] = copy.deepcopy(spec["sync"])
        groups = twin.state.setdefault("groups", {})
        for group, members in (spec.get("groups") or {}).items():
            known = groups.setdefault(group, [])
            known += [m for m in members if m.lower() not in (k.lower() for k in known)]
        sql = twin.state.setdefault("sql", {})
        instances = sql.setdefault("instances", {})
        instance = instances.setdefault(LOCALDB_2019, {})
        instance.update({"kind": "localdb", "owner": "ADSync", "edition": "Express Edition",
                         **copy.deepcopy(spec["sql"]["instances"][LOCALDB_2019])})
        instance.setdefault("version", _localdb_version(spec))

    def _new_database(self, tables: dict) -> None:
        files = [f"{DATA_2019}\\ADSync.mdf", f"{DATA_2019}\\ADSync_log.ldf"]
        with self.twin.building(modeled.RUNTIME):
            for path, size in zip(files, NEW_DATABASE_BYTES, strict=True):
                self.twin.files.write(path, None, size=size)
        databases = self.twin.state["sql"].setdefault("databases", [])
        databases.append({"instance": LOCALDB_2019, "name": "ADSync", "size_mb": sum(NEW_DATABASE_BYTES) // 2**20,
                          "files": files, "tables": dict(tables)})

    def _upgrade_engine(self, version: str, product: str) -> None:
        """Connect or Azure AD Sync -> Connect `version`, in place."""
        twin = self.twin
        scheduler_on = bool((self.sync.get("scheduler") or {}).get("SyncCycleEnabled", True))
        old_database = next((db for db in twin.state.get("sql", {}).get("databases") or []
                             if db.get("name") == "ADSync"), None)
        was_2x = version_tuple(self.sync.get("version") or "0")[0] >= 2
        if product == "aadsync":  # its scheduled task gives way to the engine's own scheduler
            twin.registry.delete_key(AADSYNC_TASK_KEY)
            twin.files.remove(AADSYNC_TASK_FILE)
            twin.registry.delete_key(AADSYNC_UNINSTALL)
            twin.state["sync"]["scheduler"] = None
            twin.state["sync"].pop("auto_upgrade", None)
            twin.state["sync"].pop("server_configuration", None)
        self._lay_down_connect(version, keep_account=True)
        sync = twin.state["sync"]
        sync["product"] = "connect"
        sync["scheduler"]["SyncCycleEnabled"] = scheduler_on
        sync["scheduler"]["StagingModeEnabled"] = bool(sync.get("staging_mode"))
        if sync.get("auto_upgrade") is None:
            sync["auto_upgrade"] = "Disabled"  # UNCONFIRMED: the state an AADSync upgrade leaves
        if not was_2x and old_database is not None:
            # 1.x -> 2.x: the database moves to SQL Server 2019 LocalDB (whatis-azure-ad-connect-v2.md).
            # UNCONFIRMED: whether the 2012 LocalDB's files and uninstall entries stay behind; the lab keeps them.
            tables = old_database.get("tables") or {}
            twin.state["sql"]["databases"].remove(old_database)
            self._new_database(tables)
            twin.registry.set_value(r"HKLM\SYSTEM\CurrentControlSet\Services\ADSync\Parameters", "SQLInstance",
                                    "string", r".\ADSync2019")
        twin.services.set_state("ADSync", "running")

    def _dirsync_to_connect(self, version: str) -> None:
        """DirSync removed (services, folder, registry, uninstall entry), Connect installed, DirSync's
        connectors carried over as Connect's."""
        twin, old = self.twin, self.sync
        scheduler_on = bool((old.get("scheduler") or {}).get("SyncCycleEnabled", True))
        ad = next((c for c in old.get("connectors") or [] if c.get("type") == "AD"), None)
        tables = next((db.get("tables") or {} for db in twin.state.get("sql", {}).get("databases") or []
                       if db.get("name") == "FIMSynchronizationService"), {})
        dirsync = profile.fragments(DIRSYNC, self.profiles_dir)[-1][1]
        for name in ("MSOnline", "FIMSynchronizationService"):  # dependents first
            if twin.services.peek(name) is not None:
                twin.services.set_state(name, "stopped")
        profile.remove(twin, dirsync)
        twin.files.remove(DIRSYNC_DIR)
        twin.registry.delete_key(UNINSTALL + r"\Microsoft Online Directory Sync")
        wmi = twin.state.get("wmi") or {}
        wmi.pop("MIIS_ManagementAgent", None)
        twin.state["sync"] = {}
        self._lay_down_connect(version, keep_account=False)
        # UNCONFIRMED: DirSync's SQL Server Express instance and its database stay (the lab keeps them).
        self._new_database({"mms_metaverse": tables.get("mms_metaverse", 0),
                            "mms_connectorspace": tables.get("mms_connectorspace", 0)})
        sync = twin.state["sync"]
        sync.update(self._default_configuration(ad_identifier=(ad or {}).get("identifier")))
        sync["scheduler"]["SyncCycleEnabled"] = scheduler_on
        sync["auto_upgrade"] = "Enabled"  # on by default for DirSync upgrades (AU)
        self._staging(False)

    def _default_configuration(self, ad_identifier: str | None = None) -> dict:
        """The connectors a new install creates: the AD forest's and the tenant's, with the standard rules."""
        tenant = syncconfig.tenant_of(self.twin)  # the settings model's reading
        forest = str(self.twin.state.get("domain") or "WORKGROUP")  # UNCONFIRMED: the forest root is the domain
        ad_id = ad_identifier or _uuid5(f"{self.twin.state.get('hostname')}/connector/{forest}")
        return {"tenant": tenant, "connectors": [
            {"name": forest, "type": "AD", "identifier": str(ad_id).lower()},
            {"name": f"{tenant} - AAD", "type": "Extensible2", "identifier": ENTRA_CONNECTOR_ID}],
            "server_configuration": {"standard_rules": 38}}

    def _configure_by_hand(self, configuration: dict) -> None:
        """What an operator sets up by hand from the source's configuration (syncconfig.configuration): the AD
        connectors and the one Entra connector a Connect server has, the custom rules, with new identifiers as
        a new engine gives them (the same carrying-over as the wizard's import)."""
        connectors = configuration.get("connectors") or []
        entra = [c for c in connectors if c.get("type") != "AD"][:1]  # Connect has one Entra connector
        settings = {**configuration, "engine": "adsync",
                    "connectors": [c for c in connectors if c.get("type") == "AD"] + entra}
        config = syncconfig.imported_configuration(self.twin, settings)
        sync = self.twin.state["sync"]
        sync["configuration"] = config
        sync["connectors"] = [{"name": c["name"], "type": c["type"], "identifier": c["identifier"]}
                              for c in config["connectors"]]
        sync["tenant"] = config["global"]["tenant"]
        sync["password_hash_sync"] = config["global"]["password_hash_sync"]
        sync["server_configuration"] = {
            "standard_rules": sum(1 for r in config["rules"] if r.get("standard")),
            "custom_rules": [r["name"] for r in config["rules"] if not r.get("standard")]}

    def _write_policy(self) -> None:
        r"""Each wizard change writes %ProgramData%\AADConnect\Applied-SynchronizationPolicy-<stamp>.json
        (how-to-connect-import-export-config.md), from 1.5.42.0 on."""
        if version_tuple(self.sync.get("version") or "0") < (1, 5, 42):
            return
        name = f"Applied-SynchronizationPolicy-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}.json"
        with self.twin.building(modeled.RUNTIME):
            self.twin.files.write(f"{syncconfig.AADCONNECT_DATA}\\{name}", syncconfig.policy_json(self.twin))

    def _staging(self, on: bool) -> None:
        sync = self.twin.state["sync"]
        sync["staging_mode"] = bool(on)
        if isinstance(sync.get("scheduler"), dict):
            sync["scheduler"]["StagingModeEnabled"] = bool(on)


def _localdb_version(spec: dict) -> str:
    entry = (spec.get("registry") or {}).get(UNINSTALL + r"\{60111986-5D81-447C-8827-4B087C056CCC}") or {}
    return str(entry.get("DisplayVersion", "15.0.2000.5"))


def _uuid5(text: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, text))


@contextlib.contextmanager
def all_or_nothing(twin):
    """Run a change; on any error put the twin's state back as it was (in place, so the models' views of it
    stay valid) and re-raise."""
    saved = copy.deepcopy(twin.state)
    try:
        yield
    except BaseException:
        for key in [k for k in twin.state if k not in saved]:
            del twin.state[key]
        for key, value in saved.items():
            current = twin.state.get(key)
            if isinstance(current, dict) and isinstance(value, dict):
                current.clear()
                current.update(value)
            else:
                twin.state[key] = value
        raise
