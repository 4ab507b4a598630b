"""Fleet assessment report: the per-host assessment results of one run turned into one plain data structure.

The input is explicit: {host: assessment result} for exactly the hosts the run covered, each result shaped as
the sync_assess role documents it ({status, cause, facts, decision}). This library knows no role's variable
names. Controller-side, plain Python (no Ansible import), so the unit tests can import it directly and the
filter plugin ``entra.sync_upgrade.fleet_report`` stays a thin wrapper. Every input is treated as untrusted
and possibly incomplete; nothing here raises on missing or mistyped keys.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from . import _report_board as board

# The decision paths, most severe first (the order summaries and tables use).
PATHS = ("blocked", "parallel", "in_place", "none")
# Why a host was not assessed (plugin_utils/_status.py), and "incomplete" for a host with no result at all.
NOT_ASSESSED = ("unreachable", "auth_failed", "tls_failed", "probe_failed", "connection_refused", "incomplete")
# Statuses a host row can have: a decision path, or why there is none.
STATUSES = (*PATHS, *NOT_ASSESSED, "unknown")
INCOMPLETE_CAUSE = "no assessment result: the assessment did not finish for this host (see the run output)"
# Sort order of urgency (the decision's levels, most urgent first). "unknown" (unreachable, or no evidence to
# judge) comes before "due" (a deadline ahead): it needs someone to look now, or nothing can be planned.
URGENCY_RANK = {"stopped": 0, "degraded": 1, "unknown": 2, "due": 3, "ok": 4}
UNKNOWN = "unknown"


def _map(value) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def _list(value) -> list:
    return list(value) if isinstance(value, list | tuple) else []


def _str(value, default: str | None = None) -> str | None:
    if value is None:
        return default
    text = str(value)
    return text if text != "" else default


def _int(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _bool(value) -> bool | None:
    return value if isinstance(value, bool) else None


def _date(value) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError):
        return None


def _items(value) -> list[dict]:
    """[{rule, text}] from a decision list; bare strings are accepted as text without a rule."""
    items = []
    for entry in _list(value):
        if isinstance(entry, Mapping):
            items.append({"rule": _str(entry.get("rule"), ""), "text": _str(entry.get("text"), "")})
        elif entry is not None:
            items.append({"rule": "", "text": str(entry)})
    return items


def _deadlines(value, run_date: datetime.date | None) -> list[dict]:
    deadlines = []
    for entry in _list(value):
        if not isinstance(entry, Mapping):
            continue
        when = _date(entry.get("date"))
        deadlines.append({
            "rule": _str(entry.get("rule"), ""),
            "text": _str(entry.get("text"), ""),
            "date": _str(entry.get("date")),
            # The decision's own verdict is authoritative; days_left is for display only.
            "passed": entry.get("passed") is True,
            "days_left": (when - run_date).days if when and run_date else None,
        })
    return deadlines


def _os_label(os_facts: Mapping) -> str | None:
    caption = _str(os_facts.get("caption"))
    if caption is None or caption == UNKNOWN:
        return None
    label = caption.removeprefix("Microsoft ").strip()
    extras = [name for name, flag in (("Core", "server_core"), ("DC", "domain_controller")) if os_facts.get(flag) is True]
    return f"{label} ({', '.join(extras)})" if extras else label


def _host_entry(host: str, result, run_date: datetime.date | None) -> dict:
    result = _map(result)
    status = _str(result.get("status"))
    if not result:
        status, cause = "incomplete", INCOMPLETE_CAUSE
    elif status not in ("assessed", *NOT_ASSESSED):
        status, cause = "incomplete", f"unknown assessment status {status!r}"
    else:
        cause = _str(result.get("cause"))
    assessed = status == "assessed"
    sync = _map(result.get("facts")) if assessed else {}
    os_facts = _map(sync.get("os"))
    database = _map(sync.get("database"))
    dotnet = _map(sync.get("dotnet"))
    tls12 = _map(sync.get("tls12"))

    # A host that was not assessed keeps its decision (it says why there is no path) but is shown by its status.
    decision = _map(result.get("decision"))
    path = _str(decision.get("path"))
    if not assessed:
        row = status
    elif path in PATHS:
        row = path
    else:
        row = UNKNOWN
    urgency = _str(decision.get("urgency"), UNKNOWN)
    if urgency not in URGENCY_RANK:
        urgency = UNKNOWN
    deadlines = _deadlines(decision.get("deadlines"), run_date)

    return {
        "host": host,
        "assessment": {"status": status, "cause": cause},
        "assessed": assessed,
        "tool": _str(sync.get("tool"), UNKNOWN) if assessed else None,
        "product": _str(sync.get("product")),
        "version": _str(sync.get("version")),
        "os": {
            "caption": _str(os_facts.get("caption")),
            "build": _int(os_facts.get("build")),
            "server_core": _bool(os_facts.get("server_core")),
            "domain_controller": _bool(os_facts.get("domain_controller")),
        },
        "os_label": _os_label(os_facts),
        "object_count": _int(sync.get("object_count")),
        "object_count_source": _str(sync.get("object_count_source")),
        "database_type": _str(database.get("type")),
        "staging_mode": _bool(sync.get("staging_mode")),
        "readiness": {
            "powershell_version": _str(sync.get("powershell_version")),
            "dotnet_version": _str(dotnet.get("version")),
            "tls12_enabled": _bool(tls12.get("enabled")),
            "tls12_missing": [str(item) for item in _list(tls12.get("missing"))],
            "pending_reboot": _bool(sync.get("pending_reboot")),
        },
        # path is what the decision said (null when there is none); status is what the report colours by.
        "path": path,
        "proposed_path": _str(decision.get("proposed_path")),
        "status": row,
        "target_version": _str(decision.get("target_version")),
        "urgency": urgency,
        "forced": decision.get("forced") is True,
        "reasons": _items(decision.get("reasons")),
        "blockers": _items(decision.get("blockers")),
        "warnings": _items(decision.get("warnings")),
        "fact_warnings": [str(item) for item in _list(sync.get("warnings"))],
        "deadlines": deadlines,
        "past_deadline": urgency == "stopped" or any(item["passed"] for item in deadlines),
    }


STEPS = ("backup", "installer", "prerequisites")
STEP_OK = ("done", "unchanged")


def _step(value) -> dict | None:
    step = _map(value)
    if not step:
        return None
    return {"status": _str(step.get("status"), UNKNOWN), "cause": _str(step.get("cause")),
            "plan": [str(line) for line in _list(step.get("plan"))],
            "path": _str(step.get("path")), "detail": _step_detail(step)}


def _step_detail(step: Mapping) -> str | None:
    """One line on what the step produced, for the tables."""
    if step.get("version") or step.get("sha256"):  # the installer
        return " ".join(x for x in (_str(step.get("version")), _str(step.get("path"))) if x) or None
    checks = _list(step.get("checks"))
    if checks:  # the prerequisites
        failed = [str(_map(c).get("name")) for c in checks if _map(c).get("ok") is False]
        return f"{len(checks) - len(failed)}/{len(checks)} checks pass" + (f"; failing: {', '.join(failed)}"
                                                                           if failed else "")
    if step.get("files") is not None:  # the backup
        return f"{step.get('files')} files, {_int(step.get('bytes')) or 0:,} bytes" + (
            " (reused)" if step.get("reused") else "")
    return None


def _prepare(entry: dict, steps: Mapping) -> dict | None:
    """What the upgrade run prepared for this host, what is ready and what is missing (None outside that run)."""
    host = entry["host"]
    own = _map(steps.get(host))
    source = _str(own.get("source"))
    if entry["path"] in ("in_place", "parallel"):
        role = entry["path"]
    elif source and source != host:
        role = "target"
    elif own.get("stopped"):
        role = "stopped"
    else:
        return None
    target = next((h for h, s in steps.items() if h != host and _str(_map(s).get("source")) == host), None)
    needs = {"in_place": [(host, name) for name in STEPS],
             "parallel": [(host, "backup")] + ([(target, "installer"), (target, "prerequisites")] if target else []),
             "target": [(source, "backup"), (host, "installer"), (host, "prerequisites")],
             "stopped": []}[role]
    missing, planned = [], False
    for who, name in needs:
        step = _map(_map(steps.get(who)).get(name))
        status = _str(step.get("status"))
        if status in STEP_OK:
            continue
        if status == "planned":
            planned = True
            continue
        text = f"{name}{'' if who == host else ' on ' + str(who)}: {status or 'not done'}"
        missing.append(text + (f" ({step.get('cause')})" if step.get("cause") else ""))
    if role == "parallel" and not target:
        missing.append("no prepared target (sync_upgrade_target)")
    stopped = _map(own.get("stopped"))
    stopped_at = {"step": _str(stopped.get("step")), "cause": _str(stopped.get("cause"))} if stopped else None
    if stopped_at:
        state = "stopped"
    elif missing:
        state = "missing"
    elif planned:
        state = "planned"
    else:
        state = "ready"
    return {"role": role, "source": source if role == "target" else None, "target": target, "state": state,
            "stopped": stopped_at, "missing": missing, "steps": {name: _step(own.get(name)) for name in STEPS}}


UPGRADE_STATES = ("done", "waiting", "planned", "stopped", "not_started")


def _work(result) -> list[dict]:
    return [{"name": _str(_map(s).get("name"), UNKNOWN), "status": _str(_map(s).get("status"), UNKNOWN),
             "evidence": _str(_map(s).get("evidence")), "plan": [str(x) for x in _list(_map(s).get("plan"))]}
            for s in _list(_map(result).get("steps"))]


def _upgrade(entry: dict, steps: Mapping) -> dict | None:
    """The upgrade itself for this host: what was done (with its evidence), where it waits, the verification.

    An in-place server and a parallel target report their own work; a parallel source reports its target's."""
    prepare = entry.get("prepare")
    if not prepare or prepare["role"] not in ("in_place", "parallel", "target"):
        return None
    worker = prepare["target"] if prepare["role"] == "parallel" else entry["host"]
    own = _map(steps.get(worker)) if worker else {}
    result = _map(own.get("upgrade") or own.get("deploy"))
    verify = _map(own.get("verify"))
    waiting = _map(own.get("waiting"))
    stopped = _map(own.get("stopped"))
    if not stopped and prepare.get("stopped"):  # it stopped before the upgrade (the prepare table says where)
        stopped = prepare["stopped"]
    if stopped:
        state = "stopped"
    elif waiting:
        state = "waiting"
    elif _str(verify.get("status")) == "passed":
        state = "done"
    elif _str(verify.get("status")) == "planned" or _str(result.get("status")) == "planned":
        state = "planned"
    else:
        state = "not_started"
    diff = _map(verify.get("diff"))
    return {
        "on": worker, "state": state, "method": _str(result.get("method")), "why": _str(result.get("why")),
        "status": _str(result.get("status")), "cause": _str(result.get("cause")), "steps": _work(result),
        "auto_upgrade": _map(result.get("auto_upgrade")) or None,
        "waiting": {"step": _str(waiting.get("step")), "title": _str(waiting.get("title")),
                    "since": _str(waiting.get("since")), "note_path": _str(waiting.get("note_path")),
                    "instructions": [str(x) for x in _list(waiting.get("instructions"))]} if waiting else None,
        "stopped": {"step": _str(stopped.get("step")), "cause": _str(stopped.get("cause"))}
        if state == "stopped" else None,
        "verify": {"status": _str(verify.get("status")), "cause": _str(verify.get("cause")),
                   "checks": [{"name": _str(_map(c).get("name")), "ok": _bool(_map(c).get("ok")),
                               "detail": _str(_map(c).get("detail"))} for c in _list(verify.get("checks"))],
                   "differences": [{k: _str(_map(r).get(k)) for k in ("area", "name", "property", "source", "target")}
                                   | {"accepted": bool(_map(r).get("accepted"))} for r in _list(diff.get("rows"))],
                   "not_compared": [{"area": _str(_map(n).get("area")), "why": _str(_map(n).get("why"))}
                                    for n in _list(diff.get("not_compared"))]} if verify else None,
    }


