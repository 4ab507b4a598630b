"""The report a change board reads: executive summary, provenance, per-server plan, conflicts, caveats said once,
sources and glossary, the printed page (print CSS) and Markdown for tickets.

One fixed result (a fleet with an in-place server, a parallel source whose target another source also claims, a
blocked server, one not assessed, one current and one without a sync tool), rendered once per format."""

from __future__ import annotations

import copy
import re
import shutil
import subprocess

import pytest

from plugins.plugin_utils._decide import RULES
from plugins.plugin_utils._report import build_report
from plugins.plugin_utils._report_context import report_context
from plugins.plugin_utils._upgrade_plan import handoff_step

from .test_report import GENERATED_AT, RESULTS, ROOT, RUN_DATE, _decision, _render

UNCONFIRMED = ("R-TARGET-UNCONFIRMED", "target 2.5.190.0 is UNCONFIRMED: re-check Microsoft's version history, then "
               "set recommended_target.confirmed in policy/lifecycle.yml")
TLS_VALUE = "HKLM:\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319\\SchUseStrongCrypto"
RUN = {"user": "alice", "playbook": "Assess directory-sync servers", "inventory_sources": ["/srv/inventory/prod.yml"],
       "limit": "sync_servers", "tags": ["all"], "check_mode": True, "assess_only": False}
TARGETS = {"target-2022": ["dirsync-old", "aadsync-02"]}


def _results() -> dict:
    results = copy.deepcopy(RESULTS)
    aadc = copy.deepcopy(results["connect-dc"])
    aadc["facts"].update({"version": "2.3.20.0", "dotnet": {"version": "4.6.2"},
                          "tls12": {"enabled": False, "missing": [TLS_VALUE]}})
    aadc["facts"]["os"]["domain_controller"] = False
    aadc["decision"] = _decision(
        "in_place", "stopped", target="2.5.190.0",
        reasons=[("R-CONNECT-MINIMUM", "version 2.3.20.0 < 2.5.79.0: must be upgraded")],
        warnings=[("R-DOTNET", ".NET 4.6.2 is below 4.7.2: install .NET Framework 4.7.2 or later"), UNCONFIRMED],
        deadlines=[{"rule": "R-DEADLINE-MINIMUM", "text": "below 2.5.79.0, the sync service stops",
                    "date": "2026-09-30", "passed": True}])
    results["aadc-01"] = aadc
    results["dirsync-old"]["decision"]["warnings"].append(dict(zip(("rule", "text"), UNCONFIRMED, strict=True)))
    results["dirsync-old"]["decision"]["target_version"] = "2.5.190.0"
    aadsync = copy.deepcopy(results["dirsync-old"])
    aadsync["facts"].update({"tool": "aadsync", "product": "Microsoft Azure AD Sync"})
    aadsync["decision"].update(path="blocked", proposed_path="parallel", target_version=None, blockers=[
        {"rule": "R-PARALLEL-TARGET-SHARED", "text": "sync_upgrade_target target-2022 is also the target of "
                                                     "dirsync-old: give each source its own"}])
    results["aadsync-02"] = aadsync
    target = copy.deepcopy(results["connect-current"])
    target["facts"].update({"tool": "none", "product": None, "version": None})
    target["decision"] = _decision("none", "ok", reasons=[("R-NO-SYNC-TOOL", "no directory-sync tool on this server")])
    results["target-2022"] = target
    return results


@pytest.fixture(scope="module")
def context():
    return report_context(ROOT)


@pytest.fixture(scope="module")
def report(context):
    return build_report(_results(), GENERATED_AT, RUN_DATE, 12, context=context, run_facts=RUN, target_sources=TARGETS)


@pytest.fixture(scope="module")
def html(report):
    return _render("report.html.j2", report)


@pytest.fixture(scope="module")
def markdown(report):
    return _render("report.md.j2", report)


def _host(report, name):
    return next(host for host in report["hosts"] if host["host"] == name)


# --- executive summary -------------------------------------------------------------------------------------------


def test_the_executive_summary_says_what_is_at_risk_what_is_proposed_and_what_needs_a_decision(report):
    ex = report["executive"]
    assert ex["at_risk"]["below_minimum"] == ["aadc-01"]
    assert sorted(ex["at_risk"]["deprecated_tool"]) == ["aadsync-02", "dirsync-old"]
    assert sorted(ex["at_risk"]["hosts"]) == ["aadc-01", "aadsync-02", "dirsync-old"]
    assert (ex["proposes"]["in_place"], ex["proposes"]["parallel"]) == (["aadc-01"], ["dirsync-old"])
    assert (ex["proposes"]["no_action"], ex["proposes"]["no_sync_tool"]) == (["connect-current"], ["target-2022"])
    assert sorted(ex["decisions"]["blocked"]) == ["aadsync-02", "connect-dc"]
    assert ex["decisions"]["conflicts"] == [{"target": "target-2022", "sources": ["dirsync-old", "aadsync-02"]}]
    assert ex["decisions"]["not_assessed"] == ["aadsync-down"]


