# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a change board reads first, from the report's host entries: the executive summary (what is at risk, what
the run proposes, what needs a decision), the caveats every host shares (said once, not per host), the targets
two sources claim, each host's action in words, readiness in short form, and the run's provenance.

Plain Python over the entries plugin_utils/_report.py builds; it decides nothing the decision did not say.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._report_plan import server_plan

UNKNOWN = "unknown"
DEPRECATED_TOOLS = {"dirsync": "DirSync", "aadsync": "Azure AD Sync", "mim_connector": "FIM/MIM Azure AD connector"}
BELOW_MINIMUM_RULES = ("R-DEADLINE-MINIMUM", "R-CONNECT-1X")
CONFLICT_RULES = ("R-PARALLEL-TARGET-SHARED", "R-TENANT-TWO-ACTIVE")
ACTIONS = {"in_place": "upgrade in place", "parallel": "parallel deployment (new server)",
           "blocked": "blocked: needs a decision", "none": "no action needed"}


def action(entry: Mapping) -> str:
    """The decision in words; "no sync tool" (nothing installed) is not "no action needed" (already current)."""
    if not entry.get("assessed"):
        return f"not assessed ({entry.get('assessment', {}).get('status')})"
    if entry.get("path") == "none" and entry.get("tool") == "none":
        return "no sync tool"
    return ACTIONS.get(entry.get("status"), UNKNOWN)


def readiness_missing(entry: Mapping) -> list[str]:
    """What the server lacks to run Connect, in short form (from the facts and the prerequisite warnings)."""
    readiness = entry.get("readiness") or {}
    rules = {item.get("rule") for item in entry.get("warnings") or [] if isinstance(item, Mapping)}
    missing = []
    if "R-DOTNET" in rules:
        missing.append(f".NET 4.7.2 (has {readiness.get('dotnet_version') or UNKNOWN})")
    if readiness.get("tls12_enabled") is False or "R-TLS12" in rules:
        count = len(readiness.get("tls12_missing") or [])
        missing.append(f"TLS 1.2 ({count} registry value{'s' if count != 1 else ''} missing)" if count else "TLS 1.2")
    if readiness.get("pending_reboot") is True:
        missing.append("a reboot (pending)")
    return missing


def lift_caveats(entries: list[dict]) -> list[dict]:
    """Warnings with the same rule and text on two or more hosts: returned once, removed from each host (which keeps
    the rule ids in ``caveats``)."""
    seen: dict[tuple, list[str]] = {}
    for entry in entries:
        for item in entry["warnings"]:
            seen.setdefault((item["rule"], item["text"]), []).append(entry["host"])
    shared = {key: hosts for key, hosts in seen.items() if len(hosts) > 1}
    for entry in entries:
        entry["caveats"] = [rule for rule, text in shared if (rule, text) in
                            {(w["rule"], w["text"]) for w in entry["warnings"]}]
        entry["warnings"] = [w for w in entry["warnings"] if (w["rule"], w["text"]) not in shared]
    return [{"rule": rule, "text": text, "hosts": hosts, "all": len(hosts) == len(entries)}
            for (rule, text), hosts in shared.items()]


def conflicts(target_sources: Mapping | None) -> list[dict]:
    """Targets named by more than one source (the target_sources filter's map)."""
    return [{"target": str(target), "sources": [str(s) for s in sources]}
            for target, sources in sorted((target_sources or {}).items())
            if isinstance(sources, list | tuple) and len(sources) > 1]


def add_plans(entries: list[dict], facts: Mapping, target_sources: Mapping | None) -> None:
    """Per host: the target it names, a conflict over that target, its action, readiness and plan."""
    target_of = {str(s): str(t) for t, sources in (target_sources or {}).items()
                 if isinstance(sources, list | tuple) for s in sources}
    shared = {c["target"]: c["sources"] for c in conflicts(target_sources)}
    by_host = {entry["host"]: entry for entry in entries}
    for entry in entries:
        host = entry["host"]
        entry["target_host"] = target_of.get(host)
        claimed = entry["target_host"] if entry["target_host"] in shared else host if host in shared else None
        entry["conflict"] = {"target": claimed, "sources": shared[claimed]} if claimed else None
        entry["action"] = action(entry)
        entry["readiness_missing"] = readiness_missing(entry) if entry["assessed"] else []
        entry["plan"] = server_plan(entry, facts.get(host), entry["target_host"], by_host.get(entry["target_host"]))
        entry["plan_after_blockers"] = entry["status"] == "blocked" and bool(entry["plan"])
        _plan_status(entry, by_host)


HANDOFF_KEYS = ("upgrade", "wizard_files", "dirsync_export", "install_import", "install_migrate", "install_manual")


