# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a server's sync engine was when it was backed up, and the services that make it up per tool.

Every backup's manifest records the engine's state from the run's assessment (`engine`): the services with their
state and start mode, the scheduler and staging mode. The cutover stops and disables an old engine after a fresh
backup; the rollback brings it back as that backup recorded it (docs/cutover.md).
"""

from __future__ import annotations

from pathlib import Path

from . import _backup_store as store
from ._version import parse_version

# The services of each tool's engine, in the order they are stopped (scheduler first, then the engine); they are
# started in the reverse order. DirSync: its scheduler service and its FIM engine; Azure AD Sync and Connect: the
# ADSync engine (their scheduler is a task or the engine's own, switched through sync_engine). SQL Server is the
# database's, not the engine's: it is left as it is.
# Configure staging mode needs an Entra sign-in in the wizard, which fails below 2.4.18.0 since 2025-04-07
# (Microsoft's hardening page for Connect's sign-in): such a server cannot become a standby.
STAGING_SWITCH_SINCE = "2.4.18.0"
ENGINE_SERVICES = {
    "dirsync": ("MSOnline", "FIMSynchronizationService"),
    "aadsync": ("ADSync",),
    "connect": ("ADSync",),
}


def from_facts(facts: dict | None) -> dict | None:
    """{tool, version, staging_mode, scheduler, services: [{name, state, start_mode}]} of the engine's services,
    or None when the assessment found no engine the toolkit stops and starts."""
    facts = facts or {}
    names = ENGINE_SERVICES.get(str(facts.get("tool")))
    if not names:
        return None
    seen = {str(s.get("name", "")).lower(): s for s in facts.get("services") or [] if isinstance(s, dict)}
    services = [{"name": n, "state": seen[n.lower()].get("state"), "start_mode": seen[n.lower()].get("start_mode")}
                for n in names if n.lower() in seen]
    scheduler = facts.get("scheduler") if isinstance(facts.get("scheduler"), dict) else {}
    return {"tool": facts.get("tool"), "version": facts.get("version"), "staging_mode": facts.get("staging_mode"),
            "scheduler_enabled": scheduler.get("enabled"), "services": services}


def _was_running(engine: dict) -> bool:
    """The engine ran when it was backed up (not stopped, disabled or in staging mode by a cutover)."""
    return engine.get("staging_mode") is not True and any(s.get("state") == "running" for s in engine["services"])


def recorded(root: str | Path, host: str) -> dict | None:
    """The engine as the host's newest verified backup saw it while it ran, with that backup's folder and time
    ({..., backup, created_at}); None when no verified backup recorded a running engine. Backups taken after a
    cutover (the engine off, or a standby) are passed over: the way back restores the engine as it last ran."""
    for folder, manifest in store.verified_backups(Path(root), host):
        engine = manifest.get("engine")
        if isinstance(engine, dict) and engine.get("services") and _was_running(engine):
            return {**engine, "backup": str(folder), "created_at": manifest.get("created_at"),
                    "restore": engine_restore(engine)}
    return None


def _version_at_least(version, minimum: str) -> bool:
    parsed = parse_version(version)
    return parsed is not None and parsed >= parse_version(minimum)


def cutover_mode(facts: dict | None, wanted: str = "standby") -> dict:
    """How the cutover leaves the old server: {mode: standby | disabled | refused, why}.

    A Connect server that can switch staging mode in its wizard (STAGING_SWITCH_SINCE and later) may stay as a
    staging-mode standby; DirSync and Azure AD Sync stay disabled, never running beside the new server (Microsoft's
    DirSync upgrade page: uninstall it, or shut it down and disable it for a fallback)."""
    facts = facts or {}
    tool = str(facts.get("tool"))
    if tool not in ENGINE_SERVICES:
        return {"mode": "refused", "why": f"the cutover does not switch off {tool}: "
                + ("a MIM Synchronization Service may run other management agents; turn its Azure AD connector's "
                   "run profiles off by hand" if tool == "mim_connector" else "no sync engine the toolkit knows")}
    if tool != "connect":
        return {"mode": "disabled", "why": f"{tool} never runs beside the new server: its services are stopped and "
                                           "disabled (its backup records how they were, for a rollback)"}
    if wanted == "disabled":
        return {"mode": "disabled", "why": "sync_cutover_old_server is disabled"}
    if not _version_at_least(facts.get("version"), STAGING_SWITCH_SINCE):
        return {"mode": "disabled", "why": f"Connect {facts.get('version')} cannot switch staging mode in its wizard "
                                           f"(it needs Entra sign-in, {STAGING_SWITCH_SINCE} or later): disabled"}
    return {"mode": "standby", "why": "an Entra Connect server stays as a staging-mode standby (Microsoft's swing "
                                      "migration: the active server goes to staging before the new one goes active)"}


def engine_off(facts: dict | None) -> list[dict]:
    """The old engine's services, stopped and disabled, in stop order (what sync_services is given)."""
    tool = str((facts or {}).get("tool"))
    return [{"name": name, "start_mode": "disabled", "state": "stopped"} for name in ENGINE_SERVICES.get(tool, ())]


def engine_is_off(facts: dict | None, mode: str) -> bool:
    """The old server no longer exports: in staging mode (standby), or its engine's services stopped and disabled."""
    facts = facts or {}
    if mode == "standby":
        return facts.get("staging_mode") is True
    seen = {str(s.get("name", "")).lower(): s for s in facts.get("services") or [] if isinstance(s, dict)}
    wanted = ENGINE_SERVICES.get(str(facts.get("tool")), ())
    return bool(wanted) and all(seen.get(n.lower(), {}).get("state") == "stopped"
                                and seen.get(n.lower(), {}).get("start_mode") == "disabled" for n in wanted)


def engine_restore(record: dict | None) -> list[dict]:
    """The recorded services back as they were, in start order (engine first, then its scheduler)."""
    return [{"name": s["name"], "start_mode": s.get("start_mode"), "state": s.get("state")}
            for s in reversed((record or {}).get("services") or [])
            if s.get("start_mode") in ("auto", "delayed", "manual", "disabled") and s.get("state") in ("running", "stopped")]


def cutover_plan(facts: dict | None, wanted: str = "standby") -> dict:
    """{mode, why, off, services_off}: how the cutover leaves the old server (cutover_mode), whether it already
    exports no more (engine_is_off) and its services stopped and disabled in stop order (engine_off)."""
    plan = cutover_mode(facts, wanted)
    return {**plan, "off": engine_is_off(facts, plan["mode"]), "services_off": engine_off(facts)}


def as_recorded(facts: dict | None, record: dict | None) -> bool:
    """The server's engine is as the record has it: every recorded service in its state and start mode, and (Entra
    Connect) staging mode and the scheduler as they were. False without a record."""
    if not isinstance(record, dict) or not record.get("services"):
        return False
    facts = facts or {}
    seen = {str(s.get("name", "")).lower(): s for s in facts.get("services") or [] if isinstance(s, dict)}
    for wanted in record["services"]:
        now = seen.get(str(wanted.get("name", "")).lower()) or {}
        if (now.get("state"), now.get("start_mode")) != (wanted.get("state"), wanted.get("start_mode")):
            return False
    scheduler = facts.get("scheduler") if isinstance(facts.get("scheduler"), dict) else {}
    if record.get("scheduler_enabled") is not None and scheduler.get("enabled") != record["scheduler_enabled"]:
        return False
    return facts.get("tool") != "connect" or facts.get("staging_mode") == record.get("staging_mode")