def test_both_formats_open_with_the_executive_summary(html, markdown):
    assert html.index('id="executive-summary"') < html.index('id="provenance"') < html.index('id="fleet"')
    assert "Upgrade in place: <strong>1</strong> (aadc-01)" in html
    assert "target target-2022 claimed by dirsync-old and aadsync-02" in html
    head = markdown[:markdown.index("## Summary")]
    assert "## Executive summary" in head
    assert "upgrade in place **1** (aadc-01)" in head
    assert re.search(r"conflicts\s+\*\*1\*\*\s+\(target\s+target-2022\s+claimed\s+by\s+dirsync-old,\s+aadsync-02\)", head)


# --- provenance ----------------------------------------------------------------------------------------------------


def test_provenance_names_toolkit_commit_policy_controller_user_inventory_and_limit(report, html, markdown):
    prov = report["provenance"]
    assert (prov["toolkit"], prov["version"]) == ("entra.sync_upgrade", "0.1.0")
    git = shutil.which("git") and subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True,
                                                 text=True, check=False).stdout.strip()
    assert prov["commit"] == (git or "unknown")
    assert (prov["policy_reviewed"], prov["policy_schema"]) == ("2026-11-25", "1")
    assert prov["controller"] not in (None, "", "unknown") and prov["user"] == "alice"
    assert (prov["inventory_sources"], prov["limit"], prov["tags"]) == (["/srv/inventory/prod.yml"], "sync_servers", [])
    assert (prov["read_only"], prov["read_only_why"]) == (True, "check mode")
    for page in (html, markdown):
        assert prov["commit"] in page and "reviewed 2026-11-25" in page and "sync_servers" in page
        assert "/srv/inventory/prod.yml" in page and "read-only** (check mode)" in page.replace("</strong>", "**")


def test_without_git_or_run_facts_the_report_says_unknown_and_never_guesses(tmp_path):
    (tmp_path / "policy").mkdir()
    shutil.copy(ROOT / "galaxy.yml", tmp_path / "galaxy.yml")
    shutil.copy(ROOT / "policy" / "lifecycle.yml", tmp_path / "policy" / "lifecycle.yml")
    context = report_context(tmp_path)
    assert context["toolkit"]["commit"] == "unknown" and context["toolkit"]["modified"] is None
    prov = build_report(RESULTS, GENERATED_AT, RUN_DATE, context=context)["provenance"]
    assert (prov["commit"], prov["playbook"], prov["inventory_sources"], prov["read_only"]) == (
        "unknown", "unknown", ["unknown"], None)
    changing = build_report(RESULTS, GENERATED_AT, RUN_DATE, steps={}, run_facts={"check_mode": False})["provenance"]
    assert changing["read_only"] is False
    assessing = build_report(RESULTS, GENERATED_AT, RUN_DATE, run_facts={"check_mode": False, "assess_only": True})
    assert (assessing["provenance"]["read_only"], assessing["provenance"]["read_only_why"]) == (True, "assessment only")


# --- per-server plan and conflicts ------------------------------------------------------------------------------------


def test_an_in_place_plan_is_ordered_from_the_fixes_to_the_rollback_point(report):
    plan = _host(report, "aadc-01")["plan"]
    assert [step["key"] for step in plan] == ["fix", "backup", "installer", "prerequisites", "upgrade", "verify",
                                              "rollback"]
    # the handoff's words are the step catalog's, not written again for the report
    title = handoff_step("upgrade", {"computer": "aadc-01", "installer": "x", "version": "2.5.190.0"})["title"]
    assert plan[4]["text"].startswith(title) and plan[4]["kind"] == "handoff"


def test_a_parallel_plan_runs_on_its_target_with_the_settings_handoffs_cutover_and_rollback(report):
    host = _host(report, "dirsync-old")
    assert host["target_host"] == "target-2022"
    keys = [step["key"] for step in host["plan"]]
    assert keys == ["backup", "installer", "prerequisites", "settings", "dirsync_export", "install_migrate", "verify",
                    "cutover", "rollback"]
    assert "on target-2022" in host["plan"][1]["text"]


