# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One server's plan as the change board reads it: the ordered steps the upgrade run (docs/upgrade-run.md) takes
for the decision's path, from prerequisite fixes to the rollback point.

Nothing here decides anything: the path comes from the decision, how settings move and whether Microsoft's
automatic upgrade can carry a server from plugin_utils/_upgrade_plan.py, and every operator handoff is worded by
its step catalog (handoff_step), so the report shows the same titles as the run and docs/runbook.md.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._upgrade_plan import auto_upgrade_eligibility, handoff_step, settings_method

# The decision rules whose warnings are remediable prerequisites (fixed by sync_prerequisites or by hand first).
PREREQUISITE_RULES = ("R-DOTNET", "R-TLS12", "R-PENDING-REBOOT")
# The handoffs of a parallel deployment on the new server, by how the settings move (sync_deploy_parallel).
PARALLEL_HANDOFFS = {"json_export": ("install_import",), "migrate_settings": ("wizard_files", "install_import"),
                     "dirsync_export": ("dirsync_export", "install_migrate"), "manual": ("install_manual",)}


def _title(step: str, ctx: dict) -> str:
    return handoff_step(step, ctx)["title"]


def _ctx(host: str, target_version: str | None, tool: str | None, source: str | None = None) -> dict:
    # The handoff texts need paths the run only knows when it stages the installer: name them by role.
    return {"computer": host, "installer": "the staged installer", "version": target_version or "(target build)",
            "tool": tool, "installer_from": "the controller", "export_to": "the settings file",
            "settings": "the exported settings", "source": source or "", "source_summary": []}


def _step(key: str, text: str, kind: str = "run") -> dict:
    """kind: run (the toolkit does it), handoff (an operator does it in the wizard), fix, check, later. status: the
    step's result in the upgrade run's report (None in an assessment)."""
    return {"key": key, "kind": kind, "text": text, "status": None}


def prerequisite_fixes(host: Mapping) -> list[str]:
    """Short texts of what must be fixed on the server that runs Connect after the change."""
    return [str(item.get("text")) for item in host.get("warnings") or []
            if isinstance(item, Mapping) and item.get("rule") in PREREQUISITE_RULES]


def server_plan(host: Mapping, facts: Mapping | None, target: str | None, target_entry: Mapping | None) -> list[dict]:
    """Ordered steps for one server: in place, parallel (on ``target``), or, for a blocked server, the proposed
    path once its blockers are resolved. [] when there is nothing to do (path none, or not assessed)."""
    facts = facts or {}
    path = host.get("path")
    if path == "blocked":
        path = host.get("proposed_path")
    if path not in ("in_place", "parallel") or not host.get("assessed"):
        return []
    name, version, tool = str(host.get("host")), host.get("target_version") or None, host.get("tool")
    steps = []
    if path == "in_place":
        for text in prerequisite_fixes(host):
            steps.append(_step("fix", f"Fix first: {text}", "fix"))
        steps += [
            _step("backup", f"Back up {name}'s sync configuration and database to the controller; the run verifies "
                  "it and refuses any change without it"),
            _step("installer", f"Stage the Entra Connect {version or ''} installer on {name} and verify its "
                  "SHA-256 and signature".replace("  ", " ")),
            _step("prerequisites", f"Check and fix the prerequisites on {name} (.NET, TLS 1.2, pending reboot)",
                  "check"),
        ]
        auto = auto_upgrade_eligibility(dict(facts)) if tool == "connect" else {"eligible": False}
        steps.append(_step("upgrade", _title("upgrade", _ctx(name, version, tool)) + " (operator handoff; "
                           + ("Microsoft's automatic upgrade is possible: sync_upgrade_in_place_method "
                              "auto_upgrade)" if auto.get("eligible") else "the run waits for the new version)"),
                           "handoff"))
        steps.append(_step("verify", f"Verify {name}: version, services, scheduler as it was, a delta cycle, the "
                           "configuration compared with the backup", "check"))
        steps.append(_step("rollback", "Rollback point: the verified backup of this run (taken before any change)",
                           "later"))
        return steps
    new = target or "the new server (sync_upgrade_target, not set)"
    for text in prerequisite_fixes(target_entry or {}):
        steps.append(_step("fix", f"Fix first on {new}: {text}", "fix"))
    method = settings_method(dict(facts))
    steps += [
        _step("backup", f"Back up {name}'s sync configuration and database to the controller; {name} stays the "
              "active server"),
        _step("installer", f"Stage the Entra Connect {version or ''} installer on {new} and verify its SHA-256 and "
              "signature".replace("  ", " ")),
        _step("prerequisites", f"Check and fix the prerequisites on {new}", "check"),
        _step("settings", f"Move the settings: {method['method']} ({method['why']})"),
    ]
    for handoff in PARALLEL_HANDOFFS.get(method["method"], ()):
        on = name if handoff == "dirsync_export" else new
        steps.append(_step(handoff, _title(handoff, _ctx(on, version, tool, name)) + " (operator handoff)",
                           "handoff"))
    steps += [
        _step("verify", f"Verify {new} in staging mode: version, services, an import and sync cycle, its "
              f"configuration compared with {name}'s", "check"),
        _step("cutover", f"Later, a separate change (playbooks/cutover.yml): {_title('staging_off', _ctx(new, version, tool))}"
              f", then {name} becomes a standby or is disabled", "later"),
        _step("rollback", f"Rollback point: until {new} exports, playbooks/rollback.yml makes {name} the active "
              "server again; the backup of this run stays on the controller", "later"),
    ]
    return steps
