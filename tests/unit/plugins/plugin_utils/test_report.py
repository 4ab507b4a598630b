"""Fleet assessment report: plugins/plugin_utils/_report.py and the sync_report role's templates.

The templates are rendered with plain Jinja, configured like Ansible's template module (trim_blocks, no
autoescape): the HTML must escape by itself, because Ansible never autoescapes. They are rendered with autoescape
on as well, to show the explicit escaping does not double-escape.
"""

from __future__ import annotations

import copy
import functools
import importlib
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import pytest

from plugins.plugin_utils._report import build_report, summary_table

ROOT = Path(__file__).resolve().parents[4]
TEMPLATES = ROOT / "roles" / "sync_report" / "templates"
GENERATED_AT = "2026-11-25T22:15:00Z"
RUN_DATE = "2026-11-25"
SCRIPT = "<script>alert(1)</script>"


def _decision(path, urgency, *, target=None, reasons=(), blockers=(), warnings=(), deadlines=()):
    return {
        "path": path, "target_version": target, "urgency": urgency, "forced": False,
        "reasons": [{"rule": rule, "text": text} for rule, text in reasons],
        "blockers": [{"rule": rule, "text": text} for rule, text in blockers],
        "warnings": [{"rule": rule, "text": text} for rule, text in warnings],
        "deadlines": list(deadlines),
    }


def _assessed(facts, decision) -> dict:
    return {"status": "assessed", "cause": None, "facts": facts, "decision": decision}


DOWN_CAUSE = "no WinRM connection: check the host name or address (error: Connection refused)"
RESULTS = {
    # Past the 2026-09-30 deadline: sync has stopped.
    "dirsync-old": _assessed(
        {
            "tool": "dirsync", "product": "Windows Azure Active Directory Sync tool", "version": "1.0.7020.0",
            "os": {"caption": "Microsoft Windows Server 2008 R2 Enterprise", "build": 7601,
                   "server_core": False, "domain_controller": False},
            "object_count": 182000, "object_count_source": "sql:mms_metaverse",
            "database": {"type": "sql_express", "server": "SQL01"}, "staging_mode": None,
            "powershell_version": "2.0", "dotnet": {"release": 378389, "version": "4.5"},
            "tls12": {"enabled": False, "missing": ["SCHANNEL\\Client\\Enabled"]},
            "pending_reboot": False, "warnings": ["staging mode could not be read"],
        },
        _decision(
            "parallel", "stopped", target="2.5.79.0",
            reasons=[("tool.dirsync", "DirSync cannot be upgraded in place")],
            warnings=[("os.unsupported", "Windows Server 2008 R2 cannot run current Entra Connect")],
            deadlines=[{"rule": "deadline.v1_retired", "text": "Builds below 2.4.18.0 stop syncing",
                        "date": "2026-09-30", "passed": True}],
        ),
    ),
    # Blocked: a domain controller.
    "connect-dc": _assessed(
        {
            "tool": "connect", "product": "Microsoft Azure AD Connect", "version": "2.3.20.0",
            "os": {"caption": "Microsoft Windows Server 2019 Standard", "build": 17763,
                   "server_core": False, "domain_controller": True},
            "object_count": 9000, "database": {"type": "localdb"}, "staging_mode": False,
        },
        _decision(
            "blocked", "degraded",
            blockers=[("os.domain_controller", "Entra Connect Sync is installed on a domain controller")],
            deadlines=[{"rule": "deadline.tls", "text": "TLS 1.2 only", "date": "2027-03-31", "passed": False}],
        ),
    ),
    # Unreachable: no facts; the decision blocks with the cause.
    "aadsync-down": {"status": "unreachable", "cause": DOWN_CAUSE, "facts": None,
                     "decision": _decision("blocked", "unknown", blockers=[("R-NOT-ASSESSED", "not assessed")])},
    # Nothing to do.
    "connect-current": _assessed(
        {
            "tool": "connect", "product": "Microsoft Entra Connect Sync", "version": "2.5.79.0",
            "os": {"caption": "Microsoft Windows Server 2022 Datacenter", "build": 20348, "server_core": True},
            "object_count": 1200, "database": {"type": "localdb"}, "staging_mode": False,
        },
        _decision("none", "ok", reasons=[("version.current", "Already on a current build")]),
    ),
}
HOSTS = list(RESULTS)


@pytest.fixture
def report():
    return build_report(copy.deepcopy(RESULTS), GENERATED_AT, RUN_DATE, 12)


