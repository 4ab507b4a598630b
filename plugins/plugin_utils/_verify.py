# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Verification of an upgraded or newly deployed server: each check, what it saw, and whether it passes.

Read by roles/sync_verify (through the entra.sync_upgrade.verify_checks filter). A check that cannot be judged
(unknown facts, nothing compared) fails: verification never passes on missing evidence.
"""

from __future__ import annotations

from ._version import parse_version


def _last_runs(engine: dict) -> list[dict]:
    return [r for r in (engine or {}).get("last_runs") or [] if isinstance(r, dict)]


def checks(facts: dict, engine: dict, diff: dict, target_version: str, expect_staging: bool) -> list[dict]:
    """[{name, ok, detail}] for: version, service, scheduler, staging_mode, restart, run_results, configuration."""
    facts, engine, diff = facts or {}, engine or {}, diff or {}
    out = []

    def add(name, ok, detail):
        out.append({"name": name, "ok": bool(ok), "detail": detail})

    version = facts.get("version")
    have, want = parse_version(version), parse_version(target_version)
    add("version", have is not None and want is not None and have >= want,
        f"runs {version or 'unknown'}, at least {target_version} required")

    svc = next((s for s in facts.get("services") or [] if s.get("name") == "ADSync"), {})
    add("service", svc.get("state") == "running" and svc.get("start_mode") == "auto",
        f"ADSync is {svc.get('state') or 'absent'}, start mode {svc.get('start_mode') or 'none'} "
        "(running and automatic required)")

    enabled = (facts.get("scheduler") or {}).get("enabled")
    add("scheduler", enabled is True,
        "sync cycles " + {True: "enabled", False: "disabled"}.get(enabled, "unknown") + " (enabled required)")

    staging = facts.get("staging_mode")
    word = {True: "on", False: "off"}
    add("staging_mode", staging is bool(expect_staging),
        f"staging mode {word.get(staging, 'unknown')} ({word[bool(expect_staging)]} required)")

    # an installer that ended with 3010 leaves a restart pending: the upgrade is not finished until it has run
    pending = facts.get("pending_reboot")
    reasons = [str(r) for r in facts.get("pending_reboot_reasons") or []]
    add("restart", pending is False,
        {False: "no restart pending", True: "a restart is pending (" + (", ".join(reasons) or "reason not read")
         + "): restart the server, then run again"}.get(pending, "whether a restart is pending is unknown"))

    runs = _last_runs(engine)
    connectors = [c.get("name") for c in facts.get("connectors") or [] if isinstance(c, dict)]
    ran = {r.get("connector") for r in runs}
    not_run = [c for c in connectors if c not in ran]
    failed = [r for r in runs if r.get("result") != "success"]
    text = ("last run per connector: " + ", ".join(f"{r.get('connector')}: {r.get('run_profile')} "
                                                   f"{r.get('result')}" for r in runs)) if runs else "no run history"
    if not_run:
        text += "; never run: " + ", ".join(not_run)
    add("run_results", bool(runs) and not failed and not not_run, text)

    clean = diff.get("clean")
    rows = [r for r in diff.get("rows") or [] if isinstance(r, dict)]
    open_rows = [r for r in rows if not r.get("accepted")]
    if clean is True:
        accepted = len(rows) - len(open_rows)
        detail = "equal to the old server's configuration" + (f" ({accepted} accepted differences)" if accepted else "")
    elif clean is False:
        names = sorted({f"{r.get('area')} {r.get('name')}" for r in open_rows})
        unknown = [n for n in diff.get("not_compared") or [] if isinstance(n, dict) and not n.get("accepted")]
        detail = "; ".join(
            ([f"{len(open_rows)} differences from the old server: " + ", ".join(names)] if open_rows else [])
            + [f"{n.get('area')} not compared: {n.get('why')}" for n in unknown]) or "not clean"
    else:
        detail = "not compared: " + "; ".join(str(n.get("why")) for n in diff.get("not_compared") or [] if
                                             isinstance(n, dict))
    add("configuration", clean is True, detail)
    return out


def export_state(runs: list | None) -> dict:
    """From a server's run history (sync_engine's `runs`, oldest first): {exported: it has run an Export,
    verified: every connector's newest Export is a success, failed: the connectors whose newest Export is not}.
    A staging server never exports, so `exported` is what tells a rollback whether the way back is still clean."""
    newest: dict[str, dict] = {}
    for run in runs or []:
        if isinstance(run, dict) and run.get("run_profile") == "Export":
            newest[str(run.get("connector"))] = run
    failed = sorted(name for name, run in newest.items() if run.get("result") != "success")
    return {"exported": bool(newest), "verified": bool(newest) and not failed, "failed": failed,
            "connectors": sorted(newest)}