def test_a_target_claimed_by_two_sources_is_a_conflict_on_each(report, html, markdown):
    for name in ("dirsync-old", "aadsync-02", "target-2022"):
        assert _host(report, name)["conflict"] == {"target": "target-2022", "sources": ["dirsync-old", "aadsync-02"]}
    assert _host(report, "aadc-01")["conflict"] is None
    assert html.count('<p class="conflict"><strong>Conflict:</strong> target-2022') == 3
    assert markdown.count("**Conflict:** target-2022 is the parallel target of dirsync-old, aadsync-02") == 3
    blocked = _host(report, "aadsync-02")
    assert blocked["plan_after_blockers"] and "Plan once the blockers are resolved" in html


# --- caveats, words, readiness, sources ---------------------------------------------------------------------------------


def test_a_caveat_several_hosts_share_is_said_once_at_the_top(report, html, markdown):
    (caveat,) = [c for c in report["caveats"] if c["rule"] == "R-TARGET-UNCONFIRMED"]
    assert sorted(caveat["hosts"]) == ["aadc-01", "aadsync-02", "dirsync-old"]
    for name in ("aadc-01", "aadsync-02", "dirsync-old"):
        host = _host(report, name)
        assert "R-TARGET-UNCONFIRMED" in host["caveats"]
        assert all(w["rule"] != "R-TARGET-UNCONFIRMED" for w in host["warnings"])
    assert html.count("is UNCONFIRMED: re-check") == 1
    assert html.index("is UNCONFIRMED: re-check") < html.index('id="fleet"')
    assert markdown.count("is UNCONFIRMED: re-check") == 1


def test_no_action_needed_and_no_sync_tool_are_different_words(report, markdown):
    assert _host(report, "connect-current")["action"] == "no action needed"
    assert _host(report, "target-2022")["action"] == "no sync tool"
    assert "\n## connect-current: no action needed\n" in markdown and "\n## target-2022: no sync tool\n" in markdown


def test_readiness_lists_what_is_missing_in_short_form(report, markdown):
    assert _host(report, "aadc-01")["readiness_missing"] == [".NET 4.7.2 (has 4.6.2)", "TLS 1.2 (1 registry value missing)"]
    assert _host(report, "connect-current")["readiness_missing"] == []
    assert "- Missing: .NET 4.7.2 (has 4.6.2); TLS 1.2 (1 registry value missing)" in markdown


def test_each_policy_source_resolves_to_a_page_title_and_address(context, report, html):
    sources = context["policy"]["sources"]
    cited = {code for codes in context["policy"]["entries"].values() for code in codes}
    assert cited <= set(sources)
    for code in cited:  # every code of policy/lifecycle.yml: Microsoft's page title and its address
        assert sources[code]["title"], code
        assert code == "3P" or sources[code]["url"].startswith("https://learn.microsoft.com/"), code
    # codes only the rules cite (the rules page's code table) keep their address
    assert sources["SA"]["url"].endswith("/concept-adsync-service-account") and sources["SA"]["title"] is None
    pr = sources["PR"]
    assert f'<a href="{pr["url"]}">{pr["title"]}</a>' in html
    assert {s["code"] for s in report["references"]["sources"]} == set(sources)


def test_the_glossary_comes_from_the_rules_page_and_covers_every_engine_rule(context, report, markdown):
    assert {rule.id for rule in RULES} <= set(context["rules"])
    dotnet = next(r for r in report["references"]["rules"] if r["rule"] == "R-DOTNET")
    assert dotnet["checks"] == ".NET release < 461808 (4.7.2)" and dotnet["sources"] == ["PR", "VH", "HU"]
    dc = next(r for r in report["references"]["rules"] if r["rule"] == "R-NO-SYNC-TOOL")
    assert dc["sources"] == []  # a project rule: no page cited
    assert context["rules"]["R-DOMAIN-CONTROLLER"]["sources"] == ["SA", "ST"]
    shown = {r["rule"] for r in report["references"]["rules"]}
    assert {"R-CONNECT-MINIMUM", "R-TARGET-UNCONFIRMED", "R-PARALLEL-TARGET-SHARED"} <= shown
    assert "| `R-DOTNET` | .NET release `<` 461808 (4.7.2) | warning | PR, VH, HU |" in markdown


# --- the printed page ------------------------------------------------------------------------------------------------


def _print_css(page: str) -> str:
    start = page.index("@media print {")
    depth, index = 0, start
    while True:
        char = page[index]
        depth += char == "{"
        depth -= char == "}"
        index += 1
        if char == "}" and depth == 0:
            return page[start:index]


def _mm(value: str, unit: str) -> float:
    return float(value) * {"mm": 1, "cm": 10, "in": 25.4, "px": 25.4 / 96, "pt": 25.4 / 72}[unit]


