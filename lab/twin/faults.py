"""Injected faults: what goes wrong on a host, when it is asked what, and how many times (docs/lab.md, Faults).

A fault is state of the host (`state["faults"]["injected"]`, a list of rules), so `lab reset` clears it and
the running lab sees a test's or the CLI's change at once. A rule:

    {"kind": <KINDS>, "when": <match or null>, "times": N (0: until cleared), "fired": count, ...parameters}

`when` matches what the host is asked: a project script's marker name (`backup-stage`), an Ansible module's
name (`win_service`), a substring of the command line, a wizard step (`upgrade`) or a service name; no `when`
matches everything of the rule's kind. The model decides whether a fault fires and counts it; the layers
apply it: wsman drops the connection, answers 500 or withholds the reply; the SCM refuses a start; the wizard
ends with an installer's exit code; the sync engine ends a run profile with a failed status.
"""

from __future__ import annotations

import time

# kind -> (where it applies, its parameters and their defaults)
KINDS: dict[str, tuple[str, dict]] = {
    # the command runs; the TCP connection is reset when the client asks for its result
    "connection_drop": ("command", {}),
    # the command runs; its result is answered with HTTP 500 and no body (HTTP.sys or a proxy in front)
    "http_500": ("command", {}),
    # the command runs; the reply to its Receive is withheld `seconds` (past the client's read timeout), then reset
    "operation_timeout": ("command", {"seconds": 90.0}),
    # the host restarts the moment the command would start: the command never runs
    "reboot": ("command", {}),
    # StartService of `service` fails with Win32 `error`
    "service_start_fails": ("service", {"service": "ADSync", "error": 1053}),
    # the wizard's package ends with an MSI exit code: 1603 (rolled back) or 3010 (done, restart required)
    "installer_exit": ("wizard", {"code": 1603}),
    # the system drive has `free_bytes` left whatever its files take (until cleared)
    "disk_full": ("disk", {"free_bytes": 0}),
    # a sync cycle's matching run profile ends with `result` (an export that fails on the new server)
    "sync_run_result": ("sync", {"run_profile": "Export", "connector": None, "result": "stopped-server-down"}),
}
INSTALLER_EXIT_CODES = (1603, 3010)
SERVICE_ERRORS = {
    1053: "The service did not respond to the start or control request in a timely fashion.",
    1069: "The service did not start due to a logon failure.",
    1067: "The process terminated unexpectedly.",
}


class FaultError(ValueError):
    """A rule that cannot be injected (unknown kind, bad parameter)."""


def rule(kind: str, when: str | None = None, times: int = 1, **params) -> dict:
    """A checked rule with its defaults filled in."""
    if kind not in KINDS:
        raise FaultError(f"unknown fault kind {kind!r}; one of {', '.join(KINDS)}")
    defaults = KINDS[kind][1]
    unknown = set(params) - set(defaults)
    if unknown:
        raise FaultError(f"fault {kind}: unknown parameters {sorted(unknown)}; it takes {sorted(defaults) or 'none'}")
    if int(times) < 0:
        raise FaultError("times must be 0 (until cleared) or more")
    out = {"kind": kind, "when": when or None, "times": int(times), "fired": 0, **defaults, **params}
    if kind == "installer_exit" and int(out["code"]) not in INSTALLER_EXIT_CODES:
        raise FaultError(f"installer_exit: code must be one of {INSTALLER_EXIT_CODES}")
    if kind == "service_start_fails" and int(out["error"]) not in SERVICE_ERRORS:
        raise FaultError(f"service_start_fails: error must be one of {sorted(SERVICE_ERRORS)}")
    if kind == "operation_timeout" and float(out["seconds"]) <= 0:
        raise FaultError("operation_timeout: seconds must be positive")
    return out


def armed(rules: list[dict], where: str | None = None) -> list[dict]:
    """The rules that can still fire (of one application point, when given)."""
    return [r for r in rules if (where is None or KINDS[r["kind"]][0] == where)
            and (r["times"] == 0 or r["fired"] < r["times"])]


def matches(when: str | None, names: list[str], text: str = "") -> bool:
    """Whether a rule's `when` matches what the host is asked: one of its names, or a substring of its text."""
    if not when:
        return True
    needle = when.lower()
    return needle in (n.lower() for n in names if n) or (bool(text) and needle in text.lower())


class Faults:
    """The host's injected faults (a twin model: `twin.faults`)."""

    def __init__(self, twin):
        self.twin = twin

    @property
    def rules(self) -> list[dict]:
        return self.twin.state.setdefault("faults", {}).setdefault("injected", [])

    def peek(self) -> list[dict]:
        """The rules, without creating the list (read-only paths)."""
        return list((self.twin.state.get("faults") or {}).get("injected") or [])

    def add(self, kind: str, when: str | None = None, times: int = 1, **params) -> dict:
        new = rule(kind, when, times, **params)
        self.rules.append(new)
        return new

    def clear(self) -> int:
        """Remove every injected rule; returns how many there were."""
        count = len(self.peek())
        faults = self.twin.state.get("faults")
        if faults is not None:
            faults.pop("injected", None)
            if not faults:
                self.twin.state.pop("faults")
        return count

    def fire(self, where: str, names: list[str], text: str = "") -> dict | None:
        """The first armed rule of `where` that matches, counted as fired (a copy: what to apply); None if none.
        A `reboot` restarts the host here, so the restart and its count are one change."""
        for r in armed(self.peek(), where):
            if matches(r["when"], names, text):
                self.count(r, names[0] if names else text[:80])
                if r["kind"] == "reboot":
                    self.twin.power.restart_now(f"lab fault: reboot while asked {names[0] if names else text[:80]}")
                return dict(r)
        return None

    def count(self, r: dict, asked: str = "") -> None:
        r["fired"] += 1
        r["last_fired"] = {"time": round(time.time(), 3), "asked": asked}

    def service_start(self, name: str) -> dict | None:
        """A `service_start_fails` rule for this service that fires now, or None."""
        for r in armed(self.peek(), "service"):
            if str(r["service"]).lower() == name.lower() and matches(r["when"], [name]):
                self.count(r, name)
                return dict(r)
        return None

    def free_bytes_cap(self) -> int | None:
        """What a `disk_full` rule leaves free, or None (conditions are not counted: they hold until cleared)."""
        caps = [int(r["free_bytes"]) for r in armed(self.peek(), "disk")]
        return min(caps) if caps else None

    def sync_results(self) -> list[dict]:
        return armed(self.peek(), "sync")