CHANGE_RUNS = ("cutover", "rollback")
CHANGE_STATES = ("done", "unchanged", "waiting", "planned", "stopped", "not_started")


def _change(entry: dict, steps: Mapping, run: str) -> dict | None:
    """A cutover or rollback run on a new server (its old server points at it): what was done, with its evidence,
    where it waits or stopped. None for a host that is neither side of a pair in this run."""
    host = entry["host"]
    own = _map(steps.get(host))
    source = _str(own.get("source"))
    target = next((h for h, s in steps.items() if h != host and _str(_map(s).get("source")) == host), None)
    if not source and not target:
        return None
    worker = target or host
    work = _map(steps.get(worker))
    result = _map(work.get(run))
    waiting = _map(work.get("waiting"))
    stopped = _map(own.get("stopped")) or _map(work.get("stopped"))
    status = _str(result.get("status"))
    state = ("stopped" if stopped else "waiting" if waiting else status if status in ("done", "unchanged", "planned")
             else "not_started")
    return {"run": run, "new_server": worker, "old_server": source or host, "state": state,
            "status": status, "cause": _str(result.get("cause")),
            "old_server_mode": _str(_map(result.get("old_server")).get("mode")),
            "old_server_why": _str(_map(result.get("old_server")).get("why")),
            "pending": [{k: _map(p).get(k) for k in ("connector", "add", "update", "delete")}
                        for p in _list(result.get("pending"))],
            "exported": result.get("exported") if isinstance(result.get("exported"), bool) else None,
            "cannot_undo": [str(x) for x in _list(result.get("cannot_undo"))],
            "steps": _work(result),
            "waiting": {"step": _str(waiting.get("step")), "title": _str(waiting.get("title")),
                        "note_path": _str(waiting.get("note_path")),
                        "instructions": [str(x) for x in _list(waiting.get("instructions"))]} if waiting else None,
            "stopped": {"step": _str(stopped.get("step")), "cause": _str(stopped.get("cause"))} if stopped else None}


