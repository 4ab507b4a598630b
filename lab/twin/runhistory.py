r"""Sync cycles and run history of the ADSync engine (Entra Connect Sync), as its cmdlets show them.

Microsoft's scheduler page (how-to-connect-sync-feature-scheduler) defines a cycle: Delta = delta import, delta
sync, export on every connector; Initial = full import, full sync, export. The built-in scheduler orders them:
imports (on-premises directories first, then Entra ID), syncs (the same), exports (Entra ID first, then the
on-premises directories). StagingModeEnabled "suppresses the exports from running but still run import and
synchronization": a staging server's cycle has no Export runs.

Start-ADSyncSyncCycle returns at once; the cycle then runs one run profile at a time, each STEP_SECONDS of lab
time (a real one takes seconds to hours). While it runs, SyncCycleInProgress is true and
Get-ADSyncConnectorRunStatus names the running connector (empty when idle). Each finished run profile is a
Get-ADSyncRunProfileResult record, newest first. The cycle is settled (steps that ended become records) whenever
the engine is looked at, so a cycle nobody watches still ends on time.

Refusals: a second Start-ADSyncSyncCycle while a cycle runs fails as the real one does ("Connector: <name> is
busy."); a suspended scheduler (SchedulerSuspended, set while the wizard is open or an upgrade runs) refuses
too (UNCONFIRMED: the exact text). SyncCycleEnabled false does not refuse a manual start: it only stops the
scheduler's own cycles (the page: disable the cycle "if you need to have your own synchronization cycle
process"; UNCONFIRMED that Start-ADSyncSyncCycle itself is accepted then, as the lab assumes).

Pending exports: what a connector's space holds to export (`sync.pending_exports`, connector name -> counts of
adds, updates and deletes; a profile or a test sets them, none by default). A staging server keeps them (it never
exports: Microsoft's staging-server guide reviews them with csexport before the server goes active); a successful
Export run on a connector empties its count, a failed one leaves it.

Fault `sync_run_result` (twin state `faults`, set by tests): {"run_profile": "Export" | "Import" | "Sync" | a
full name, "connector": name (optional, else every connector), "result": a run result string}; the matching
runs end with that result (e.g. completed-export-errors, stopped-deletion-threshold-exceeded,
stopped-connectivity); the cycle goes on with the next run profile, as the scheduler does.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid

from .errors import NotSimulated

STEP_SECONDS = 0.4  # lab time per run profile (a real one: seconds to hours)
POLICIES = {"delta": ("Delta Import", "Delta Synchronization"), "initial": ("Full Import", "Full Synchronization")}
EXPORT = "Export"
# result strings of the sync engine's run history (the FIM/MIM run status values the Synchronization Service
# Manager shows); the lab accepts these for the fault, so a typo cannot pass for a failure
RESULTS = ("success", "completed-no-objects", "completed-warnings", "completed-sync-errors",
           "completed-export-errors", "completed-discovery-errors", "completed-transient-objects",
           "stopped-connectivity", "stopped-server-down", "stopped-extension-dll-exception",
           "stopped-deletion-threshold-exceeded", "stopped-user-termination", "stopped-timeout",
           "no-start-connection", "no-start-credentials")
HISTORY_LIMIT = 200  # records kept per host (the engine purges after PurgeRunHistoryInterval)


class CycleRefused(Exception):
    """Start-ADSyncSyncCycle's error record (its message)."""


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _is_entra(connector: dict) -> bool:
    """The Entra ID connector (its type is Extensible2 and the wizard names it '<tenant> - AAD')."""
    return str(connector.get("name", "")).endswith(" - AAD") or str(connector.get("type")) == "Extensible2"


