"""The lab's side of plugins/plugin_utils/powershell/sync-engine.ps1: the same steps, carried out on a twin.

The request is read the way PowerShell evaluates it (lab/powershell/psliteral.py). This file only translates the
script's steps; what the ADSync module, the Task Scheduler and the SCM do is the twin's (lab/twin/: syncengine
and runhistory, scheduledtasks, services, registry). The answer is the document the real script prints; what the
twin cannot answer becomes the script's `error` "lab: not simulated: ...".
"""

from __future__ import annotations

from ...twin.environment import expand
from ...twin.errors import NotSimulated
from ...twin.scheduledtasks import TaskNotFound, TaskScheduler
from ...twin.syncengine import CmdletError
from . import _request, services

ADSYNC_MODULE = "%ProgramFiles%\\Microsoft Azure AD Sync\\Bin\\ADSync\\ADSync.psd1"
ADSYNC_ENGINE = "%ProgramFiles%\\Microsoft Azure AD Sync\\Bin\\miiserver.exe"
DIRSYNC_SCHEDULER = "%ProgramFiles%\\Windows Azure Active Directory Sync\\Microsoft.Online.DirSync.Scheduler.exe"
AADSYNC_TASK = "Azure AD Sync Scheduler"
DIRSYNC_SERVICE = "MSOnline"
RECORD_KEY = r"HKLM\SOFTWARE\EntraSyncUpgrade\DirSyncScheduler"
SCHEDULER_RECORD_KEY = r"HKLM\SOFTWARE\EntraSyncUpgrade\Scheduler"
CSEXPORT = "%ProgramFiles%\\Microsoft Azure AD Sync\\Bin\\csexport.exe"
WMI_START_MODE = {"auto": "Auto", "delayed": "Auto", "manual": "Manual", "disabled": "Disabled", "boot": "Boot",
                  "system": "System"}
WMI_STATE = {"running": "Running", "stopped": "Stopped", "paused": "Paused"}
SET_SERVICE_STARTUP = {"automatic": "auto", "manual": "manual", "disabled": "disabled"}


class ScriptError(Exception):
    """What the script's catch block writes to `error`."""


def run(twin, script: str, stdin: bytes, environment: dict | None = None):
    request, refused = _request.read(script, "sync-engine")
    if refused:
        return refused
    environment = twin.environment() if environment is None else environment
    return _request.answer({"sync-engine": _Engine(twin, environment, request).run()})


def _get(table, key: str):
    if not isinstance(table, dict):
        return None
    return next((v for k, v in table.items() if k.lower() == key.lower()), None)


