r"""The ADSync sync engine (Azure AD Sync and Entra Connect Sync) as its PowerShell module shows it.

The twin's `sync:` state holds what the engine's cmdlets report (scheduler, auto-upgrade state, connectors).
Rules: the ADSync module is a CLR 4 assembly, so it imports only into PowerShell 3.0 or later; a cmdlet exists
only in builds whose state carries its data (Get-ADSyncScheduler since 1.1, when the scheduler is the
engine's own; Get-ADSyncAutoUpgrade; Get-ADSyncConnector); the cmdlets fail while the ADSync service is not
running, and for an account outside the ADSyncAdmins group (where the host has that group). Any other cmdlet is
not simulated.

Engine control (builds with the built-in scheduler): Set-ADSyncScheduler -SyncCycleEnabled, Set-ADSyncAutoUpgrade
-AutoUpgradeState Enabled|Disabled (Suspended is set by the system only, so the cmdlet refuses it),
Start-ADSyncSyncCycle, Get-ADSyncConnectorRunStatus and Get-ADSyncRunProfileResult; cycles and run history are
lab/twin/runhistory.py's.

Get-ADSyncServerConfiguration -Path writes the configuration as files (Connectors\Connector_{id}.xml,
GlobalSettings\GlobalSettings.xml, SynchronizationRules\SynchronizationRule_{id}.xml); the build has it when its
state says `server_configuration` (null: this build has no such cmdlet). The files and the configuration they
hold are the settings model's (lab/twin/syncconfig.py).
"""

from __future__ import annotations

from . import syncconfig
from .errors import NotSimulated
from .runhistory import CycleRefused, RunHistory

ASSEMBLY_TOO_NEW = ("This assembly is built by a runtime newer than the currently loaded runtime and cannot be "
                    "loaded.")


class CmdletError(Exception):
    """An error record a cmdlet writes (its message)."""


