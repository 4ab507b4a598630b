# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sync_engine: read and control a sync server's engine: scheduler, sync cycles, run history, auto-upgrade.

Like sync_facts it sends a project script (powershell/sync-engine.ps1, PowerShell 2.0-safe) over the host's raw
WinRM connection, because DirSync and Azure AD Sync servers lack the PowerShell 5.1 Ansible's modules need.
Every operation first reads the engine's state; the controller decides from it whether anything must change, so
check mode and a second run change nothing (docs/engine-control.md says what runs per tool).
"""

from __future__ import annotations

import time

from ansible.plugins.action import ActionBase
from ansible_collections.entra.sync_upgrade.plugins.plugin_utils import _outcome, _script

SCRIPT = "sync-engine"
ARGUMENT_SPEC = {
    "operation": {"type": "str", "required": True,
                  "choices": ["status", "scheduler", "suspend", "resume", "close", "cycle", "auto_upgrade",
                              "pending_exports"]},
    "tool": {"type": "str", "required": True, "choices": ["connect", "aadsync", "dirsync"]},
    "enabled": {"type": "bool"},
    "policy": {"type": "str", "default": "delta", "choices": ["delta", "initial"]},
    "state": {"type": "str", "choices": ["Enabled", "Disabled"]},
    "history": {"type": "int", "default": 3},
    "wait_timeout_seconds": {"type": "int", "default": 3600},
    "poll_seconds": {"type": "float", "default": 15},
    "fail_on_errors": {"type": "bool", "default": True},
}
# run profiles per connector in one cycle (import, sync, export): the window read before and after a cycle must
# hold at least one whole cycle, so the new records are exactly those the earlier read did not show
CYCLE_WINDOW = 10
STATE_KEYS = ("tool", "version", "scheduler", "in_progress", "running", "auto_upgrade", "record")
FULL_PROFILES = ("Full Import", "Full Synchronization")  # what a staging server's first cycle must have run
NOT_RUN = {
    "aadsync": "Azure AD Sync cycles are not run by the toolkit (its engine has no Start-ADSyncSyncCycle; the "
               "'Azure AD Sync Scheduler' task runs DirectorySyncClientCmd.exe)",
    "dirsync": "DirSync cycles are not run by the toolkit (Start-OnlineCoexistenceSync is not automated)",
}


class EngineFailed(Exception):
    """The operation cannot go on; the message is the cause the result reports."""


class ActionModule(ActionBase):
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        result = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        outcome = _outcome.guarded(_Operation(self, args, self._task.check_mode).run, (EngineFailed,),
                                   args["operation"])
        return _outcome.task_result(result, outcome, {"before": None, "after": None, "runs": [], "failed_runs": []})

    def remote(self, request: dict) -> dict:
        """Run the script once; its document, or EngineFailed with the host's error."""
        try:
            doc = _script.run(self, SCRIPT, request)
        except _script.ScriptFailed as exc:
            raise EngineFailed(str(exc)) from None
        if doc.get("error"):
            raise EngineFailed(f"{request['operation']} on {request['tool']}: {doc['error']}")
        return doc