def _sort_key(entry: dict):
    return (URGENCY_RANK.get(entry["urgency"], URGENCY_RANK[UNKNOWN]), entry["host"].lower(), entry["host"])


def build_report(results: Mapping, generated_at, run_date, inventory_total=None, steps=None, run="upgrade",
                 context=None, run_facts=None, target_sources=None) -> dict:
    """The fleet report for exactly the hosts in ``results`` ({host: assessment result}).

    Hosts are sorted by urgency (stopped, degraded, unknown, due, ok), then by name. ``run_date`` (YYYY-MM-DD)
    only feeds ``days_left``; ``inventory_total`` (how many hosts the inventory has) tells a limited run apart.
    ``steps`` ({host: the upgrade_steps filter's result}) adds, per host, what the upgrade run prepared
    (``prepare``: role, state ready|planned|missing|stopped, what is missing, each step's result) and the upgrade
    itself (``upgrade``: state done|waiting|planned|stopped|not_started, the steps done with their evidence, the
    handoff it waits at with its instructions, the verification's checks and configuration differences).
    ``run`` names the playbook the steps come from: ``upgrade``, or ``cutover`` / ``rollback``, whose hosts get
    ``change`` (on both servers of a pair: the new server's work, its state, where it waits or stopped) instead.
    ``context`` (plugin_utils/_report_context.report_context: toolkit, commit, policy, rule glossary), ``run_facts``
    (controller, user, playbook, inventory_sources, limit, tags, check_mode, assess_only) and ``target_sources``
    ({target: [sources]}) add ``provenance``, ``executive``, ``caveats``, ``conflicts``, ``references`` and, per host,
    ``action``, ``readiness_missing``, ``target_host``, ``conflict`` and the ordered ``plan``.
    """
    if run not in ("upgrade", *CHANGE_RUNS):
        raise ValueError(f"run must be upgrade, cutover or rollback, not {run!r}")
    day = _date(run_date)
    entries = sorted((_host_entry(str(host), result, day) for host, result in _map(results).items()), key=_sort_key)
    facts = {str(host): _map(_map(result).get("facts")) for host, result in _map(results).items()
             if _map(result).get("status") == "assessed"}
    caveats = board.lift_caveats(entries)
    conflicts = board.conflicts(_map(target_sources))
    step_map = _map(steps)
    upgrade_run = steps is not None and run == "upgrade"
    for entry in entries:
        entry["prepare"] = _prepare(entry, step_map) if upgrade_run else None
        entry["upgrade"] = _upgrade(entry, step_map) if upgrade_run else None
        entry["change"] = _change(entry, step_map, run) if steps is not None and run in CHANGE_RUNS else None
    board.add_plans(entries, facts, _map(target_sources))
    upgraded = [entry["upgrade"] for entry in entries if entry["upgrade"]]
    prepared = [entry["prepare"] for entry in entries if entry["prepare"]]

    by_status = {status: 0 for status in STATUSES}
    by_tool: dict[str, int] = {}
    by_urgency = {urgency: 0 for urgency in URGENCY_RANK}
    for entry in entries:
        by_status[entry["status"]] += 1
        by_urgency[entry["urgency"]] += 1
        if entry["assessed"]:
            by_tool[entry["tool"]] = by_tool.get(entry["tool"], 0) + 1
    by_status = {status: count for status, count in by_status.items() if count or status in PATHS}
    past = [entry for entry in entries if entry["past_deadline"]]
    not_assessed = [{"host": e["host"], **e["assessment"]} for e in entries if not e["assessed"]]
    total = _int(inventory_total)

    return {
        "generated_at": _str(generated_at),
        "run_date": _str(run_date),
        "provenance": board.provenance(_map(context), _map(run_facts)),
        "executive": board.executive(entries, conflicts),
        "caveats": caveats,
        "conflicts": conflicts,
        "references": board.references(_map(context), entries, caveats),
        "summary": {
            "total": len(entries),
            "inventory_total": total,
            "limited": total is not None and total > len(entries),
            "assessed": sum(1 for entry in entries if entry["assessed"]),
            "not_assessed": len(not_assessed),
            "not_assessed_hosts": not_assessed,
            "by_status": by_status,
            "by_path": {path: by_status.get(path, 0) for path in PATHS},
            "by_tool": dict(sorted(by_tool.items())),
            "by_urgency": by_urgency,
            "past_deadline": len(past),
            "past_deadline_hosts": [entry["host"] for entry in past],
            "run": None if steps is None else run,
            "change": None if steps is None or run not in CHANGE_RUNS else {
                state: len({e["change"]["new_server"] for e in entries if e["change"] and e["change"]["state"] == state})
                for state in CHANGE_STATES},
            "prepare": None if not upgrade_run else {
                state: sum(1 for p in prepared if p["state"] == state)
                for state in ("ready", "planned", "missing", "stopped")},
            "stopped_hosts": [{"host": e["host"], **e["prepare"]["stopped"]} for e in entries
                              if e["prepare"] and e["prepare"]["stopped"]]
            + [{"host": e["host"], **e["change"]["stopped"]} for e in entries
               if e["change"] and e["change"]["stopped"] and e["change"]["new_server"] == e["host"]],
            "upgrade": None if not upgrade_run else {
                state: sum(1 for u in upgraded if u["state"] == state) for state in UPGRADE_STATES},
            "waiting_hosts": [{"host": e["host"], "on": e["upgrade"]["on"], **e["upgrade"]["waiting"]} for e in entries
                              if e["upgrade"] and e["upgrade"]["waiting"]]
            + [{"host": e["host"], "on": e["host"], **e["change"]["waiting"]} for e in entries
               if e["change"] and e["change"]["waiting"] and e["change"]["new_server"] == e["host"]],
        },
        "hosts": entries,
    }