class SyncEngine:
    def __init__(self, twin):
        self.twin = twin
        self.history = RunHistory(twin)

    @property
    def state(self) -> dict:
        return self.twin.state.get("sync") or {}

    def import_module(self, clr: str) -> None:
        """Import-Module ADSync into a process on CLR `clr`; CmdletError when it cannot load."""
        if clr == "2.0":
            raise CmdletError(ASSEMBLY_TOO_NEW)
        if not self.state.get("module"):
            raise NotSimulated("an ADSync module file on a twin without a sync engine module")

    def _cmdlet(self, name: str) -> tuple[bool, list]:
        """(this build has the cmdlet, what it returns), for the cmdlets the lab knows."""
        scheduler, sync = self.state.get("scheduler"), self.state
        lower = name.lower()
        if lower == "get-adsyncscheduler":
            return isinstance(scheduler, dict) and "source" not in scheduler, [scheduler]
        if lower == "get-adsyncautoupgrade":
            return sync.get("auto_upgrade") is not None, [sync.get("auto_upgrade")]
        if lower == "get-adsyncconnector":
            return sync.get("connectors") is not None, list(sync.get("connectors") or [])
        if lower == "get-adsyncserverconfiguration":
            return self._server_configuration()
        builtin = isinstance(scheduler, dict) and "source" not in scheduler  # the engine's own scheduler (1.1+)
        if lower == "get-adsyncconnectorrunstatus":
            return builtin, [{"ConnectorName": n, "RunState": "Busy"} for n in self.history.running()] if builtin else []
        if lower == "get-adsyncrunprofileresult":
            if not builtin:
                raise NotSimulated("Get-ADSyncRunProfileResult on an engine without the built-in scheduler")
            return True, self.history.results()
        if lower in ("set-adsyncscheduler", "start-adsyncsynccycle"):
            return builtin, []
        if lower == "set-adsyncautoupgrade":
            return sync.get("auto_upgrade") is not None, []
        raise NotSimulated(f"cmdlet {name}")

    def _server_configuration(self) -> tuple[bool, list]:
        if "server_configuration" not in self.state:
            raise NotSimulated("Get-ADSyncServerConfiguration on a twin whose sync state does not say whether its "
                               "build has it (server_configuration)")
        config = self.state["server_configuration"]
        return config is not None, [config]

    def export_configuration(self, user: str | None = None) -> dict[str, bytes]:
        """What Get-ADSyncServerConfiguration -Path writes: relative path -> bytes (lab/twin/syncconfig.py)."""
        self.invoke("Get-ADSyncServerConfiguration", user)
        return syncconfig.export_files(self.twin)

    def has_cmdlet(self, name: str) -> bool:
        """Get-Command finds it in the imported module."""
        return self._cmdlet(name)[0]

    def invoke(self, name: str, user: str | None = None) -> list:
        """Run a Get- cmdlet as `user`; CmdletError while the engine's service is down or the user is not an
        ADSyncAdmins member."""
        self._guard(name, user)
        if name.lower() == "get-adsyncscheduler":
            self.history.settle()  # SyncCycleInProgress as of now
        return self._cmdlet(name)[1]

    # engine control ----------------------------------------------------------------------------------------
    def run_profile_results(self, user: str | None, connector_id: str | None = None,
                            number: int | None = None) -> list[dict]:
        """Get-ADSyncRunProfileResult [-ConnectorId <guid>] [-NumberRequested <n>], newest first."""
        self._guard("Get-ADSyncRunProfileResult", user)
        return self.history.results(connector_id, number)

    def set_scheduler(self, user: str | None, sync_cycle_enabled: bool) -> None:
        """Set-ADSyncScheduler -SyncCycleEnabled $true|$false."""
        self._guard("Set-ADSyncScheduler", user)
        self.state["scheduler"]["SyncCycleEnabled"] = bool(sync_cycle_enabled)

    def set_auto_upgrade(self, user: str | None, state: str) -> None:
        """Set-ADSyncAutoUpgrade -AutoUpgradeState Enabled|Disabled."""
        self._guard("Set-ADSyncAutoUpgrade", user)
        wanted = {"enabled": "Enabled", "disabled": "Disabled", "suspended": "Suspended"}.get(str(state).lower())
        if wanted is None:
            raise CmdletError(f"Cannot bind parameter 'AutoUpgradeState'. Cannot convert value \"{state}\". "
                              "Specify one of the following enumerator names and try again: Enabled, Suspended, "
                              "Disabled")
        if wanted == "Suspended":
            # Microsoft: Suspended "is set by the system only" (how-to-connect-install-automatic-upgrade).
            # UNCONFIRMED: the exact text of the refusal
            raise CmdletError("Set-ADSyncAutoUpgrade: the AutoUpgradeState Suspended can only be set by the system.")
        self.twin.state["sync"]["auto_upgrade"] = wanted

    def start_sync_cycle(self, user: str | None, policy: str) -> dict:
        """Start-ADSyncSyncCycle -PolicyType Delta|Initial: returns its result object ({Result: Success})."""
        self._guard("Start-ADSyncSyncCycle", user)
        try:
            return self.history.start(policy)
        except CycleRefused as exc:
            raise CmdletError(str(exc)) from None

    def _guard(self, name: str, user: str | None) -> None:
        if not self.has_cmdlet(name):
            raise CmdletError(f"The term '{name}' is not recognized as the name of a cmdlet, function, script "
                              "file, or operable program.")
        adsync = self.twin.services.get("ADSync")
        if adsync is None or adsync.state != "running":
            # UNCONFIRMED: the exact text the ADSync cmdlets print when the service is down
            raise CmdletError(f"{name}: the Microsoft Azure AD Sync service (ADSync) is not running.")
        groups = {g.lower() for g in self.twin.state.get("groups") or {}}
        if user is not None and "adsyncadmins" in groups and "ADSyncAdmins" not in self.twin.groups_of(user):
            # UNCONFIRMED: the exact text; Microsoft documents that the cmdlets need ADSyncAdmins membership
            raise CmdletError(f"{name}: access denied: {user} is not a member of the ADSyncAdmins group.")