class _Engine:
    def __init__(self, twin, environment: dict, request):
        self.twin, self.env = twin, environment
        self.request = request if isinstance(request, dict) else {}
        self.user = environment.get("USERNAME")
        self.tool = str(_get(self.request, "tool") or "")
        self.operation = str(_get(self.request, "operation") or "")
        self.out = {"tool": self.tool, "operation": self.operation, "version": None, "scheduler": None,
                    "in_progress": None, "running": [], "auto_upgrade": None, "run_history": None, "cycle": None,
                    "record": None, "pending": None, "error": None}

    def run(self) -> dict:
        try:
            if self.tool == "connect":
                self._connect()
            elif self.tool == "aadsync":
                self._aadsync()
            elif self.tool == "dirsync":
                self._dirsync()
            else:
                raise ScriptError(f"unknown tool {self.tool}")
        except (ScriptError, services.ScriptError, CmdletError, NotSimulated, TaskNotFound) as exc:
            self.out["error"] = str(exc)
        return self.out

    def _expand(self, text: str) -> str:
        return expand(text, self.env)

    def _file_version(self, path: str):
        entry = self.twin.files.get(self._expand(path))
        return None if entry is None else entry.get("version")

    # connect: the ADSync module -----------------------------------------------------------------------------
    def _connect(self) -> None:
        self.out["version"] = self._file_version(ADSYNC_ENGINE)
        module = self._expand(ADSYNC_MODULE)
        if not self.twin.files.exists(module):
            raise ScriptError(f"The specified module '{module}' was not loaded because no valid module file was "
                              "found in any module directory.")
        engine = self.twin.adsync
        engine.import_module(self.twin.powershell_clr)
        if self.operation == "scheduler":
            self._record(bool(engine.invoke("Get-ADSyncScheduler", self.user)[0].get("SyncCycleEnabled")))
            engine.set_scheduler(self.user, bool(_get(self.request, "enabled")))
        elif self.operation == "cycle":
            self.out["cycle"] = engine.start_sync_cycle(self.user, str(_get(self.request, "policy")))["Result"]
        elif self.operation == "auto_upgrade":
            engine.set_auto_upgrade(self.user, str(_get(self.request, "state")))
        elif self.operation == "pending_exports":
            self.out["pending"] = self._pending_exports(engine)
        scheduler = engine.invoke("Get-ADSyncScheduler", self.user)[0]
        self.out["scheduler"] = {"enabled": bool(scheduler.get("SyncCycleEnabled")),
                                 "suspended": bool(scheduler.get("SchedulerSuspended")),
                                 "staging": bool(scheduler.get("StagingModeEnabled"))}
        self.out["in_progress"] = bool(scheduler.get("SyncCycleInProgress"))
        self.out["running"] = [s["ConnectorName"] for s in engine.invoke("Get-ADSyncConnectorRunStatus", self.user)]
        if engine.has_cmdlet("Get-ADSyncAutoUpgrade"):
            self.out["auto_upgrade"] = str(engine.invoke("Get-ADSyncAutoUpgrade", self.user)[0])
        history = int(_get(self.request, "history") or 0)
        if history > 0:
            runs = []
            for connector in engine.invoke("Get-ADSyncConnector", self.user):
                for run in engine.run_profile_results(self.user, connector["identifier"], history):
                    runs.append({"id": run["RunHistoryId"], "connector": run["ConnectorName"],
                                 "connector_id": run["ConnectorId"], "run_profile": run["RunProfileName"],
                                 "result": run["Result"], "start": _round_trip(run["StartDate"]),
                                 "end": _round_trip(run["EndDate"])})
            self.out["run_history"] = runs
        self.out["record"] = self._read_record()

    def _pending_exports(self, engine) -> list[dict]:
        """csexport per connector, counted as the script counts the XML (the model answers the counts)."""
        if not self.twin.files.exists(self._expand(CSEXPORT)):
            raise ScriptError(f"The term '{self._expand(CSEXPORT)}' is not recognized as the name of a cmdlet, "
                              "function, script file, or operable program.")
        return [{"connector": c["name"], **engine.history.pending_exports(c["name"])}
                for c in engine.invoke("Get-ADSyncConnector", self.user)]

    # how the scheduler was before an upgrade suspended it (connect, aadsync) ----------------------------------
    def _record(self, enabled: bool) -> None:
        action, registry = str(_get(self.request, "record") or ""), self.twin.registry
        if action == "write" and not registry.key_exists(SCHEDULER_RECORD_KEY):
            registry.create_key(SCHEDULER_RECORD_KEY)
            registry.set_value(SCHEDULER_RECORD_KEY, "Enabled", "dword", int(enabled))
        elif action == "remove" and registry.key_exists(SCHEDULER_RECORD_KEY):
            registry.delete_key(SCHEDULER_RECORD_KEY)

    def _read_record(self):
        if not self.twin.registry.key_exists(SCHEDULER_RECORD_KEY):
            return None
        return {"enabled": self.twin.registry.values(SCHEDULER_RECORD_KEY)["Enabled"]["data"] == 1}

    # aadsync: the scheduled task ----------------------------------------------------------------------------
    def _aadsync(self) -> None:
        self.out["version"] = self._file_version(ADSYNC_ENGINE)
        tasks = TaskScheduler(self.twin)
        task = tasks.get(AADSYNC_TASK)
        if self.operation == "scheduler":
            self._record(task.enabled)
            task = tasks.set_enabled(AADSYNC_TASK, bool(_get(self.request, "enabled")))
        elif self.operation != "status":
            raise ScriptError(f"operation {self.operation} is not run on Azure AD Sync")
        self.out["scheduler"] = {"enabled": task.enabled, "suspended": None, "staging": None}
        self.out["in_progress"] = task.state == 4
        self.out["record"] = self._read_record()

    # dirsync: the MSOnline service --------------------------------------------------------------------------
    def _dirsync(self) -> None:
        self.out["version"] = self._file_version(DIRSYNC_SCHEDULER)
        registry = self.twin.registry
        if self.operation == "scheduler":
            if _get(self.request, "enabled"):
                record = registry.values(RECORD_KEY) if registry.key_exists(RECORD_KEY) else None
                mode, state = "Automatic", "Running"
                if record is not None:
                    mode, state = str(record["StartMode"]["data"]), str(record["State"]["data"])
                self._set_startup("Automatic" if mode == "Auto" else mode)
                if state == "Running":
                    self._start()
                if record is not None:
                    registry.delete_key(RECORD_KEY)
            else:
                if not registry.key_exists(RECORD_KEY):
                    before = self._service()
                    registry.create_key(RECORD_KEY)
                    registry.set_value(RECORD_KEY, "StartMode", "string", before["start_mode"])
                    registry.set_value(RECORD_KEY, "State", "string", before["state"])
                self._stop()
                self._set_startup("Disabled")
        elif self.operation != "status":
            raise ScriptError(f"operation {self.operation} is not run on DirSync")
        svc = self._service()
        self.out["scheduler"] = {"enabled": svc["state"] == "Running" and svc["start_mode"] != "Disabled",
                                 "suspended": registry.key_exists(RECORD_KEY), "staging": False, "service": svc}
        if registry.key_exists(RECORD_KEY):
            self.out["record"] = {"enabled": registry.values(RECORD_KEY)["State"]["data"] == "Running"}

    def _service(self) -> dict:
        """Win32_Service's State and StartMode, 'Delayed' where DelayedAutostart is 1 (as the script reads it)."""
        svc = self.twin.services.get(DIRSYNC_SERVICE)
        if svc is None:
            raise ScriptError(f"the service {DIRSYNC_SERVICE} does not exist")
        mode = "Delayed" if svc.start_mode == "delayed" else WMI_START_MODE[svc.start_mode]
        return {"state": WMI_STATE[svc.state], "start_mode": mode}

    def _set_startup(self, mode: str) -> None:
        """Set-Service -StartupType Automatic|Manual|Disabled; 'Delayed' is the script's Automatic plus
        DelayedAutostart = 1 in the service's key."""
        wanted = {"Delayed": "delayed", **SET_SERVICE_STARTUP}.get(mode if mode == "Delayed" else mode.lower())
        if wanted is None:
            raise ScriptError(f"Cannot bind parameter 'StartupType'. Cannot convert value \"{mode}\" to type "
                              "\"System.ServiceProcess.ServiceStartMode\".")
        self.twin.services.configure(DIRSYNC_SERVICE, start_mode=wanted)

    def _start(self) -> None:
        services.start_service(self.twin, DIRSYNC_SERVICE)

    def _stop(self) -> None:
        services.stop_service(self.twin, DIRSYNC_SERVICE)

def _round_trip(iso: str) -> str:
    """A DateTime of kind Utc as the script's ToString('o') writes it: 7 fraction digits and Z."""
    head, _, frac = iso.rstrip("Z").partition(".")
    return f"{head}.{(frac + '0000000')[:7]}Z"