def _with_script_host():
    results = copy.deepcopy(RESULTS)
    results[SCRIPT] = copy.deepcopy(RESULTS["connect-dc"])
    results[SCRIPT]["facts"]["os"]["caption"] = "Windows | <b>bold</b>"
    results[SCRIPT]["decision"]["blockers"][0]["text"] = '<img src=x onerror="alert(2)"> & more'
    results["aadsync-down"]["cause"] = '<script>alert(3)</script> | cause'
    return build_report(results, GENERATED_AT, RUN_DATE)


@functools.cache
def _env(autoescape: bool) -> jinja2.Environment:
    # As Ansible's template module: trim_blocks on, lstrip_blocks off, no autoescape. One environment per setting,
    # so each template is compiled once per test session (compiling is most of a render's cost).
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), trim_blocks=True, autoescape=autoescape,
                              undefined=jinja2.StrictUndefined)


def _render(name: str, report: dict, autoescape: bool = False) -> str:
    return _env(autoescape).get_template(name).render(__sync_report=report, sync_report_title="Fleet <test>")


# --- build_report -------------------------------------------------------------------------------------------


def test_hosts_are_sorted_by_urgency_then_name(report):
    assert [(host["host"], host["urgency"]) for host in report["hosts"]] == [
        ("dirsync-old", "stopped"), ("connect-dc", "degraded"), ("aadsync-down", "unknown"), ("connect-current", "ok"),
    ]


def test_ties_in_urgency_sort_by_name():
    results = {name: copy.deepcopy(RESULTS["connect-current"]) for name in ("b", "C", "a")}
    assert [host["host"] for host in build_report(results, GENERATED_AT, RUN_DATE)["hosts"]] == ["a", "b", "C"]


def test_summary_counts(report):
    summary = report["summary"]
    assert (summary["total"], summary["assessed"], summary["not_assessed"]) == (4, 3, 1)
    assert (summary["inventory_total"], summary["limited"]) == (12, True)
    assert summary["by_status"] == {"blocked": 1, "parallel": 1, "in_place": 0, "none": 1, "unreachable": 1}
    assert summary["by_path"] == {"blocked": 1, "parallel": 1, "in_place": 0, "none": 1}
    assert summary["not_assessed_hosts"] == [{"host": "aadsync-down", "status": "unreachable", "cause": DOWN_CAUSE}]
    assert summary["by_tool"] == {"connect": 2, "dirsync": 1}
    assert summary["by_urgency"] == {"stopped": 1, "degraded": 1, "unknown": 1, "due": 0, "ok": 1}
    assert summary["past_deadline"] == 1
    assert summary["past_deadline_hosts"] == ["dirsync-old"]
    assert (report["generated_at"], report["run_date"]) == (GENERATED_AT, RUN_DATE)


def test_host_entry_fields(report):
    old = report["hosts"][0]
    assert old["assessed"] is True and old["assessment"] == {"status": "assessed", "cause": None}
    assert (old["tool"], old["version"], old["path"], old["status"], old["target_version"]) == (
        "dirsync", "1.0.7020.0", "parallel", "parallel", "2.5.79.0")
    assert old["os"] == {"caption": "Microsoft Windows Server 2008 R2 Enterprise", "build": 7601,
                         "server_core": False, "domain_controller": False}
    assert old["os_label"] == "Windows Server 2008 R2 Enterprise"
    assert (old["object_count"], old["database_type"], old["staging_mode"]) == (182000, "sql_express", None)
    assert old["reasons"] == [{"rule": "tool.dirsync", "text": "DirSync cannot be upgraded in place"}]
    assert old["deadlines"][0]["passed"] is True and old["deadlines"][0]["days_left"] == -56
    assert old["readiness"]["tls12_missing"] == ["SCHANNEL\\Client\\Enabled"]
    assert old["fact_warnings"] == ["staging mode could not be read"]
    dc = report["hosts"][1]
    assert dc["os_label"] == "Windows Server 2019 Standard (DC)"
    assert dc["deadlines"][0]["days_left"] == 126 and dc["past_deadline"] is False


