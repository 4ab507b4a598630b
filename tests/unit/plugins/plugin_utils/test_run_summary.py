"""The summary a run ends with (plugins/plugin_utils/_run_summary.py, printed by the callback
plugins/callback/run_summary.py after the recap): one screen whatever the fleet's size."""

from __future__ import annotations

from types import SimpleNamespace

from plugins.callback import run_summary as callback
from plugins.plugin_utils import _run_summary


def report(blocked: int = 1, **summary) -> dict:
    hosts = [{"host": f"blocked{n:02d}", "status": "blocked",
              "blockers": [{"rule": "R-OS-CORE", "text": "Server Core is not supported"},
                           {"rule": "R-PARALLEL-NEEDS-TARGET", "text": "set sync_upgrade_target"}]}
             for n in range(blocked)]
    hosts.append({"host": "fine", "status": "none", "blockers": []})
    return {"hosts": hosts, "summary": {
        "total": 4, "inventory_total": 40, "limited": True, "run": "upgrade",
        "by_path": {"blocked": blocked, "parallel": 0, "in_place": 2, "none": 1},
        "not_assessed": 1, "not_assessed_hosts": [{"host": "gone", "status": "unreachable", "cause": "timed out"}],
        "past_deadline": 2, "prepare": {"ready": 1, "planned": 0, "missing": 0, "stopped": 1},
        "upgrade": {"done": 1, "waiting": 1, "planned": 0, "stopped": 0, "not_started": 0},
        "stopped_hosts": [{"host": "disk", "step": "backup", "cause": "not enough free space " * 20}],
        "waiting_hosts": [{"host": "src", "on": "new", "step": "install_staging", "title": "Install in staging mode"}],
        **summary}}


def test_the_summary_counts_names_who_needs_action_and_where_the_report_is():
    lines = _run_summary.summary_lines(report(), "/srv/reports/20261125T101010Z-abc", ["html", "markdown", "json"])
    assert lines[:6] == [
        "SUMMARY (upgrade): 4 servers of 40 in the inventory (--limit)",
        "  decision: 1 blocked, 2 in place, 1 none",
        "  not assessed: 1 unreachable",
        "  past a Microsoft deadline or sync stopped: 2",
        "  prepared: 1 ready, 1 stopped",
        "  upgrade: 1 done, 1 waiting"]
    assert lines[6] == "  needs action (4):"
    assert lines[7] == "    gone       not assessed (unreachable): timed out"
    assert lines[8].startswith("    disk       stopped at backup: not enough free space") and lines[8].endswith("...")
    assert len(lines[8]) <= 4 + 9 + 2 + _run_summary.MAX_CAUSE
    assert lines[9] == "    src        waits for the operator at install_staging on new: Install in staging mode"
    assert lines[10] == "    blocked00  blocked (2 blockers): R-OS-CORE: Server Core is not supported"
    assert lines[-1] == "  report: /srv/reports/20261125T101010Z-abc/report.html (also report.md, report.json)"


def test_a_large_fleet_still_fits_one_screen():
    lines = _run_summary.summary_lines(report(blocked=300), "/r", ["json"])
    assert len(lines) <= 25
    assert f"    ... and {303 - _run_summary.MAX_HOSTS} more (the report lists them)" in lines
    assert lines[-1] == "  report: /r/report.json"


def test_nothing_to_do_says_so():
    quiet = report(blocked=0, not_assessed=0, not_assessed_hosts=[], stopped_hosts=[], waiting_hosts=[],
                   past_deadline=0, limited=False, run=None, prepare=None, upgrade=None)
    lines = _run_summary.summary_lines(quiet, "/r", ["html"])
    assert lines == ["SUMMARY (assessment): 4 servers", "  decision: 2 in place, 1 none", "  needs action: none",
                     "  report: /r/report.html"]


def test_the_callback_prints_the_stored_lines_last_and_stays_quiet_for_json(monkeypatch):
    shown = []
    plugin = callback.CallbackModule()
    monkeypatch.setattr(plugin, "_display", SimpleNamespace(display=shown.append))
    stats = SimpleNamespace(custom={"_run": {callback.STAT: ["SUMMARY (assessment): 1 servers", "  report: /r"]}})
    monkeypatch.setattr(callback.C, "DEFAULT_STDOUT_CALLBACK", "default")
    plugin.v2_playbook_on_stats(stats)
    plugin.v2_playbook_on_stats(SimpleNamespace(custom={}))  # a run without a report prints nothing
    assert shown == ["SUMMARY (assessment): 1 servers\n  report: /r"]
    for name in ("json", "ansible.posix.json", "ansible.posix.jsonl"):
        monkeypatch.setattr(callback.C, "DEFAULT_STDOUT_CALLBACK", name)
        plugin.v2_playbook_on_stats(stats)
    assert len(shown) == 1, "a JSON stdout must stay parseable"
