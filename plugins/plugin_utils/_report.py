"""Fleet assessment report: per-host facts and decisions turned into one plain data structure.

Controller-side, plain Python (no Ansible import), so the unit tests can import it directly and the filter
plugin ``entra.sync_upgrade.fleet_report`` stays a thin wrapper. Every input is treated as untrusted and
possibly incomplete: a host may be unreachable, may lack facts, may lack a decision; nothing here raises on
missing or mistyped keys.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping

# The decision paths, most severe first (the order summaries and tables use).
PATHS = ("blocked", "parallel", "in_place", "none")
# Statuses a host row can have: a decision path, or why there is none.
STATUSES = (*PATHS, "unreachable", "unknown")
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


def _sync_facts(hostvars: Mapping) -> Mapping | None:
    facts = _map(hostvars.get("ansible_facts")).get("sync")
    if facts is None:
        facts = hostvars.get("ansible_sync")  # facts injected as variables
    return facts if isinstance(facts, Mapping) else None


def _host_entry(host: str, hostvars: Mapping, run_date: datetime.date | None) -> dict:
    facts = _sync_facts(hostvars)
    reachable_flag = hostvars.get("sync_assess_reachable")
    if not isinstance(reachable_flag, bool):  # sync_facts also returns it as a fact
        reachable_flag = _map(hostvars.get("ansible_facts")).get("sync_reachable")
    reachable = reachable_flag if isinstance(reachable_flag, bool) else facts is not None
    if not reachable:
        facts = None  # whatever is left is stale
    sync = _map(facts)
    os_facts = _map(sync.get("os"))
    database = _map(sync.get("database"))
    dotnet = _map(sync.get("dotnet"))
    tls12 = _map(sync.get("tls12"))

    # An unreachable host keeps its decision (it says why there is no path) but is shown as unreachable.
    decision = _map(hostvars.get("sync_assess_decision"))
    path = _str(decision.get("path"))
    if not reachable:
        status = "unreachable"
    elif path in PATHS:
        status = path
    else:
        status = UNKNOWN
    urgency = _str(decision.get("urgency"), UNKNOWN)
    if urgency not in URGENCY_RANK:
        urgency = UNKNOWN
    deadlines = _deadlines(decision.get("deadlines"), run_date)

    return {
        "host": host,
        "reachable": reachable,
        "tool": _str(sync.get("tool"), UNKNOWN) if reachable else None,
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
        "status": status,
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


def _sort_key(entry: dict):
    return (URGENCY_RANK.get(entry["urgency"], URGENCY_RANK[UNKNOWN]), entry["host"].lower(), entry["host"])


def build_report(hostvars: Mapping, hosts, generated_at, run_date) -> dict:
    """The fleet report for ``hosts`` from Ansible ``hostvars``.

    Hosts are sorted by urgency (stopped, degraded, unknown, due, ok), then by name. A host missing from
    ``hostvars`` is reported as unreachable. ``run_date`` (YYYY-MM-DD) only feeds ``days_left``.
    """
    hostvars = _map(hostvars)
    day = _date(run_date)
    names = []
    for host in _list(hosts) if not isinstance(hosts, str) else [hosts]:
        name = str(host)
        if name not in names:
            names.append(name)

    entries = []
    for name in names:
        try:
            host_vars = _map(hostvars.get(name))
        except Exception:  # hostvars of a host that is not in the inventory: never crash the report
            host_vars = {}
        entries.append(_host_entry(name, host_vars, day))
    entries.sort(key=_sort_key)

    by_status = {status: 0 for status in STATUSES}
    by_tool: dict[str, int] = {}
    by_urgency = {urgency: 0 for urgency in URGENCY_RANK}
    for entry in entries:
        by_status[entry["status"]] += 1
        by_urgency[entry["urgency"]] += 1
        if entry["reachable"]:
            by_tool[entry["tool"]] = by_tool.get(entry["tool"], 0) + 1
    if not by_status["unknown"]:
        del by_status["unknown"]
    past = [entry for entry in entries if entry["past_deadline"]]

    return {
        "generated_at": _str(generated_at),
        "run_date": _str(run_date),
        "summary": {
            "total": len(entries),
            "reachable": sum(1 for entry in entries if entry["reachable"]),
            "unreachable": by_status["unreachable"],
            "by_path": by_status,
            "by_tool": dict(sorted(by_tool.items())),
            "by_urgency": by_urgency,
            "past_deadline": len(past),
            "past_deadline_hosts": [entry["host"] for entry in past],
        },
        "hosts": entries,
    }


def _cell(value, width: int) -> str:
    text = "-" if value is None or value == "" else " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 1] + "~"


def summary_table(report: Mapping, max_width: int = 36) -> str:
    """Fixed-width text table of a report (host | tool | version | OS | objects | path | urgency)."""
    headers = ("HOST", "TOOL", "VERSION", "OS", "OBJECTS", "PATH", "URGENCY")
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
        ])
    widths = [max(len(row[index]) for row in [list(headers), *rows]) for index in range(len(headers))]

    def line(cells):
        parts = [cell.rjust(widths[i]) if headers[i] == "OBJECTS" else cell.ljust(widths[i]) for i, cell in enumerate(cells)]
        return "  ".join(parts).rstrip()

    out = [line(headers), "  ".join("-" * width for width in widths)]
    out.extend(line(row) for row in rows)

    summary = _map(_map(report).get("summary"))
    counts = ", ".join(f"{count} {status}" for status, count in _map(summary.get("by_path")).items() if count)
    out.append("")
    out.append(f"{summary.get('total', len(rows))} hosts: {counts or 'none'}")
    past = _list(summary.get("past_deadline_hosts"))
    if past:
        out.append(f"PAST A DEADLINE OR SYNC STOPPED (!): {', '.join(str(host) for host in past)}")
    return "\n".join(out)