@pytest.mark.parametrize("status", ["unreachable", "auth_failed", "tls_failed", "probe_failed"])
def test_a_host_not_assessed_shows_its_status_and_cause_everywhere(status):
    cause = f"what to check for {status}"
    results = {"h": {"status": status, "cause": cause, "facts": {"tool": "connect", "version": "2.3.20.0"},
                     "decision": _decision("blocked", "unknown", blockers=[("R-NOT-ASSESSED", cause)])}}
    report = build_report(results, GENERATED_AT, RUN_DATE)
    host = report["hosts"][0]
    assert (host["assessed"], host["status"], host["path"], host["urgency"]) == (False, status, "blocked", "unknown")
    assert (host["tool"], host["version"], host["object_count"]) == (None, None, None)  # stale facts are ignored
    assert host["assessment"] == {"status": status, "cause": cause}
    assert report["summary"]["by_status"][status] == 1 and report["summary"]["by_path"]["blocked"] == 0
    assert f"NOT ASSESSED h ({status}): {cause}" in summary_table(report)
    assert f"Not assessed (**{status}**): {cause}" in _render("report.md.j2", report)
    assert f"> - **h** ({status}): {cause}" in _render("report.md.j2", report)
    page = _render("report.html.j2", report)
    assert f"Not assessed (<strong>{status}</strong>): {cause}" in page
    assert '<section class="banner" role="alert" id="not-assessed">' in page


def test_due_sorts_after_unknown_and_before_ok():
    results = {"a-ok": copy.deepcopy(RESULTS["connect-current"]), "b-due": copy.deepcopy(RESULTS["connect-current"]),
               "c-down": copy.deepcopy(RESULTS["aadsync-down"])}
    results["b-due"]["decision"]["urgency"] = "due"
    report = build_report(results, GENERATED_AT, RUN_DATE)
    assert [host["host"] for host in report["hosts"]] == ["c-down", "b-due", "a-ok"]


@pytest.mark.parametrize("result", [
    None,  # the assessment did not finish for this host
    {},
    {"status": "assessed"},  # assessed but nothing recorded
    {"status": "weird", "facts": "garbage", "decision": ["not", "a", "dict"]},
    {"status": "assessed", "facts": {"os": None, "database": "x", "tls12": [], "object_count": "n/a",
                                     "warnings": None},
     "decision": {"path": None, "urgency": "weird", "reasons": None, "blockers": ["bare text"],
                  "deadlines": [None, {"date": "not a date", "passed": "yes"}]}},
])
def test_missing_or_mistyped_keys_never_crash(result):
    report = build_report({"odd": result}, GENERATED_AT, RUN_DATE)
    host = report["hosts"][0]
    assert host["host"] == "odd"
    assert host["urgency"] == "unknown"
    assert host["status"] in ("incomplete", "unknown")
    assert summary_table(report)
    for name in ("report.md.j2", "report.html.j2"):
        assert "odd" in _render(name, report)


def test_a_host_without_a_result_is_incomplete_never_unreachable():
    host = build_report({"h": None}, GENERATED_AT, RUN_DATE)["hosts"][0]
    assert (host["status"], host["assessment"]["status"]) == ("incomplete", "incomplete")
    assert "did not finish" in host["assessment"]["cause"]


def test_malformed_entries_are_normalised():
    results = {"odd": {"status": "assessed", "facts": {"tool": "connect", "object_count": "1234"},
                       "decision": {"path": "in_place", "urgency": "ok", "blockers": ["bare text"],
                                    "deadlines": [None, {"date": "not a date", "passed": "yes"}]}}}
    host = build_report(results, GENERATED_AT, RUN_DATE)["hosts"][0]
    assert (host["status"], host["object_count"]) == ("in_place", 1234)
    assert host["blockers"] == [{"rule": "", "text": "bare text"}]
    # only a literal true counts as passed
    assert host["deadlines"] == [{"rule": "", "text": "", "date": "not a date", "passed": False, "days_left": None}]


@pytest.mark.parametrize(("urgency", "passed", "expected"), [
    ("stopped", False, True),  # sync stopped: always in the banner
    ("degraded", True, True),  # a deadline passed
    ("degraded", False, False),
    ("ok", False, False),
])
def test_past_deadline(urgency, passed, expected):
    results = {"h": _assessed({"tool": "connect"}, _decision("in_place", urgency, deadlines=[
        {"rule": "d", "text": "t", "date": "2026-09-30", "passed": passed}]))}
    report = build_report(results, GENERATED_AT, RUN_DATE)
    assert report["hosts"][0]["past_deadline"] is expected
    assert report["summary"]["past_deadline"] == int(expected)