class _Operation:
    def __init__(self, action: ActionModule, args: dict, check_mode: bool):
        self.action, self.args, self.check_mode = action, args, check_mode
        self.tool = args["tool"]

    def read(self, history: int = 0, operation: str = "status", **extra) -> dict:
        return self.action.remote({"operation": operation, "tool": self.tool, "history": history, **extra})

    def run(self) -> dict:
        operation = self.args["operation"]
        if self.args["history"] < 0:
            raise EngineFailed("history must be 0 or more")
        if operation == "scheduler" and self.args["enabled"] is None:
            raise EngineFailed("operation scheduler needs enabled: true or false")
        if operation == "auto_upgrade" and self.args["state"] is None:
            raise EngineFailed("operation auto_upgrade needs state: Enabled or Disabled")
        return getattr(self, "_" + operation)()

    # operations --------------------------------------------------------------------------------------------
    def _status(self) -> dict:
        doc = self.read(self.args["history"])
        runs = _runs(doc.get("run_history") or [])
        failed = _failed(_latest(runs))
        state = _state(doc)
        last = _last_per_connector(runs)
        outcome = {"status": "done", "changed": False, "before": state, "after": state, "runs": runs,
                   "failed_runs": failed, "run_history_read": doc.get("run_history") is not None,
                   "last_runs": last, "initial_done": _initial_done(runs),
                   "evidence": f"{self.tool} {state['version']}; scheduler {_word(state)}"
                               + ("; last runs: " + ", ".join(f"{r['connector']}: {r['run_profile']} {r['result']}"
                                                              for r in last) if last else "")}
        return self._judge(outcome)

    def _suspend(self) -> dict:
        """Sync cycles off for an upgrade; how the scheduler was is recorded on the server once (the first
        suspension), so that `resume` puts it back as it was even after a stopped or failed run."""
        doc = self.read()
        before = _state(doc)
        if before["record"] is not None and before["scheduler"]["enabled"] is False:
            return {"status": "unchanged", "changed": False, "before": before, "after": before,
                    "evidence": f"already suspended (before the upgrade: {_word(before['record'])})"}
        if self.check_mode:
            return {"status": "planned", "changed": True, "before": before, "after": before,
                    "plan": [f"suspend the {self.tool} scheduler (now {_word(before)}), recording how it was"]}
        extra = {} if self.tool == "dirsync" else {"record": "write"}
        after = _state(self.read(operation="scheduler", enabled=False, **extra))
        if after["scheduler"]["enabled"] is not False or after["record"] is None:
            raise EngineFailed("the scheduler is not suspended (or its earlier state not recorded) after the change")
        return {"status": "done", "changed": True, "before": before, "after": after,
                "evidence": f"scheduler {_word(before)} -> suspended (recorded: {_word(after['record'])})"}

    def _resume(self) -> dict:
        """The scheduler back as the suspension recorded it. The record stays until `close`, so a run that stops
        before the upgrade's delta cycle has succeeded is finished by the next one; nothing to do without one."""
        doc = self.read()
        before = _state(doc)
        record = before["record"]
        if record is None:
            return {"status": "unchanged", "changed": False, "before": before, "after": before,
                    "evidence": f"no suspension recorded; scheduler {_word(before)}"}
        if before["scheduler"]["enabled"] is bool(record["enabled"]):
            return {"status": "unchanged", "changed": False, "before": before, "after": before,
                    "evidence": f"scheduler already as it was before the upgrade: {_word(before)}"}
        if self.check_mode:
            return {"status": "planned", "changed": True, "before": before, "after": before,
                    "plan": [f"put the {self.tool} scheduler back as it was ({_word(record)})"]}
        after = _state(self.read(operation="scheduler", enabled=bool(record["enabled"])))
        if after["scheduler"]["enabled"] is not bool(record["enabled"]) and self.tool != "dirsync":
            raise EngineFailed(f"the scheduler is not {_word(record)} after restoring it")
        return {"status": "done", "changed": True, "before": before, "after": after,
                "evidence": f"scheduler back as it was before the upgrade: {_word(after)}"}

    def _close(self) -> dict:
        """The upgrade is finished: its record of the suspended scheduler goes (the scheduler stays as it is)."""
        doc = self.read()
        before = _state(doc)
        if before["record"] is None:
            return {"status": "unchanged", "changed": False, "before": before, "after": before,
                    "evidence": "no suspension recorded"}
        if self.check_mode:
            return {"status": "planned", "changed": True, "before": before, "after": before,
                    "plan": ["close the upgrade (remove the scheduler record)"]}
        after = _state(self.read(operation="scheduler", enabled=bool(before["scheduler"]["enabled"]),
                                 record="remove"))
        if after["record"] is not None:
            raise EngineFailed("the scheduler record is still there after removing it")
        return {"status": "done", "changed": True, "before": before, "after": after,
                "evidence": "upgrade closed: the scheduler record is removed"}

    def _scheduler(self) -> dict:
        wanted = bool(self.args["enabled"])
        doc = self.read()
        before = _state(doc)
        if before["scheduler"]["enabled"] is wanted:
            return {"status": "unchanged", "changed": False, "before": before, "after": before}
        if self.check_mode:
            planned = {**before, "scheduler": {**before["scheduler"], "enabled": wanted}}
            return {"status": "planned", "changed": True, "before": before, "after": planned}
        after = _state(self.read(operation="scheduler", enabled=wanted))
        if after["scheduler"]["enabled"] is not wanted and self.tool != "dirsync":
            raise EngineFailed(f"the scheduler is still {'on' if not wanted else 'off'} after the change")
        # DirSync's scheduler comes back as it was recorded, which may be stopped: `after` says so
        return {"status": "done", "changed": True, "before": before, "after": after}

    def _auto_upgrade(self) -> dict:
        if self.tool != "connect":
            raise EngineFailed(f"auto-upgrade is a feature of Entra Connect only, not of {self.tool}")
        wanted = self.args["state"]
        before = _state(self.read())
        if before["auto_upgrade"] == wanted:
            return {"status": "unchanged", "changed": False, "before": before, "after": before}
        if before["auto_upgrade"] is None:
            raise EngineFailed("this build has no Get-ADSyncAutoUpgrade")
        if self.check_mode:
            return {"status": "planned", "changed": True, "before": before, "after": {**before, "auto_upgrade": wanted}}
        after = _state(self.read(operation="auto_upgrade", state=wanted))
        return {"status": "done", "changed": True, "before": before, "after": after,
                "evidence": f"automatic upgrade {before['auto_upgrade']} -> {after['auto_upgrade']}"}

    def _pending_exports(self) -> dict:
        """What each connector would export (csexport, as Microsoft's staging-server guide reviews it): read-only."""
        if self.tool != "connect":
            raise EngineFailed(f"pending exports are read on Entra Connect only, not on {self.tool}")
        doc = self.read(operation="pending_exports")
        state = _state(doc)
        pending = [{"connector": str(p.get("connector")), **{k: int(p.get(k) or 0) for k in ("add", "update", "delete")}}
                   for p in doc.get("pending") or []]
        totals = {k: sum(p[k] for p in pending) for k in ("add", "update", "delete")}
        return {"status": "done", "changed": False, "before": state, "after": state, "pending": pending,
                "totals": totals, "evidence": "pending exports: " + (", ".join(
                    f"{p['connector']}: {p['add']} adds, {p['update']} updates, {p['delete']} deletes"
                    for p in pending) or "no connectors")}

    def _cycle(self) -> dict:
        if self.tool in NOT_RUN:
            raise EngineFailed(NOT_RUN[self.tool])
        policy = "Initial" if self.args["policy"] == "initial" else "Delta"
        window = max(CYCLE_WINDOW, self.args["history"])
        doc = self.read(window)
        before = _state(doc)
        if self.check_mode:
            return {"status": "planned", "changed": True, "before": before, "after": before, "policy": policy,
                    "plan": [f"start a {policy} sync cycle and check each connector's run results"]}
        deadline = time.monotonic() + self.args["wait_timeout_seconds"]
        if _busy(doc):  # a cycle of the scheduler's own: let it end, then start ours
            self._wait_idle(deadline, "a cycle already running")
            doc = self.read(window)
        known = {r["id"] for r in doc.get("run_history") or []}
        self.read(operation="cycle", policy=policy)
        started = time.monotonic()
        self._wait_idle(deadline, f"the {policy} cycle")
        doc = self.read(window)
        runs = _runs([r for r in doc.get("run_history") or [] if r["id"] not in known])
        if not runs:
            raise EngineFailed(f"the {policy} cycle ended without a run profile result")
        outcome = {"status": "done", "changed": True, "before": before, "after": _state(doc), "runs": runs,
                   "failed_runs": _failed(runs), "policy": policy,
                   "waited_seconds": round(time.monotonic() - started, 1),
                   "evidence": f"{policy} cycle: " + ", ".join(f"{r['connector']}: {r['run_profile']} {r['result']}"
                                                               for r in runs)}
        return self._judge(outcome)

    def _wait_idle(self, deadline: float, what: str) -> None:
        while True:
            if not _busy(self.read()):
                return
            if time.monotonic() >= deadline:
                raise EngineFailed(f"{what} was still running after {self.args['wait_timeout_seconds']} s")
            time.sleep(max(0.2, min(self.args["poll_seconds"], deadline - time.monotonic())))

    def _judge(self, outcome: dict) -> dict:
        """A run that did not succeed fails the task, naming it (unless fail_on_errors is false)."""
        if outcome["failed_runs"] and self.args["fail_on_errors"]:
            named = "; ".join(f"{r['connector']}: {r['run_profile']} = {r['result']}" for r in outcome["failed_runs"])
            outcome.update(status="failed", cause=f"run profile results other than success: {named}")
        return outcome