def _cell(value, width: int) -> str:
    text = "-" if value is None or value == "" else " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 1] + "~"


def summary_table(report: Mapping, max_width: int = 36) -> str:
    """Fixed-width text table of a report (host | tool | version | OS | objects | status: the path, or why the host
    was not assessed | urgency)."""
    with_prepare = _map(_map(report).get("summary")).get("prepare") is not None
    headers = ("HOST", "TOOL", "VERSION", "OS", "OBJECTS", "STATUS", "URGENCY") + (
        ("PREPARE", "UPGRADE") if with_prepare else ())
    rows = []
    for entry in _list(_map(report).get("hosts")):
        entry = _map(entry)
        objects = _int(entry.get("object_count"))
        path = entry.get("status") or entry.get("path") or UNKNOWN
        if entry.get("target_version") and path in ("in_place", "parallel"):
            path = f"{path} -> {entry['target_version']}"
        urgency = entry.get("urgency") or UNKNOWN
        if entry.get("past_deadline"):
            urgency = f"{urgency} !"
        rows.append([
            _cell(entry.get("host"), max_width),
            _cell(entry.get("tool"), max_width),
            _cell(entry.get("version"), max_width),
            _cell(entry.get("os_label"), max_width),
            _cell(f"{objects:,}" if objects is not None else None, max_width),
            _cell(path, max_width),
            _cell(urgency, max_width),
        ] + ([_cell(_prepare_cell(_map(entry.get("prepare"))), max_width),
              _cell(_upgrade_cell(_map(entry.get("upgrade"))), max_width)] if with_prepare else []))
    widths = [max(len(row[index]) for row in [list(headers), *rows]) for index in range(len(headers))]

    def line(cells):
        parts = [cell.rjust(widths[i]) if headers[i] == "OBJECTS" else cell.ljust(widths[i]) for i, cell in enumerate(cells)]
        return "  ".join(parts).rstrip()

    out = [line(headers), "  ".join("-" * width for width in widths)]
    out.extend(line(row) for row in rows)

    summary = _map(_map(report).get("summary"))
    counts = ", ".join(f"{count} {status}" for status, count in _map(summary.get("by_status")).items() if count)
    out.append("")
    scope = (f" of {summary['inventory_total']} in the inventory (--limit)" if summary.get("limited") else "")
    out.append(f"{summary.get('total', len(rows))} hosts{scope}: {counts or 'none'}")
    for item in _list(summary.get("not_assessed_hosts")):
        item = _map(item)
        out.append(f"NOT ASSESSED {item.get('host')} ({item.get('status')}): {item.get('cause')}")
    past = _list(summary.get("past_deadline_hosts"))
    if past:
        out.append(f"PAST A DEADLINE OR SYNC STOPPED (!): {', '.join(str(host) for host in past)}")
    prepare = _map(summary.get("prepare"))
    if prepare:
        out.append("Prepared: " + ", ".join(f"{count} {state}" for state, count in prepare.items()))
    change = _map(summary.get("change"))
    if change:
        out.append(f"{str(summary.get('run')).capitalize()} (pairs): "
                   + ", ".join(f"{count} {state.replace('_', ' ')}" for state, count in change.items()))
    upgrade = _map(summary.get("upgrade"))
    if upgrade:
        out.append("Upgrade: " + ", ".join(f"{count} {state.replace('_', ' ')}" for state, count in upgrade.items()))
    for item in _list(summary.get("stopped_hosts")):
        item = _map(item)
        out.append(f"STOPPED {item.get('host')} at {item.get('step')}: {item.get('cause')}")
    for item in _list(summary.get("waiting_hosts")):
        item = _map(item)
        out.append(f"WAITING {item.get('host')} for the operator at {item.get('step')} on {item.get('on')}: "
                   f"{item.get('title')} (instructions: {item.get('note_path')} and the report)")
    for entry in _list(_map(report).get("hosts")):
        missing = _list(_map(_map(entry).get("prepare")).get("missing"))
        if missing and not _map(_map(entry).get("prepare")).get("stopped"):
            out.append(f"MISSING {_map(entry).get('host')}: {'; '.join(str(m) for m in missing)}")
    return "\n".join(out)


def _upgrade_cell(upgrade: Mapping) -> str | None:
    if not upgrade:
        return None
    if upgrade.get("state") == "waiting":
        return f"waits at {_map(upgrade.get('waiting')).get('step')}"
    if upgrade.get("state") == "stopped":
        return f"stopped: {_map(upgrade.get('stopped')).get('step')}"
    return str(upgrade.get("state"))


def _prepare_cell(prepare: Mapping) -> str | None:
    if not prepare:
        return None
    if prepare.get("state") == "stopped":
        return f"stopped: {_map(prepare.get('stopped')).get('step')}"
    return str(prepare.get("state"))