def test_the_report_covers_exactly_the_hosts_given():
    report = build_report({"connect-current": RESULTS["connect-current"]}, GENERATED_AT, RUN_DATE, 12)
    assert [host["host"] for host in report["hosts"]] == ["connect-current"]
    assert report["summary"]["not_assessed"] == 0 and "unreachable" not in report["summary"]["by_status"]
    assert "1 hosts of 12 in the inventory (--limit)" in summary_table(report)


# --- summary_table ------------------------------------------------------------------------------------------


def test_summary_table(report):
    lines = summary_table(report).splitlines()
    assert lines[0].split() == ["HOST", "TOOL", "VERSION", "OS", "OBJECTS", "STATUS", "URGENCY"]
    rows = lines[2:2 + len(HOSTS)]
    assert [row.split()[0] for row in rows] == ["dirsync-old", "connect-dc", "aadsync-down", "connect-current"]
    # fixed width: the STATUS column starts at the same offset on every line
    offset = lines[0].index("STATUS")
    assert [row[offset:].split()[0] for row in rows] == ["parallel", "blocked", "unreachable", "none"]
    assert "182,000" in rows[0] and "stopped !" in rows[0] and "-> 2.5.79.0" in rows[0]
    assert lines[-3] == "4 hosts of 12 in the inventory (--limit): 1 blocked, 1 parallel, 1 none, 1 unreachable"
    assert lines[-2] == f"NOT ASSESSED aadsync-down (unreachable): {DOWN_CAUSE}"
    assert lines[-1] == "PAST A DEADLINE OR SYNC STOPPED (!): dirsync-old"


def test_summary_table_of_an_empty_report():
    text = summary_table(build_report({}, GENERATED_AT, RUN_DATE))
    assert text.splitlines()[-1] == "0 hosts: none"


# --- templates ----------------------------------------------------------------------------------------------


def _banner(page: str) -> str:
    match = re.search(r'<section class="banner" role="alert" id="past-deadline">.*?</section>', page, re.S)
    assert match, "no past-deadline banner"
    return match.group(0)


@pytest.mark.parametrize("autoescape", [False, True], ids=["as-ansible", "autoescape"])
def test_html_banner_lists_only_the_past_deadline_server(report, autoescape):
    banner = _banner(_render("report.html.j2", report, autoescape))
    assert "dirsync-old" in banner and "deadline.v1_retired" in banner and "2026-09-30" in banner
    assert "sync stopped" in banner
    for other in ("connect-dc", "aadsync-down", "connect-current"):
        assert other not in banner


def test_html_without_past_deadline_has_no_banner():
    report = build_report({h: RESULTS[h] for h in ("connect-current", "connect-dc")}, GENERATED_AT, RUN_DATE)
    page = _render("report.html.j2", report)
    assert 'class="banner"' not in page and "No server is past a deadline" in page


@pytest.mark.parametrize("autoescape", [False, True], ids=["as-ansible", "autoescape"])
def test_html_escapes_everything(autoescape):
    page = _render("report.html.j2", _with_script_host(), autoescape)
    assert SCRIPT not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img" not in page and "<b>bold</b>" not in page and "Fleet <test>" not in page
    assert "&amp;lt;" not in page, "escaped twice"
    # the only script element is the page's own sorting code
    assert page.count("<script>") == 1
    # the host cell, its data-sort attribute, and the executive summary's blocked servers
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 3


@pytest.mark.parametrize("autoescape", [False, True], ids=["as-ansible", "autoescape"])
def test_html_lists_every_host_with_status_and_details(report, autoescape):
    page = _render("report.html.j2", report, autoescape)
    bodies = re.findall(r'<tbody class="host status-(\w+)">(.*?)</tbody>', page, re.S)
    assert [status for status, _ in bodies] == ["parallel", "blocked", "unreachable", "none"]
    for (_, body), host in zip(bodies, report["hosts"], strict=True):
        assert f'data-sort="{host["host"]}"' in body
        assert "<details>" in body
    assert "<code>os.domain_controller</code>" in bodies[1][1]
    assert "<code>tool.dirsync</code>" in bodies[0][1] and "<code>os.unsupported</code>" in bodies[0][1]
    assert 'data-sort="182000"' in bodies[0][1] and 'data-sort="-1"' in bodies[2][1]
    for status in ("none", "in_place", "parallel", "blocked", "unreachable"):
        assert f"--{status}:" in page