def _state(doc: dict) -> dict:
    return {k: doc.get(k) for k in STATE_KEYS}


def _word(state: dict | None) -> str:
    """'enabled' / 'disabled' / 'unknown' for a state (or a record) with a scheduler flag."""
    enabled = (state or {}).get("scheduler", state or {})
    enabled = enabled.get("enabled") if isinstance(enabled, dict) else None
    return {True: "enabled", False: "disabled"}.get(enabled, "unknown")


def _last_per_connector(runs: list[dict]) -> list[dict]:
    """Each connector's newest run profile result (runs are oldest first)."""
    last: dict = {}
    for run in runs:
        last[run["connector"]] = run
    return list(last.values())


def _initial_done(runs: list[dict]) -> bool:
    """Every connector in the history has run a successful Full Import and Full Synchronization."""
    done: dict = {}
    for run in runs:
        if run["run_profile"] in FULL_PROFILES and str(run["result"]).lower() == "success":
            done.setdefault(run["connector"], set()).add(run["run_profile"])
    connectors = {run["connector"] for run in runs}
    return bool(connectors) and all(done.get(c) == set(FULL_PROFILES) for c in connectors)


def _busy(doc: dict) -> bool:
    return bool(doc.get("in_progress")) or bool(doc.get("running"))


def _runs(records: list[dict]) -> list[dict]:
    """{connector, run_profile, result, start, end}, oldest first (ISO 8601 UTC strings sort by time)."""
    runs = [{k: r.get(k) for k in ("connector", "run_profile", "result", "start", "end")} for r in records]
    return sorted(runs, key=lambda r: (str(r["start"]), str(r["connector"])))


def _latest(runs: list[dict]) -> list[dict]:
    """The newest result per connector and run profile."""
    latest: dict = {}
    for run in runs:
        latest[(run["connector"], run["run_profile"])] = run
    return list(latest.values())


def _failed(runs: list[dict]) -> list[dict]:
    return [r for r in runs if str(r["result"]).lower() != "success"]
