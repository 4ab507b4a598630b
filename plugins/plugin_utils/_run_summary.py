# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The few lines a run ends with, after Ansible's recap (callback entra.sync_upgrade.run_summary).

A fleet's full table scrolls away; what the person at the console needs last is one screen: how many servers
got which decision, how the change went, which servers need someone (not assessed, blocked, stopped, waiting at
a handoff), and where the report is. Built from the fleet report (_report.build_report) on the controller.
"""

from __future__ import annotations

from collections.abc import Mapping

MAX_HOSTS = 10  # hosts named under "needs action"; the rest are counted (the report lists them all)
MAX_CAUSE = 110  # characters of a cause on its line


def _short(text, width: int = MAX_CAUSE) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= width else text[:width - 3].rstrip() + "..."


def _counts(counts: Mapping | None) -> str:
    return ", ".join(f"{count} {str(name).replace('_', ' ')}" for name, count in (counts or {}).items() if count)


def needs_action(report: Mapping) -> list[tuple[str, str]]:
    """(host, why) for every server someone must look at, most pressing first; one line per host."""
    summary = report.get("summary") or {}
    out: dict[str, str] = {}
    for item in summary.get("not_assessed_hosts") or []:
        out.setdefault(item["host"], f"not assessed ({item.get('status')}): {item.get('cause')}")
    for item in summary.get("stopped_hosts") or []:
        out.setdefault(item["host"], f"stopped at {item.get('step')}: {item.get('cause')}")
    for item in summary.get("waiting_hosts") or []:
        out.setdefault(item["host"], f"waits for the operator at {item.get('step')} on {item.get('on')}: "
                                     f"{item.get('title')}")
    for entry in report.get("hosts") or []:
        if entry.get("status") == "blocked":
            blockers = entry.get("blockers") or [{}]
            rule = f"{blockers[0].get('rule')}: " if blockers[0].get("rule") else ""
            more = f" ({len(blockers)} blockers)" if len(blockers) > 1 else ""
            out.setdefault(entry["host"], f"blocked{more}: {rule}{blockers[0].get('text') or 'see the report'}")
    return list(out.items())


def summary_lines(report: Mapping, folder: str, formats: list[str]) -> list[str]:
    """The end-of-run summary: counts, the hosts that need action (at most MAX_HOSTS named), the report files."""
    summary = report.get("summary") or {}
    run = summary.get("run") or "assessment"
    scope = (f" of {summary.get('inventory_total')} in the inventory (--limit)" if summary.get("limited") else "")
    total = summary.get("total", 0)
    lines = [f"SUMMARY ({run}): {total} server{'' if total == 1 else 's'}{scope}",
             f"  decision: {_counts(summary.get('by_path')) or 'no server assessed'}"]
    if summary.get("not_assessed"):
        not_assessed = {}
        for item in summary.get("not_assessed_hosts") or []:
            not_assessed[item.get("status")] = not_assessed.get(item.get("status"), 0) + 1
        lines.append(f"  not assessed: {_counts(not_assessed)}")
    if summary.get("past_deadline"):
        lines.append(f"  past a Microsoft deadline or sync stopped: {summary['past_deadline']}")
    for label, key in (("prepared", "prepare"), ("upgrade", "upgrade"), (str(run), "change")):
        if summary.get(key):
            lines.append(f"  {label}: {_counts(summary[key]) or 'nothing to do'}")
    action = needs_action(report)
    if action:
        lines.append(f"  needs action ({len(action)}):")
        width = max(len(host) for host, _ in action[:MAX_HOSTS])
        lines += [f"    {host.ljust(width)}  {_short(why)}" for host, why in action[:MAX_HOSTS]]
        if len(action) > MAX_HOSTS:
            lines.append(f"    ... and {len(action) - MAX_HOSTS} more (the report lists them)")
    else:
        lines.append("  needs action: none")
    names = {"html": "report.html", "markdown": "report.md", "json": "report.json"}
    files = [names[f] for f in ("html", "markdown", "json") if f in formats]
    lines.append(f"  report: {folder}/{files[0] if files else ''}" + (f" (also {', '.join(files[1:])})"
                                                                     if len(files) > 1 else ""))
    return lines