def test_html_is_self_contained_and_well_formed(report):
    page = _render("report.html.j2", report)
    # addresses appear only as links and text (the sources section), never as something the page loads
    assert not re.search(r"https?://", re.sub(r'<a href="https://[^"]*">|<small>https://[^<]*</small>', "", page))
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=|@import|url\(", page)
    assert "default-src 'none'" in page

    class Checker(HTMLParser):
        void = {"meta", "br", "hr", "img", "input", "link"}

        def __init__(self):
            super().__init__()
            self.stack, self.errors = [], []

        def handle_starttag(self, tag, attrs):
            if tag not in self.void:
                self.stack.append(tag)

        def handle_endtag(self, tag):
            if self.stack and self.stack[-1] == tag:
                self.stack.pop()
            else:
                self.errors.append((tag, self.getpos()))

    checker = Checker()
    checker.feed(page)
    assert checker.errors == [] and checker.stack == []


def _md_table_rows(page: str) -> list[str]:
    lines = page.splitlines()
    start = lines.index(next(line for line in lines if line.startswith("| Host |"))) + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def test_markdown_report(report):
    page = _render("report.md.j2", report)
    assert page.startswith("# Fleet `<test>`\n")  # a code span, never an HTML entity
    assert GENERATED_AT in page
    assert "- By status: blocked **1**, parallel **1**, in_place **0**, none **1**, unreachable **1**" in page
    assert "- Hosts in this run: **4** of 12 in the inventory (limited run) (3 assessed, 1 not assessed)" in page
    assert "- Past a deadline or sync stopped: **1**" in page
    rows = _md_table_rows(page)
    assert [row.split("|")[1].strip() for row in rows] == ["dirsync-old (!)", "connect-dc", "aadsync-down",
                                                            "connect-current"]
    for host in HOSTS:
        assert f"\n## {host}: " in page
    assert "- `os.domain_controller` Entra Connect Sync is installed on a domain controller" in page
    assert "- `tool.dirsync` DirSync cannot be upgraded in place" in page
    assert "- `os.unsupported` Windows Server 2008 R2 cannot run current Entra Connect" in page
    assert "\n\n\n" not in page


def test_markdown_keeps_the_table_intact_and_inert():
    report = _with_script_host()
    page = _render("report.md.j2", report)
    rows = _md_table_rows(page)
    assert len(rows) == len(report["hosts"])
    header = next(line for line in page.splitlines() if line.startswith("| Host |"))
    cells = len(re.split(r"(?<!\\)\|", header))
    for row in rows:
        assert len(re.split(r"(?<!\\)\|", row)) == cells
    # Inert without entities: every word with a "<" (any HTML tag has one) is inside a code span.
    prose = re.sub(r"``.*?``|`[^`]*`", "", page)
    assert "<" not in prose
    assert "&lt;" not in page and "&gt;" not in page
    assert f"`{SCRIPT}`" in page and "`<img`" in page


# --- the filter plugin --------------------------------------------------------------------------------------


def test_filter_plugin_exposes_both_filters(monkeypatch):
    collections = ROOT / ".ansible" / "collections"
    assert (collections / "ansible_collections" / "entra" / "sync_upgrade").exists(), "run make setup"
    monkeypatch.syspath_prepend(str(collections))
    filters = {}
    try:
        for name in ("fleet_report", "fleet_summary_table"):  # one filter file each, so each has its ansible-doc page
            module = importlib.import_module(f"ansible_collections.entra.sync_upgrade.plugins.filter.{name}")
            filters.update(module.FilterModule().filters())
        report = filters["fleet_report"](RESULTS, GENERATED_AT, RUN_DATE, 12)
        assert report == build_report(RESULTS, GENERATED_AT, RUN_DATE, 12)
        assert filters["fleet_summary_table"](report) == summary_table(report)
    finally:
        for name in [name for name in sys.modules if name.startswith("ansible_collections.entra")]:
            del sys.modules[name]


def test_html_urgency_sort_keys_match_the_report_order():
    from plugins.plugin_utils._report import URGENCY_RANK

    results = {urgency: copy.deepcopy(RESULTS["connect-current"]) for urgency in URGENCY_RANK}
    for urgency, result in results.items():
        result["decision"]["urgency"] = urgency
    page = _render("report.html.j2", build_report(results, GENERATED_AT, RUN_DATE))
    keys = re.findall(r'<td data-sort="(\d+)" class="urgency-(\w+)">', page)
    assert [(int(rank), urgency) for rank, urgency in keys] == sorted((rank, u) for u, rank in URGENCY_RANK.items())



# --- the upgrade run's steps (upgrade.yml) --------------------------------------------------------------------

def _prep_results():
    results = copy.deepcopy(RESULTS)
    results["connect-inplace"] = copy.deepcopy(RESULTS["connect-current"])
    results["connect-inplace"]["decision"] = _decision("in_place", "stopped", target="2.5.190.0")
    results["target-new"] = copy.deepcopy(RESULTS["connect-current"])
    return results


DONE = {"status": "done", "cause": None, "plan": ["copy x"], "path": "/b/1", "files": 3, "bytes": 10}
STEPS = {
    "dirsync-old": {"source": None, "backup": DONE, "installer": None, "prerequisites": None, "stopped": None},
    "target-new": {"source": "dirsync-old", "backup": None, "stopped": None,
                   "installer": {"status": "unchanged", "version": "2.5.190.0", "path": "C:\\i.msi", "sha256": "ab"},
                   "prerequisites": {"status": "failed", "cause": "TLS 1.2 off",
                                     "checks": [{"name": "tls12", "ok": False}, {"name": "os", "ok": True}]}},
    "connect-inplace": {"source": "connect-inplace", "backup": {"status": "failed", "cause": "hash mismatch"},
                        "installer": None, "prerequisites": None,
                        "stopped": {"step": "backup", "cause": "backup failed: hash mismatch"}},
    "connect-dc": {"source": None, "backup": None, "installer": None, "prerequisites": None,
                   "stopped": {"step": "assess", "cause": "blocked: a domain controller"}},
    "connect-current": {"source": None, "backup": None, "installer": None, "prerequisites": None, "stopped": None},
    "aadsync-down": {"source": None, "backup": None, "installer": None, "prerequisites": None, "stopped": None},
}


def test_an_assessment_report_has_no_prepare_section(report):
    assert all(h["prepare"] is None for h in report["hosts"]) and report["summary"]["prepare"] is None
    assert "PREPARE" not in summary_table(report)


def test_the_upgrade_report_says_per_host_what_is_ready_and_what_is_missing():
    report = build_report(_prep_results(), GENERATED_AT, RUN_DATE, steps=copy.deepcopy(STEPS))
    by = {h["host"]: h["prepare"] for h in report["hosts"]}
    assert by["connect-current"] is None and by["aadsync-down"] is None  # nothing to do, or not assessed
    assert by["dirsync-old"]["role"] == "parallel" and by["dirsync-old"]["target"] == "target-new"
    assert by["dirsync-old"]["state"] == "missing"
    assert by["dirsync-old"]["missing"] == ["prerequisites on target-new: failed (TLS 1.2 off)"]
    assert by["target-new"]["role"] == "target" and by["target-new"]["source"] == "dirsync-old"
    assert by["target-new"]["steps"]["prerequisites"]["detail"] == "1/2 checks pass; failing: tls12"
    assert by["connect-inplace"]["state"] == "stopped" and by["connect-dc"]["state"] == "stopped"
    assert report["summary"]["prepare"] == {"ready": 0, "planned": 0, "missing": 2, "stopped": 2}
    assert {h["host"] for h in report["summary"]["stopped_hosts"]} == {"connect-inplace", "connect-dc"}
    text = summary_table(report)
    assert "PREPARE" in text and "STOPPED connect-inplace at backup: backup failed: hash mismatch" in text
    assert "MISSING dirsync-old: prerequisites on target-new: failed (TLS 1.2 off)" in text


def test_ready_and_planned():
    steps = copy.deepcopy(STEPS)
    steps["target-new"]["prerequisites"] = {"status": "done", "checks": []}
    report = build_report(_prep_results(), GENERATED_AT, RUN_DATE, steps=steps)
    assert next(h for h in report["hosts"] if h["host"] == "dirsync-old")["prepare"]["state"] == "ready"
    for host in ("dirsync-old", "target-new"):
        for step in ("backup", "installer", "prerequisites"):
            if steps[host][step]:
                steps[host][step]["status"] = "planned"
    report = build_report(_prep_results(), GENERATED_AT, RUN_DATE, steps=steps)
    assert next(h for h in report["hosts"] if h["host"] == "target-new")["prepare"]["state"] == "planned"


@pytest.mark.parametrize("autoescape", [False, True], ids=["as-ansible", "autoescape"])
def test_both_pages_show_the_prepare_table_and_the_stopped_servers(autoescape):
    steps = copy.deepcopy(STEPS)
    steps["connect-inplace"]["stopped"]["cause"] = "<script>alert(4)</script>"
    report = build_report(_prep_results(), GENERATED_AT, RUN_DATE, steps=steps)
    page = _render("report.html.j2", report, autoescape)
    assert 'id="prepare"' in page and 'id="stopped"' in page and "<script>alert(4)" not in page
    assert '<tr class="prepare-missing">' in page and "prerequisites on target-new: failed (TLS 1.2 off)" in page
    text = _render("report.md.j2", report, autoescape)
    assert "## Prepared for the upgrade" in text and "| target-new | target of dirsync-old | **missing** |" in text
    assert "**Backup: done** (/b/1)" in text


# --- the upgrade itself: steps done with evidence, the handoff a host waits at, the verification ------------------

def _upgrade_steps():
    steps = copy.deepcopy(STEPS)
    ok = {"status": "unchanged", "checks": []}
    steps["target-new"]["prerequisites"] = ok
    steps["connect-inplace"].update(backup=DONE, stopped=None, prerequisites=ok,
                                    installer={"status": "done", "version": "2.5.190.0", "path": "C:\\i.msi"})
    steps["connect-inplace"]["upgrade"] = {
        "status": "done", "method": "handoff",
        "auto_upgrade": {"eligible": True, "state": "Enabled", "met": ["LocalDB"], "unmet": [],
                         "unverified": ["the default MSOL_ account"]}, "steps": [
            {"name": "scheduler suspended", "status": "done", "evidence": "SyncCycleEnabled True -> False"},
            {"name": "upgrade (operator handoff)", "status": "done", "evidence": "version 2.5.190.0 after 12 s"}]}
    steps["connect-inplace"]["verify"] = {"status": "passed", "checks": [{"name": "version", "ok": True,
                                                                          "detail": "runs 2.5.190.0"}],
                                          "diff": {"clean": True, "rows": [], "not_compared": []}}
    steps["target-new"]["deploy"] = {"status": "running", "method": "dirsync_export", "why": "DirSync: export",
                                     "steps": [{"name": "settings exported", "status": "done", "evidence": "1 file"}]}
    steps["target-new"]["waiting"] = {"step": "install_migrate", "title": "Install <b>Connect</b>",
                                      "since": "2026-12-03T10:00:00Z", "note_path": "C:\\Users\\Public\\Desktop\\x.txt",
                                      "instructions": ["Run the installer", "Choose /migrate"]}
    return steps


def test_the_report_shows_steps_done_the_step_a_host_waits_at_and_the_verification():
    report = build_report(_prep_results(), GENERATED_AT, RUN_DATE, steps=_upgrade_steps())
    by = {h["host"]: h["upgrade"] for h in report["hosts"]}
    assert by["connect-current"] is None
    assert by["connect-inplace"]["state"] == "done" and by["connect-inplace"]["on"] == "connect-inplace"
    assert by["connect-inplace"]["steps"][1]["evidence"] == "version 2.5.190.0 after 12 s"
    # a parallel source shows its new server's progress, and so does the new server itself
    assert by["dirsync-old"]["on"] == "target-new" and by["dirsync-old"]["state"] == "waiting"
    assert by["target-new"]["waiting"]["instructions"] == ["Run the installer", "Choose /migrate"]
    assert report["summary"]["upgrade"] == {"done": 1, "waiting": 2, "planned": 0, "stopped": 0, "not_started": 0}
    assert [w["host"] for w in report["summary"]["waiting_hosts"]] == ["dirsync-old", "target-new"]
    text = summary_table(report)
    assert "UPGRADE" in text and "waits at install_migrate" in text
    assert "Upgrade: 1 done, 2 waiting, 0 planned, 0 stopped, 0 not started" in text
    assert "WAITING target-new for the operator at install_migrate on target-new" in text


def test_a_failed_verification_is_a_stop_with_its_differences():
    steps = _upgrade_steps()
    steps["connect-inplace"]["verify"] = {"status": "failed", "cause": "verification failed: configuration",
                                          "checks": [{"name": "configuration", "ok": False, "detail": "1 difference"}],
                                          "diff": {"clean": False, "rows": [{"area": "rule", "name": "In from AD",
                                                   "property": "precedence", "source": "100", "target": "101"}]}}
    steps["connect-inplace"]["stopped"] = {"step": "verify", "cause": "verification failed: configuration"}
    report = build_report(_prep_results(), GENERATED_AT, RUN_DATE, steps=steps)
    upgrade = next(h for h in report["hosts"] if h["host"] == "connect-inplace")["upgrade"]
    assert upgrade["state"] == "stopped" and upgrade["stopped"]["step"] == "verify"
    assert upgrade["verify"]["differences"] == [{"area": "rule", "name": "In from AD", "property": "precedence",
                                                 "source": "100", "target": "101", "accepted": False}]


@pytest.mark.parametrize("autoescape", [False, True], ids=["as-ansible", "autoescape"])
def test_both_pages_show_the_upgrade_and_the_operator_instructions(autoescape):
    report = build_report(_prep_results(), GENERATED_AT, RUN_DATE, steps=_upgrade_steps())
    page = _render("report.html.j2", report, autoescape)
    assert 'id="upgrade"' in page and 'id="waiting"' in page and "<b>Connect</b>" not in page
    assert "<li>Choose /migrate</li>" in page and "version 2.5.190.0 after 12 s" in page
    text = _render("report.md.j2", report, autoescape)
    assert "## The upgrade" in text and "Waits for the operator at **install_migrate**" in text
    assert "2. Choose /migrate" in text and "- pass version: runs 2.5.190.0" in text
    assert "Microsoft's automatic upgrade: **possible** (state Enabled); cannot be read here: the default MSOL_" in text
    assert "automatic upgrade possible (state Enabled)" in page


# --- cutover and rollback runs ----------------------------------------------------------------------------------

CUTOVER_STEPS = {
    "dirsync-old": {"source": None},
    "connect-current": {"source": "dirsync-old", "cutover": {
        "status": "done", "old_server": {"tool": "dirsync", "mode": "disabled", "why": "never beside"},
        "pending": [{"connector": "AAD | <b>", "add": 1, "update": 2, "delete": 0}],
        "steps": [{"name": "engine stopped and disabled on dirsync-old", "status": "done", "evidence": "<i>e</i>", "plan": []},
                  {"name": "staging mode off on connect-current (operator handoff)", "status": "done"}]}},
    "connect-dc": {"source": None}, "aadsync-down": {"source": None},
}


def test_a_cutover_run_reports_each_pair_on_both_servers_and_no_upgrade_tables():
    report = build_report(copy.deepcopy(RESULTS), GENERATED_AT, RUN_DATE, 12, CUTOVER_STEPS, "cutover")
    hosts = {h["host"]: h for h in report["hosts"]}
    assert hosts["connect-current"]["change"]["state"] == "done"
    assert hosts["dirsync-old"]["change"]["new_server"] == "connect-current"  # the old server points at its pair
    assert hosts["connect-dc"]["change"] is None and hosts["connect-dc"]["prepare"] is None
    assert report["summary"]["change"]["done"] == 1 and report["summary"]["upgrade"] is None
    assert "Cutover (pairs): 1 done" in summary_table(report)
    md = _render("report.md.j2", report)
    assert "## The cutover" in md and "engine stopped and disabled on dirsync-old" in md
    assert "1 adds, 2 updates, 0 deletes" in md
    html = _render("report.html.j2", report, autoescape=False)
    section = html.split('id="change"')[1].split("</section>")[0]
    assert "&lt;i&gt;e&lt;/i&gt;" in section and "<i>" not in section


def test_a_stopped_pair_is_in_the_summary_with_its_step_and_cause():
    steps = copy.deepcopy(CUTOVER_STEPS)
    steps["connect-current"]["stopped"] = {"step": "cutover (export)", "cause": "run profile results other than success"}
    report = build_report(copy.deepcopy(RESULTS), GENERATED_AT, RUN_DATE, 12, steps, "cutover")
    assert report["summary"]["stopped_hosts"] == [{"host": "connect-current", "step": "cutover (export)",
                                                   "cause": "run profile results other than success"}]
    assert "STOPPED connect-current at cutover (export)" in summary_table(report)


def test_an_unknown_run_is_refused():
    with pytest.raises(ValueError, match="cutover or rollback"):
        build_report(copy.deepcopy(RESULTS), GENERATED_AT, RUN_DATE, 12, CUTOVER_STEPS, "upgrade-ish")
