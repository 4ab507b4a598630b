"""The lab's side of plugins/plugin_utils/powershell/services.ps1: read services and set their start mode and state.

Only translation: Win32_Service's view, Set-Service, Start-Service and Stop-Service carried out by the twin's
service control manager (lab/twin/services.py), which owns the rules (a disabled service does not start, a
service whose program is missing does not start, a service with running dependents does not stop). Errors are
the cmdlets' texts, as the script's catch block writes them.
"""

from __future__ import annotations

from ...twin.errors import NotSimulated, Win32Error
from . import _request

START_MODES = ("auto", "delayed", "manual", "disabled")


class ScriptError(Exception):
    """What the script's catch block writes to `error`."""


def run(twin, script: str, stdin: bytes, environment: dict | None = None):
    request, refused = _request.read(script, "services")
    if refused:
        return refused
    out = {"services": [], "error": None}
    try:
        request = request if isinstance(request, dict) else {}
        apply = bool(request.get("apply"))
        wanted_list = request.get("services") or []
        for wanted in wanted_list if isinstance(wanted_list, list) else [wanted_list]:
            name = str(wanted.get("name") or "")
            now = _read(twin, name)
            if apply and now["exists"]:
                _apply(twin, name, now, str(wanted.get("start_mode") or ""), str(wanted.get("state") or ""))
                now = _read(twin, name)
            out["services"].append(now)
    except (ScriptError, NotSimulated) as exc:
        out["error"] = str(exc)
    return _request.answer({"services": out})


def _read(twin, name: str) -> dict:
    svc = twin.services.get(name)
    if svc is None:
        return {"name": name, "exists": False, "state": None, "start_mode": None}
    return {"name": svc.name, "exists": True, "state": svc.state, "start_mode": svc.start_mode}


def start_service(twin, name: str) -> None:
    """Start-Service: the SCM's refusal (disabled, a missing program or dependency) as the cmdlet's error text."""
    _control(twin, name, twin.services.start, "cannot be started due to the following error: Cannot start service "
             "{name} on computer '.'.")


def stop_service(twin, name: str) -> None:
    """Stop-Service: the SCM's refusal (running dependents) as the cmdlet's error text."""
    _control(twin, name, twin.services.stop, "cannot be stopped due to the following error: Cannot stop {name} "
             "service on computer '.'.")


def _control(twin, name: str, control, words: str) -> None:
    svc = twin.services.get(name)
    try:
        control(name)
    except Win32Error:
        raise ScriptError(f"Service '{svc.display_name} ({svc.name})' " + words.format(name=svc.name)) from None


def _apply(twin, name: str, now: dict, mode: str, state: str) -> None:
    if state == "stopped" and now["state"] != "stopped":
        stop_service(twin, name)
    if mode and mode != now["start_mode"]:
        if mode not in START_MODES:
            raise ScriptError(f"Cannot bind parameter 'StartupType'. Cannot convert value \"{mode}\" to type "
                              "\"System.ServiceProcess.ServiceStartMode\".")
        twin.services.configure(name, start_mode=mode)
    if state == "running" and now["state"] != "running":
        start_service(twin, name)