def test_print_css_expands_every_host_keeps_rows_together_repeats_the_header_and_keeps_colours(html):
    css = _print_css(html)
    assert "details::details-content { content-visibility: visible; display: block; }" in css
    assert "details:not([open]) > :not(summary) { display: block; }" in css
    assert 'window.addEventListener("beforeprint", openAll)' in html  # and the browser opens them before printing
    assert re.search(r"tbody\.host[^{]*\{ break-inside: avoid; page-break-inside: avoid; \}", css)
    assert "thead { display: table-header-group; }" in css
    assert "print-color-adjust: exact" in css and "-webkit-print-color-adjust: exact" in css
    assert "th[data-label]::before { content: attr(data-label)" in css  # a label, since buttons print blank
    assert re.search(r"#fleet tr\.main \{ break-after: avoid", css)


def test_the_page_fits_a4_and_letter_portrait(html):
    page_rule = re.search(r"@page \{([^}]*)\}", html).group(1)
    assert "size: portrait" in page_rule
    margin = re.search(r"margin: (\d+(?:\.\d+)?)(mm)", page_rule)
    assert margin and _mm(*margin.groups()) <= 15  # 216 mm Letter and 210 mm A4 keep >= 180 mm of width
    style = html[html.index("<style>"):html.index("</style>")]
    fixed = [(v, u) for prop, v, u in re.findall(r"(?<![-\w])(width|min-width): (\d+(?:\.\d+)?)(mm|cm|in|px|pt)", style)]
    assert all(_mm(v, u) <= 180 for v, u in fixed), fixed
    assert "max-width: 100%" in _print_css(html)  # the screen's 1400px cap gives way on paper
    assert "overflow-wrap: anywhere" in style  # long words (registry paths, addresses) wrap


# --- Markdown for tickets ------------------------------------------------------------------------------------------------


def test_markdown_has_no_html_escapes_single_backslashes_and_wrapped_lines(markdown):
    assert not re.search(r"&(lt|gt|amp|quot|#\d+);", markdown)
    assert "\\\\" not in markdown
    plan = _host_section(markdown, "dirsync-old")
    assert "`%ProgramData%\\AADConnect\\Applied-SynchronizationPolicy-*.json)`" not in plan  # DirSync: no JSON
    long = [line for line in markdown.splitlines()
            if len(line) > 100 and not line.startswith("|") and "https://" not in line]
    assert long == []


def test_a_backslash_path_is_a_code_span_with_single_backslashes():
    results = _results()
    results["aadc-01"]["decision"]["warnings"].append({"rule": "R-TLS12", "text": f"missing {TLS_VALUE}"})
    page = _render("report.md.j2", build_report(results, GENERATED_AT, RUN_DATE))
    assert f"`{TLS_VALUE}`" in page


def _host_section(markdown: str, host: str) -> str:
    start = markdown.index(f"\n## {host}: ")
    end = markdown.find("\n## ", start + 1)
    return markdown[start:end if end != -1 else None]


def test_each_host_section_stands_alone_for_a_ticket(markdown):
    section = _host_section(markdown, "aadc-01")
    assert section.startswith("\n## aadc-01: upgrade in place\n")
    assert "- Decision: **upgrade in place** to 2.5.190.0" in section
    assert "**Reasons**" in section and "**Plan**" in section
    assert re.search(r"\n1\. \[fix\] Fix first: \.NET 4\.6\.2", section)
    assert "\n7. [later] Rollback point:" in section
    blocked = _host_section(markdown, "aadsync-02")
    assert "**Blockers**" in blocked and "`R-PARALLEL-TARGET-SHARED`" in blocked
    assert "**Plan once the blockers are resolved**" in blocked


def test_in_the_upgrade_runs_report_each_plan_step_carries_its_result():
    from .test_report import STEPS, _prep_results

    report = build_report(_prep_results(), GENERATED_AT, RUN_DATE, steps=copy.deepcopy(STEPS),
                          target_sources={"target-new": ["dirsync-old"]})
    plan = {step["key"]: step.get("status") for step in _host(report, "dirsync-old")["plan"]}
    # the backup on the source, staging and prerequisites on its target
    assert (plan["backup"], plan["installer"], plan["prerequisites"]) == ("done", "unchanged", "failed")
    assert plan["dirsync_export"] == plan["install_migrate"] == "not_started" and plan["cutover"] is None
    stopped = {step["key"]: step.get("status") for step in _host(report, "connect-inplace")["plan"]}
    assert (stopped["backup"], stopped["upgrade"]) == ("failed", "stopped")
    page = _render("report.md.j2", report)
    assert re.search(r"\n2\. \[run\] Stage the Entra Connect 2\.5\.79\.0 installer on target-new and verify its"
                     r"\s+SHA-256\s+and\s+signature\s+-\s+\*\*unchanged\*\*", page)
    assert "<strong>[failed]</strong>" in _render("report.html.j2", report)
