# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Is a sync server active, i.e. exporting to its tenant? From its `sync` facts (plugins/modules/sync_facts.py).

Active: the engine's service runs, its scheduler is on and it is not in staging mode. Not active: the engine's
service is stopped (or disabled and not running), the scheduler is off, or staging mode is on: what the cutover
leaves behind (an old DirSync or Azure AD Sync server stopped and disabled, an old Connect server as a staging
standby). Anything else is unknown, never a guess: a disabled service that still runs still exports until it
stops, and Azure AD Sync (no Get-ADSyncScheduler) and the MIM connector (cycles run by the customer's own
scripts) do not say enough. Standard library only.
"""

from __future__ import annotations

ENGINE_SERVICE = {"connect": "ADSync", "aadsync": "ADSync", "dirsync": "FIMSynchronizationService",
                  "mim_connector": "FIMSynchronizationService"}


def activity(facts) -> dict:
    """{"active": True, False or None (unknown), "why": what it rests on} for one host's facts."""
    facts = facts if isinstance(facts, dict) else {}
    tool = str(facts.get("tool") or "unknown")
    if tool == "none":
        return {"active": False, "why": "no sync engine"}
    if tool not in ENGINE_SERVICE:
        return {"active": None, "why": "sync tool unknown"}
    name = ENGINE_SERVICE[tool]
    service = next((s for s in facts.get("services") or [] if isinstance(s, dict)
                    and str(s.get("name") or "").lower() == name.lower()), None)
    scheduler = facts.get("scheduler") if isinstance(facts.get("scheduler"), dict) else {}
    staging = facts.get("staging_mode")
    off, unknown = [], []
    state = str((service or {}).get("state") or "unknown").lower()
    mode = str((service or {}).get("start_mode") or "unknown").lower()
    if service is None:
        unknown.append(f"service {name} not seen")
    elif state == "stopped":
        off.append(f"{name} stopped" + (" and disabled" if mode == "disabled" else ""))
    elif mode == "disabled" and state != "running":
        off.append(f"{name} disabled ({state})")
    elif state != "running":
        unknown.append(f"{name} {state}")
    if scheduler.get("enabled") is False:
        off.append("scheduler off")
    elif scheduler.get("enabled") is not True:
        unknown.append("scheduler state unknown")
    if staging is True:
        off.append("staging mode on")
    elif staging is not False:
        unknown.append("staging mode unknown")
    if off:
        return {"active": False, "why": ", ".join(off)}
    if unknown:
        return {"active": None, "why": ", ".join(unknown)}
    return {"active": True, "why": f"{name} running, scheduler on, not in staging mode"}
