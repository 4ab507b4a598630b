# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sync_handoff: hand one wizard step to the operator, then wait until detection proves it done (or stop).

Microsoft supports the Connect wizard only interactively, so the run writes the step's instructions to a note
on the server's all-users desktop and to the run output, and then, by mode:
  wait  probes the host (the sync_facts probe, _detect.py) every poll_seconds until the expectation holds
        (status done, note removed) or timeout_minutes pass (status failed, with what was expected and seen);
  stop  returns status waiting: the host's run ends cleanly and the next run of the playbook picks it up.
Every run probes first: a step already done is `unchanged` (its note removed), so re-running is safe. The rules
(statuses, when the note is written or removed) are _handoff.next_step's, shared with an AWX approval flow.
A failure is a status, not a failed task: the role publishes the result first and then fails the host.
"""

from __future__ import annotations

import datetime as dt
import time

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible_collections.entra.sync_upgrade.plugins.plugin_utils import _detect, _script, _status
from ansible_collections.entra.sync_upgrade.plugins.plugin_utils import _handoff as handoff
from ansible_collections.entra.sync_upgrade.plugins.plugin_utils import _progress as progress

ARGUMENT_SPEC = {
    "step": {"type": "str", "required": True, "choices": list(handoff.STEPS)},
    "title": {"type": "str"},
    "instructions": {"type": "list", "elements": "str"},
    "parameters": {"type": "dict", "default": {}},
    "expect": {"type": "list", "elements": "dict"},
    "mode": {"type": "str", "default": "wait", "choices": [*handoff.MODES, "withdraw"]},
    "timeout_minutes": {"type": "float", "default": 60.0},
    "poll_seconds": {"type": "float", "default": 30.0},
    "note_folder": {"type": "str", "default": handoff.NOTE_FOLDER},
}
# What a probe may raise while the host restarts: the winrm plugin wraps a failed connect, but a request on an
# open connection fails with the transport's own error (requests' ConnectionError is an OSError)
try:
    from winrm.exceptions import WinRMError, WinRMTransportError
    RETRIED_ERRORS: tuple = (AnsibleError, OSError, WinRMError, WinRMTransportError)
except ImportError:  # pywinrm is the winrm connection's requirement; without it there is no such error
    RETRIED_ERRORS = (AnsibleError, OSError)
REQUIRED_IF = [("mode", mode, ("instructions", "expect")) for mode in handoff.MODES]
# a progress line at the default verbosity on _progress.WaitSchedule's growing interval; every poll at -v


class NoteFailed(Exception):
    """The note script failed on the host; the message is the cause."""


class ActionModule(ActionBase):
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        result = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC, required_if=REQUIRED_IF)
        host = self._task.delegate_to or task_vars["inventory_hostname"]  # the server it runs on
        if args["mode"] == "withdraw":
            return {**result, **_withdraw(self, host, args, self._task.check_mode)}
        try:
            parameters = _parameters(args["parameters"])
            checks = handoff.validate(args["step"], args["instructions"], parameters, args["expect"], args["mode"],
                                      args["timeout_minutes"], args["poll_seconds"])
        except handoff.HandoffError as exc:
            return {**result, "failed": True, "msg": f"{host}: sync_handoff: {exc}"}
        run = _Handoff(self, host, args, parameters, checks)
        try:
            outcome = run.run(self._task.check_mode)
        except NoteFailed as exc:
            outcome = run.result(handoff.FAILED, cause=f"{host}: step {args['step']}: {exc}")
        except AnsibleError as exc:
            if not _detect.is_connection_error(exc):
                raise
            outcome = run.result(handoff.FAILED, cause=f"{host}: step {args['step']}: the connection failed: "
                                                      f"{to_text(exc)}")
        if outcome["status"] == handoff.FAILED:
            outcome["msg"] = outcome["cause"]
        return {**result, **outcome}


def _withdraw(action: ActionModule, host: str, args: dict, check_mode: bool) -> dict:
    """Take a step's note off the desktop when the step is no longer wanted (a rollback withdraws the cutover's
    "staging mode off" note, so nobody does it later). No probe: the note is the only thing it touches."""
    request = {"folder": args["note_folder"], "name": handoff.note_name(args["step"]), "lines": []}
    try:
        doc = _script.run(action, "handoff-note", {**request, "action": "read" if check_mode else "remove"})
    except _script.ScriptFailed as exc:
        doc = {"error": str(exc)}
    if doc.get("error"):
        cause = f"{host}: step {args['step']}: withdrawing its note failed: {doc['error']}"
        return {"failed": True, "msg": cause, "status": handoff.FAILED, "cause": cause, "changed": False}
    there = bool(doc.get("existed"))
    status = (handoff.PLANNED if check_mode else "withdrawn") if there else handoff.UNCHANGED
    return {"changed": there, "status": status, "cause": None, "step": args["step"], "mode": "withdraw",
            "note_path": doc.get("path"),
            "evidence": f"note {doc.get('path')} {'withdrawn' if there else 'not there'}",
            **({"plan": [f"withdraw the note {doc.get('path')}"]} if check_mode and there else {})}


def _parameters(raw: dict) -> dict:
    """Parameter values as text; a YAML boolean is refused, since `Staging: on` would arrive as True."""
    out = {}
    for key, value in (raw or {}).items():
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise handoff.HandoffError(f"parameter {key} must be text (quote it: YAML reads on/off/yes/no as "
                                       f"booleans), not {value!r}")
        out[str(key)] = str(value)
    return out


class _Handoff:
    def __init__(self, action: ActionModule, host: str, args: dict, parameters: dict, checks: list[dict]):
        self.action, self.host, self.args, self.parameters, self.checks = action, host, args, parameters, checks
        self.step, self.mode = args["step"], args["mode"]
        self.title = args["title"] or self.step
        self.display = action._display
        self.note_path = None
        self.issued = None
        self.changed = False
        self.results: list[dict] = []  # the last checks evaluated
        self.waited = 0.0
        self.warnings: list[str] = []
        # files a check waits for (files.<path>.exists): the probe reads them too
        self.files = [c["fact"][len("files."):].rsplit(".", 1)[0] for c in checks if c["fact"].startswith("files.")]

    # the handoff ---------------------------------------------------------------------------------------------
    def run(self, check_mode: bool) -> dict:
        found = _detect.detect(self.action, files=self.files)
        if not found.assessed:
            return self.result(handoff.FAILED, cause=f"{self.host}: step {self.step}: the host could not be "
                                                     f"probed: {found.cause}")
        self.results = handoff.evaluate(self.checks, found.facts)
        lines = handoff.render_note(self.step, self.host, found.computer_name,
                                    handoff.utc_stamp(dt.datetime.now(dt.UTC)), self.parameters,
                                    self.args["instructions"], [c["text"] for c in self.checks])
        note_state = self._note_state(lines)
        step = handoff.next_step(check_mode, self.mode, handoff.all_hold(self.results), note_state)
        if check_mode:
            self.changed = step.note is not None
            return self.result(step.status)
        self._apply(step.note, lines)
        if step.status != handoff.WAITING:
            return self.result(step.status)
        self._announce()
        if step.finished:  # stop mode
            return self.result(handoff.WAITING)
        return self._wait()

    def _wait(self) -> dict:
        timeout = self.args["timeout_minutes"] * 60
        poll = self.args["poll_seconds"]
        start = time.monotonic()
        schedule = progress.WaitSchedule(poll)
        last_error = None
        while True:
            time.sleep(max(0.0, min(poll, timeout - (time.monotonic() - start))))
            found = self._probe()
            self.waited = time.monotonic() - start
            if found.assessed:
                self.results, last_error = handoff.evaluate(self.checks, found.facts), None
                holds = handoff.all_hold(self.results)
            else:
                holds, last_error = None, found.cause
            step = handoff.next_step(False, self.mode, holds, handoff.NOTE_CURRENT, self.waited, timeout)
            self._progress(holds, last_error, loud=schedule.due(self.waited) and not step.finished)
            if step.finished:
                break
        if step.status == handoff.DONE:
            self._apply_quietly(step.note)
            return self.result(handoff.DONE)
        cause = (f"{self.host}: step {self.step} not done after {self.args['timeout_minutes']:g} min; "
                 f"{handoff.mismatch(self.results)}")
        if last_error:
            cause += f"; the last probe failed: {last_error}"
        return self.result(handoff.FAILED, cause=cause)

    def _probe(self) -> _detect.Detection:
        """One probe while waiting; the host may be restarting, so any connection error is retried later."""
        try:
            found = _detect.detect(self.action, files=self.files)
        except RETRIED_ERRORS as exc:
            found = _detect.Detection(_status.UNREACHABLE, f"the probe failed: {to_text(exc)}")
        if not found.assessed:
            self._reset_connection()
        return found

    def _reset_connection(self) -> None:
        try:
            self.action._connection.reset()  # a shell opened before a restart is gone: open a new one
        except Exception as exc:  # noqa: BLE001 - the next poll reports what is wrong
            self.display.vvv(f"{self.host}: resetting the connection failed: {exc}")

    # the note ------------------------------------------------------------------------------------------------
    def _note_state(self, lines: list[str]) -> str:
        doc = self._note("read")
        self.note_path = doc.get("path")
        if not doc.get("existed"):
            return handoff.NOTE_ABSENT
        try:
            existing = handoff.parse_note(doc.get("text") or "")
        except ValueError:
            return handoff.NOTE_STALE
        if handoff.same_request(existing, handoff.parse_note("\r\n".join(lines))):
            self.issued = existing["issued"]  # the operator has had it since then
            return handoff.NOTE_CURRENT
        return handoff.NOTE_STALE

    def _apply(self, action: str | None, lines: list[str]) -> None:
        if action == "write":
            doc = self._note("write", lines)
            self.changed, self.note_path = True, doc.get("path")
            self.issued = handoff.parse_note("\r\n".join(lines))["issued"]
        elif action == "remove":
            self.changed = self._note("remove").get("removed") or self.changed

    def _apply_quietly(self, action: str | None) -> None:
        """Remove the note once the step is done; the step stays done if that fails (a warning says so)."""
        try:
            self._apply(action, [])
        except (NoteFailed, AnsibleError) as exc:
            self.warnings.append(f"the step is done but its note {self.note_path} could not be removed: {exc}")

    def _note(self, what: str, lines: list[str] | None = None) -> dict:
        request = {"action": what, "folder": self.args["note_folder"], "name": handoff.note_name(self.step),
                   "lines": lines or []}
        try:
            doc = _script.run(self.action, "handoff-note", request)
        except _script.ScriptFailed as exc:
            raise NoteFailed(str(exc)) from None
        if doc.get("error"):
            raise NoteFailed(f"the note {doc.get('path') or self.args['note_folder']} ({what}): {doc['error']}")
        return doc

    # the run output ------------------------------------------------------------------------------------------
    def _announce(self) -> None:
        lines = [f"HANDOFF {self.host}: step {self.step}: {self.title}"]
        lines += [f"  {k}: {v}" for k, v in self.parameters.items()]
        lines += ["  What to do:"] + [f"    {n}. {t}" for n, t in enumerate(self.args["instructions"], 1)]
        lines += ["  When it is done, the run sees:"] + [f"    - {c['text']}" for c in self.checks]
        lines += [f"  The note on the server: {self.note_path}"]
        if self.mode == "wait":
            lines += [f"  Waiting up to {self.args['timeout_minutes']:g} min (probing every "
                      f"{self.args['poll_seconds']:g} s)."]
        else:
            lines += [f"  {handoff.resume_hint(self.step)}."]
        self.display.display("\n".join(lines), color="bright purple")

    def _progress(self, holds: bool | None, error: str | None, loud: bool) -> None:
        if holds is None:
            seen = f"the probe failed (retrying): {error}"
        else:
            seen = "done" if holds else f"not done yet: {handoff.mismatch(self.results)}"
        line = (f"{self.host}: step {self.step} ({self.title}): waiting for the operator for "
                f"{progress.duration(self.waited)} (time-out {progress.duration(self.args['timeout_minutes'] * 60)}): {seen}")
        if loud:
            self.display.display(line)
        else:
            self.display.v(line)

    # the result ------------------------------------------------------------------------------------------------
    def result(self, status: str, cause: str | None = None) -> dict:
        out = {
            "changed": self.changed, "status": status, "cause": cause, "step": self.step, "title": self.title,
            "mode": self.mode, "instructions": list(self.args["instructions"]), "parameters": self.parameters,
            "expect": [{k: c[k] for k in ("fact", "op", "expected", "text")} for c in self.checks],
            "observed": handoff.observed(self.results), "checks": self.results, "note_path": self.note_path,
            "issued": self.issued, "waited_seconds": round(self.waited, 1),
        }
        seen = "; ".join(f"{r['text']}: {'yes' if r.get('ok') else 'no'} (seen {r.get('seen')!r})"
                         for r in self.results)
        out["evidence"] = {handoff.DONE: f"done by the operator after {round(self.waited)} s; {seen}",
                           handoff.UNCHANGED: f"already done; {seen}",
                           handoff.WAITING: f"waits for the operator (note {self.note_path})",
                           handoff.PLANNED: "would hand the step to the operator and wait"}.get(status, cause or "")
        if status == handoff.WAITING:
            out["msg"] = f"{self.host}: {handoff.resume_hint(self.step)}"
        if self.warnings:
            out["warnings"] = list(self.warnings)
        return out