class RunHistory:
    """Cycles and run records of one twin's ADSync engine; state in `sync.cycle` and `sync.run_history`."""

    def __init__(self, twin):
        self.twin = twin

    @property
    def sync(self) -> dict:
        return self.twin.state.setdefault("sync", {})

    @property
    def scheduler(self) -> dict:
        scheduler = self.sync.get("scheduler")
        if not isinstance(scheduler, dict) or "source" in scheduler:
            raise NotSimulated("sync cycles on an engine without the built-in scheduler (before Connect 1.1)")
        return scheduler

    def staging(self) -> bool:
        return bool(self.scheduler.get("StagingModeEnabled", self.sync.get("staging_mode")))

    # the cycle ---------------------------------------------------------------------------------------------
    def plan(self, policy: str) -> list[dict]:
        """The run profiles a cycle of `policy` runs, in the scheduler's order."""
        connectors = list(self.sync.get("connectors") or [])
        if not connectors:
            raise NotSimulated("a sync cycle on an engine without connectors")
        on_prem = [c for c in connectors if not _is_entra(c)]
        entra = [c for c in connectors if _is_entra(c)]
        imports, syncs = POLICIES[policy]
        steps = [(c, imports) for c in on_prem + entra] + [(c, syncs) for c in on_prem + entra]
        if not self.staging():
            steps += [(c, EXPORT) for c in entra + on_prem]
        return [{"connector": str(c["name"]), "connector_id": str(c["identifier"]).lower(), "run_profile": p}
                for c, p in steps]

    def start(self, policy: str, now: float | None = None) -> dict:
        """Start-ADSyncSyncCycle -PolicyType <policy>: the cycle begins now; returns its Result object."""
        now = time.time() if now is None else now
        key = str(policy).lower()
        if key not in POLICIES:
            raise CycleRefused(f"Cannot bind parameter 'PolicyType'. Cannot convert value \"{policy}\" to type "
                               "\"Microsoft.IdentityManagement.PowerShell.ObjectModel.SynchronizationPolicyType\". "
                               "Error: \"Unable to match the identifier name " + str(policy) + " to a valid "
                               "enumerator name. Specify one of the following enumerator names and try again: "
                               "Delta, Initial\"")
        self.settle(now)
        scheduler = self.scheduler
        cycle = self.sync.get("cycle")
        if cycle:
            running = self.running(now) or [cycle["steps"][-1]["connector"]]
            raise CycleRefused(f"System.InvalidOperationException: Connector: {running[0]} is busy.")
        if scheduler.get("SchedulerSuspended"):
            # UNCONFIRMED: the exact text when the scheduler is suspended (wizard open, upgrade running)
            raise CycleRefused("System.InvalidOperationException: The scheduler is suspended.")
        steps = self.plan(key)
        for i, step in enumerate(steps):
            step.update(start=now + i * STEP_SECONDS, end=now + (i + 1) * STEP_SECONDS, result=self._result(step))
        self.sync["cycle"] = {"policy": "Initial" if key == "initial" else "Delta", "steps": steps}
        scheduler["SyncCycleInProgress"] = True
        return {"Result": "Success"}

    def _result(self, step: dict) -> str:
        fault = self.twin.fault("sync_run_result")
        injected = self.twin.faults.sync_results()  # `lab fault HOST sync_run_result`, counted when it fires
        for rule in (fault if isinstance(fault, list) else [fault] if fault else []) + injected:
            profile = str(rule.get("run_profile", ""))
            kind = {"Import": "Import", "Sync": "Synchronization", "Export": "Export"}.get(profile)
            matches = step["run_profile"].endswith(kind) if kind else step["run_profile"] == profile
            if matches and rule.get("connector") in (None, step["connector"]):
                if rule.get("result") not in RESULTS:
                    raise ValueError(f"fault sync_run_result: result must be one of {RESULTS}")
                if rule in injected:
                    self.twin.faults.count(rule, step["run_profile"])
                return str(rule["result"])
        return "success"

    def settle(self, now: float | None = None) -> None:
        """Steps that ended become run records; a cycle whose last step ended is over."""
        cycle = self.sync.get("cycle")
        if not cycle:
            return
        now = time.time() if now is None else now
        pending = []
        for step in cycle["steps"]:
            if step["end"] <= now:
                self._record(step)
            else:
                pending.append(step)
        cycle["steps"] = pending
        if not pending:
            self.sync["cycle"] = None
            self.scheduler.update(SyncCycleInProgress=False, NextSyncCyclePolicyType="Delta")

    def _record(self, step: dict) -> None:
        if step["run_profile"] == EXPORT and step["result"] == "success":
            (self.sync.get("pending_exports") or {}).pop(step["connector"], None)
        history = self.sync.setdefault("run_history", [])
        number = 1 + max((r["RunNumber"] for r in history if r["ConnectorId"] == step["connector_id"]), default=0)
        host = self.twin.state["hostname"]
        history.insert(0, {
            "RunHistoryId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{host}/run/{step['connector_id']}/{number}")),
            "ConnectorId": step["connector_id"], "ConnectorName": step["connector"],
            "RunProfileId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{step['connector_id']}/{step['run_profile']}")),
            "RunProfileName": step["run_profile"], "RunNumber": number, "Result": step["result"],
            "StartDate": _iso(step["start"]), "EndDate": _iso(step["end"]), "IsRunComplete": True})
        del history[HISTORY_LIMIT:]

    # reads -------------------------------------------------------------------------------------------------
    def in_progress(self, now: float | None = None) -> bool:
        self.settle(now)
        return bool(self.sync.get("cycle"))

    def running(self, now: float | None = None) -> list[str]:
        """Get-ADSyncConnectorRunStatus: the connector whose run profile is running now (empty when idle)."""
        now = time.time() if now is None else now
        cycle = self.sync.get("cycle") or {}
        return [s["connector"] for s in cycle.get("steps") or [] if s["start"] <= now < s["end"]][:1]

    def pending_exports(self, connector: str) -> dict:
        """csexport <connector> /f:x, counted the way Microsoft's CSExportAnalyzer reports it: add, update, delete."""
        self.settle()
        counts = (self.sync.get("pending_exports") or {}).get(connector) or {}
        return {kind: int(counts.get(kind, 0)) for kind in ("add", "update", "delete")}

    def results(self, connector_id: str | None = None, number: int | None = None) -> list[dict]:
        """Get-ADSyncRunProfileResult [-ConnectorId] [-NumberRequested]: newest first."""
        self.settle()
        records = [dict(r) for r in self.sync.get("run_history") or []
                   if connector_id is None or r["ConnectorId"] == str(connector_id).lower()]
        return records if number is None else records[:max(0, int(number))]