def _plan_status(entry: dict, by_host: Mapping) -> None:
    """In the upgrade run's report, each plan step gets the status its step result has (None otherwise): the
    backup on the source, staging and prerequisites on the install host, the upgrade's state and its verification."""
    prepare, upgrade = entry.get("prepare") or {}, entry.get("upgrade") or {}
    if not prepare:
        return
    worker = by_host.get(prepare.get("target")) if prepare.get("role") == "parallel" else entry
    worker_steps = ((worker or {}).get("prepare") or {}).get("steps") or {}
    statuses = {"backup": ((prepare.get("steps") or {}).get("backup") or {}).get("status"),
                "installer": (worker_steps.get("installer") or {}).get("status"),
                "prerequisites": (worker_steps.get("prerequisites") or {}).get("status"),
                "verify": (upgrade.get("verify") or {}).get("status")}
    for step in entry["plan"]:
        if step["key"] in statuses:
            step["status"] = statuses[step["key"]]
        elif step["key"] in HANDOFF_KEYS and upgrade:
            step["status"] = upgrade.get("state")


def executive(entries: list[dict], conflict_list: list[dict]) -> dict:
    """At risk, proposed, needs a decision: counts and the hosts behind them."""
    def rules(entry):
        return {i["rule"] for kind in ("reasons", "blockers", "warnings", "deadlines") for i in entry[kind]}

    below = [e["host"] for e in entries if rules(e) & set(BELOW_MINIMUM_RULES)]
    deprecated = [e["host"] for e in entries if e["assessed"] and e["tool"] in DEPRECATED_TOOLS]
    past = [e["host"] for e in entries if e["past_deadline"]]
    blocked = [e["host"] for e in entries if e["assessed"] and e["status"] == "blocked"]
    unknown = [e["host"] for e in entries if not e["assessed"] or e["status"] == UNKNOWN]
    tenant = [e["host"] for e in entries if any(b["rule"] == "R-TENANT-TWO-ACTIVE" for b in e["blockers"])]
    return {
        "at_risk": {"below_minimum": below, "deprecated_tool": deprecated, "past_deadline": past,
                    "hosts": sorted(set(below) | set(deprecated) | set(past))},
        "proposes": {"in_place": [e["host"] for e in entries if e["status"] == "in_place"],
                     "parallel": [e["host"] for e in entries if e["status"] == "parallel"],
                     "no_action": [e["host"] for e in entries if e["action"] == "no action needed"],
                     "no_sync_tool": [e["host"] for e in entries if e["action"] == "no sync tool"]},
        "decisions": {"blocked": blocked, "conflicts": conflict_list, "tenant_conflicts": tenant,
                      "not_assessed": unknown},
    }


def provenance(context: Mapping | None, run: Mapping | None) -> dict:
    """The toolkit, commit, policy and the run's own facts; unknown where the role could not say."""
    context, run = context or {}, run or {}
    toolkit, policy = dict(context.get("toolkit") or {}), dict(context.get("policy") or {})

    def text(value):
        return UNKNOWN if value in (None, "") else str(value)

    sources = [str(s) for s in run.get("inventory_sources") or []] if isinstance(
        run.get("inventory_sources"), list | tuple) else ([str(run["inventory_sources"])]
                                                          if run.get("inventory_sources") else [])
    check_mode = run.get("check_mode") if isinstance(run.get("check_mode"), bool) else None
    assess_only = run.get("assess_only") is True
    return {
        "toolkit": text(toolkit.get("name")), "version": text(toolkit.get("version")),
        "commit": text(toolkit.get("commit")), "modified": toolkit.get("modified"),
        "policy_file": text(policy.get("file")), "policy_schema": text(policy.get("schema")),
        "policy_reviewed": text(policy.get("reviewed")),
        "controller": text(run.get("controller") or context.get("controller")),
        "user": text(run.get("user") or context.get("os_user")),
        "playbook": text(run.get("playbook")), "inventory_sources": sources or [UNKNOWN],
        "limit": run.get("limit") or None, "tags": [str(t) for t in run.get("tags") or [] if t != "all"],
        "check_mode": check_mode,
        "read_only": True if (check_mode or assess_only) else (False if check_mode is False else None),
        "read_only_why": "check mode" if check_mode else ("assessment only" if assess_only else None),
    }


def references(context: Mapping | None, entries: list[dict], caveats: list[dict]) -> dict:
    """The policy's sources (code -> title and address) and the glossary of the rule ids this report shows."""
    context = context or {}
    policy, glossary = dict(context.get("policy") or {}), dict(context.get("rules") or {})
    shown = {i["rule"] for e in entries for kind in ("reasons", "blockers", "warnings", "deadlines")
             for i in e[kind] if i["rule"]} | {c["rule"] for c in caveats}
    sources = dict(policy.get("sources") or {})
    rules = [{"rule": rule, "checks": glossary.get(rule, {}).get("checks") or UNKNOWN,
              "outcome": glossary.get(rule, {}).get("outcome") or UNKNOWN,
              "sources": list(glossary.get(rule, {}).get("sources") or [])} for rule in sorted(shown)]
    return {"sources": [{"code": code, "title": value.get("title"), "url": value.get("url")}
                        for code, value in sources.items() if isinstance(value, Mapping)],
            "entries": dict(policy.get("entries") or {}), "rules": rules,
            "minimum_version": policy.get("minimum_version") or UNKNOWN}
