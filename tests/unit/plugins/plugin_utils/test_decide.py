"""The decision engine (plugins/plugin_utils/_decide.py) against its decision table and the lifecycle data file.

Every case asserts the path and the rule ids that carry it. Facts are shaped like ansible_facts.sync (the
RETURN of plugins/modules/sync_facts.py). Run date: 2026-11-25 unless a case says otherwise.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from plugins.plugin_utils._decide import DEFAULT_POLICY, RULES, decide, load_policy
from plugins.plugin_utils._version import compare_versions, parse_version, version_below

ROOT = Path(__file__).resolve().parents[4]
POLICY = load_policy(DEFAULT_POLICY)
TODAY = dt.date(2026, 11, 25)
# a parallel target as its own assessment reports it: reachable, clean, domain-joined 2022 with the Desktop Experience
READY_TARGET = {"status": "assessed", "cause": None, "facts": {
    "tool": "none", "version": "none", "os": {"caption": "Microsoft Windows Server 2022 Standard", "build": 20348,
                                              "edition": "ServerStandard", "server_core": False,
                                              "part_of_domain": True}}}
TARGET = {"target_host": "target-2022", "target_assessment": READY_TARGET}

OS = {
    "2008r2": {"caption": "Microsoft Windows Server 2008 R2 Standard", "version": "6.1.7601", "build": 7601},
    "2012r2": {"caption": "Microsoft Windows Server 2012 R2 Standard", "version": "6.3.9600", "build": 9600},
    "2016": {"caption": "Microsoft Windows Server 2016 Standard", "version": "10.0.14393", "build": 14393},
    "2019": {"caption": "Microsoft Windows Server 2019 Standard", "version": "10.0.17763", "build": 17763},
    "2022": {"caption": "Microsoft Windows Server 2022 Standard", "version": "10.0.20348", "build": 20348},
    "2025": {"caption": "Microsoft Windows Server 2025 Standard", "version": "10.0.26100", "build": 26100},
    "win10": {"caption": "Microsoft Windows 10 Enterprise", "version": "10.0.17763", "build": 17763},
    "unknown": {"caption": "unknown", "version": "unknown", "build": None, "server_core": None},
}
TLS_OK = {"enabled": True, "missing": []}
WOW_STRONG = r"HKLM\SOFTWARE\WOW6432Node\Microsoft\.NETFramework\v4.0.30319\SchUseStrongCrypto"


def facts(tool="connect", version="2.3.20.0", os="2019", objects=40000, db="localdb", size_mb=1200, core=False,
          dc=False, **extra) -> dict:
    os_facts = {"edition": "ServerStandard", "server_core": core, "domain_controller": dc, **OS[os]}
    base = {"tool": tool, "version": version, "os": os_facts, "object_count": objects,
            "database": {"type": db, "size_mb": size_mb}, "dotnet": {"release": 528049, "version": "4.8"},
            "tls12": TLS_OK, "staging_mode": False, "pending_reboot": False,
            "system_drive": {"free_bytes": 60 * 2**30}, "warnings": []}
    return base | extra


def ids(decision: dict, bucket: str) -> set[str]:
    return {item["rule"] for item in decision[bucket]}


def run(f, options=None, today=TODAY) -> dict:
    return decide(f, POLICY, {**TARGET, **(options or {})}, today)


# ------------------------------------------------------------------------------------------- the decision table
# (case id, facts, options, expected path, {bucket: rule ids that must be in it})
TABLE = [
    # evidence
    ("no-tool", facts(tool="none", version="unknown"), {}, "none", {"reasons": {"R-NO-SYNC-TOOL"}}),
    ("tool-unknown", facts(tool="unknown"), {}, "blocked", {"blockers": {"R-UNKNOWN-EVIDENCE"}}),
    ("tool-missing", {}, {}, "blocked", {"blockers": {"R-UNKNOWN-EVIDENCE"}}),
    ("connect-version-unknown", facts(version="unknown"), {}, "blocked", {"blockers": {"R-UNKNOWN-EVIDENCE"}}),
    ("unreachable", {}, {"status": "unreachable", "cause": "no answer"}, "blocked", {"blockers": {"R-NOT-ASSESSED"}}),
    ("auth-failed", {}, {"status": "auth_failed", "cause": "refused"}, "blocked", {"blockers": {"R-NOT-ASSESSED"}}),
    # DirSync: 50,000-object threshold and OS
    ("dirsync-49999-2016", facts("dirsync", "1.0.7020.0", "2016", 49_999, "sql_express", 900), {}, "in_place",
     {"reasons": {"R-DIRSYNC", "R-DIRSYNC-OBJECTS", "R-OS-2X-SUPPORTED", "R-DEADLINE-DIRSYNC"}}),
    ("dirsync-50000-2016", facts("dirsync", "1.0.7020.0", "2016", 50_000, "sql_express", 900), {}, "parallel",
     {"reasons": {"R-DIRSYNC-OBJECTS", "R-PARALLEL-TARGET-READY"}}),
    ("dirsync-unknown-count-2016", facts("dirsync", "1.0.7020.0", "2016", None, "sql_express", None), {},
     "parallel", {"reasons": {"R-DIRSYNC-OBJECTS"}}),
    ("dirsync-49999-2012r2", facts("dirsync", "1.0.7020.0", "2012r2", 49_999, "sql_express", 900), {},
     "parallel", {"reasons": {"R-OS-2X-SUPPORTED", "R-DIRSYNC-OBJECTS"}}),
    ("dirsync-30000-2008r2", facts("dirsync", "1.0.7020.0", "2008r2", 30_000, "sql_express", 920), {},
     "parallel", {"reasons": {"R-OS-2X-SUPPORTED"}}),
    # AADSync, MIM
    ("aadsync-2016", facts("aadsync", "1.0.494.0501", "2016", 18_000), {}, "parallel", {"reasons": {"R-AADSYNC"}}),
    ("aadsync-2012r2", facts("aadsync", "1.0.494.0501", "2012r2", 18_000), {}, "parallel",
     {"reasons": {"R-AADSYNC", "R-OS-2X-SUPPORTED"}}),
    ("mim-2016", facts("mim_connector", "4.6.34.0", "2016", 55_000, "sql", 2400), {}, "parallel",
     {"reasons": {"R-MIM-CONNECTOR", "R-DEADLINE-FIM-CONNECTOR"}}),
    # Connect: the 2.5.79.0 floor, numerically
    ("connect-2.5.78.9", facts(version="2.5.78.9"), {}, "in_place", {"reasons": {"R-CONNECT-MINIMUM"}}),
    ("connect-2.5.79.0", facts(version="2.5.79.0"), {}, "none",
     {"reasons": {"R-CONNECT-MINIMUM"}, "warnings": {"R-BELOW-RECOMMENDED"}}),
    ("connect-2.5.190.0", facts(version="2.5.190.0"), {}, "none", {"reasons": {"R-CONNECT-MINIMUM"}}),
    ("connect-2.6.92.0", facts(version="2.6.92.0"), {}, "none", {"reasons": {"R-CONNECT-MINIMUM"}}),
    ("connect-1.6.16.0-2016", facts(version="1.6.16.0", os="2016"), {}, "in_place",
     {"reasons": {"R-CONNECT-1X", "R-CONNECT-MINIMUM", "R-DEADLINE-1X"}}),
    ("connect-1.6.16.0-2012r2", facts(version="1.6.16.0", os="2012r2"), {}, "parallel",
     {"reasons": {"R-OS-2X-SUPPORTED"}}),
    # OS: 2016 / 2012 R2 / 2025 / Server Core / client / unknown
    ("os-2016", facts(os="2016"), {}, "in_place", {"reasons": {"R-OS-2X-SUPPORTED"}}),
    ("os-2012r2", facts(os="2012r2"), {}, "parallel", {"reasons": {"R-OS-2X-SUPPORTED"}}),
    ("os-2025", facts(os="2025"), {}, "parallel", {"reasons": {"R-WS2025"}}),
    ("os-2025-current", facts(version="2.5.190.0", os="2025"), {}, "parallel", {"reasons": {"R-WS2025"}}),
    ("os-core-2022", facts(os="2022", core=True), {}, "parallel", {"reasons": {"R-SERVER-CORE"}}),
    ("os-core-current", facts(version="2.5.190.0", os="2022", core=True), {}, "parallel",
     {"reasons": {"R-SERVER-CORE"}}),
    ("os-client", facts(os="win10"), {}, "parallel", {"reasons": {"R-OS-2X-SUPPORTED"}}),
    ("os-unknown-upgrade", facts(os="unknown"), {}, "parallel",
     {"reasons": {"R-OS-2X-SUPPORTED"}, "warnings": {"R-SERVER-CORE"}}),
    ("os-unknown-current", facts(version="2.5.190.0", os="unknown"), {}, "none",
     {"warnings": {"R-OS-2X-SUPPORTED"}}),
    # LocalDB: 100,000 objects and 10 GB
    ("localdb-99999", facts(objects=99_999, size_mb=6000), {}, "in_place", {"reasons": {"R-CONNECT-MINIMUM"}}),
    ("localdb-100000", facts(objects=100_000, size_mb=6000), {}, "parallel", {"reasons": {"R-LOCALDB-LIMIT"}}),
    ("localdb-10239mb", facts(objects=50_000, size_mb=10_239), {}, "in_place",
     {"warnings": {"R-LOCALDB-LIMIT"}}),  # >= 8 GB: auto-upgrade skips it
    ("localdb-10gb", facts(objects=50_000, size_mb=10_240), {}, "parallel", {"reasons": {"R-LOCALDB-LIMIT"}}),
    # in place is documented below about 100,000 objects, whatever the database (issue: 150,000 on full SQL
    # used to stay in place with no word about size)
    ("full-sql-99999", facts(objects=99_999, db="sql", size_mb=30_000, database={"type": "sql", "size_mb": 30_000,
                                                                               "version": "15.0.4355.3"}),
     {}, "in_place", {"reasons": {"R-CONNECT-MINIMUM"}}),
    ("full-sql-100000", facts(objects=100_000, db="sql", size_mb=30_000), {}, "parallel",
     {"reasons": {"R-CONNECT-OBJECTS"}, "warnings": {"R-SQL-VERSION"}}),
    ("full-sql-150000", facts(objects=150_000, db="sql", size_mb=30_000), {}, "parallel",
     {"reasons": {"R-CONNECT-OBJECTS", "R-PARALLEL-TARGET-READY"}}),
    ("full-sql-2016", facts(objects=40_000, database={"type": "sql", "size_mb": 900, "version": "13.0.6300.2"}), {},
     "parallel", {"reasons": {"R-SQL-VERSION"}}),
    ("full-sql-2019", facts(objects=40_000, database={"type": "sql", "size_mb": 900, "version": "15.0.4355.3"}), {},
     "in_place", {"reasons": {"R-CONNECT-MINIMUM"}}),
    ("connect-count-unknown", facts(objects=None, db="sql", size_mb=900), {}, "in_place",
     {"warnings": {"R-CONNECT-OBJECTS"}}),
    ("localdb-all-unknown", facts(objects=None, size_mb=None), {}, "in_place",
     {"warnings": {"R-CONNECT-OBJECTS", "R-LOCALDB-LIMIT"}}),
    ("localdb-over-current", facts(version="2.5.190.0", objects=120_000), {}, "none",
     {"warnings": {"R-LOCALDB-LIMIT"}}),
    ("db-unknown-over", facts(objects=120_000, db="unknown", size_mb=None), {}, "parallel",
     {"reasons": {"R-CONNECT-OBJECTS"}, "warnings": {"R-LOCALDB-LIMIT"}}),
    # prerequisites are warnings, never blockers
    ("dotnet-4.6.2", facts(dotnet={"release": 394802, "version": "4.6.2"}), {}, "in_place",
     {"warnings": {"R-DOTNET"}}),
    ("dotnet-unknown", facts(dotnet="unknown"), {}, "in_place", {"warnings": {"R-DOTNET"}}),
    ("tls-partial", facts(tls12={"enabled": False, "missing": [WOW_STRONG]}), {}, "in_place",
     {"warnings": {"R-TLS12"}}),
    ("tls-unknown-current", facts(version="2.5.190.0", tls12="unknown"), {}, "none", {"warnings": {"R-TLS12"}}),
    ("pending-reboot", facts(pending_reboot=True), {}, "in_place", {"warnings": {"R-PENDING-REBOOT"}}),
    ("domain-controller", facts(os="2016", dc=True), {}, "in_place", {"warnings": {"R-DOMAIN-CONTROLLER"}}),
    ("staging", facts(version="2.4.131.0", os="2022", staging_mode=True), {}, "in_place",
     {"reasons": {"R-STAGING-MODE"}}),
    ("foreign-entra-connector", facts(connectors=[{"name": "AD", "identifier": "01c396c3-41a9-4694-8811-5b9b4107bcd8"},
                                                  {"name": "AAD", "identifier": "c608b552-abc9-4f2d-8fe3-45bc9a58a439"}]),
     {}, "parallel", {"reasons": {"R-CONNECTOR-GUID"}}),
    # the parallel target
    ("parallel-no-target", facts("dirsync", "1.0.7020.0", "2012r2", 62_000, "sql_express"), {"target_host": None},
     "blocked", {"blockers": {"R-PARALLEL-NEEDS-TARGET"}}),
    ("2025-no-target", facts(version="2.5.190.0", os="2025"), {"target_host": None}, "blocked",
     {"blockers": {"R-PARALLEL-NEEDS-TARGET"}, "reasons": {"R-WS2025"}}),
    # forcing
    ("force-parallel", facts(), {"forced_path": "parallel"}, "parallel",
     {"reasons": {"R-FORCED-PARALLEL", "R-PARALLEL-TARGET-READY"}}),
    ("force-parallel-current", facts(version="2.5.190.0"), {"forced_path": "parallel"}, "parallel",
     {"reasons": {"R-FORCED-PARALLEL"}}),
    ("force-parallel-no-target", facts(), {"forced_path": "parallel", "target_host": None}, "blocked",
     {"blockers": {"R-PARALLEL-NEEDS-TARGET"}}),
    ("force-in-place-agrees", facts(), {"forced_path": "in_place"}, "in_place", {"reasons": {"R-FORCED-IN-PLACE"}}),
    ("force-in-place-current", facts(version="2.5.190.0"), {"forced_path": "in_place"}, "none",
     {"warnings": {"R-FORCED-IN-PLACE"}}),
    ("force-in-place-no-risk", facts("dirsync", "1.0.7020.0", "2016", 62_000, "sql_express"),
     {"forced_path": "in_place"}, "blocked", {"blockers": {"R-FORCED-IN-PLACE"}}),
    ("force-in-place-risk", facts("dirsync", "1.0.7020.0", "2016", 62_000, "sql_express"),
     {"forced_path": "in_place", "accept_in_place_risk": True}, "in_place",
     {"reasons": {"R-FORCED-IN-PLACE", "R-DIRSYNC-OBJECTS"}}),
    ("force-in-place-risk-localdb", facts(objects=100_000), {"forced_path": "in_place", "accept_in_place_risk": True},
     "in_place", {"reasons": {"R-FORCED-IN-PLACE", "R-LOCALDB-LIMIT"}}),
    ("force-in-place-risk-aadsync", facts("aadsync", "1.0.494.0501", "2016", 18_000),
     {"forced_path": "in_place", "accept_in_place_risk": True}, "in_place", {"reasons": {"R-FORCED-IN-PLACE"}}),
    ("force-in-place-risk-2012r2", facts(os="2012r2"), {"forced_path": "in_place", "accept_in_place_risk": True},
     "blocked", {"blockers": {"R-FORCED-IN-PLACE"}}),
    ("force-in-place-risk-2025", facts(os="2025"), {"forced_path": "in_place", "accept_in_place_risk": True},
     "blocked", {"blockers": {"R-FORCED-IN-PLACE"}}),
    ("force-in-place-risk-core", facts(core=True), {"forced_path": "in_place", "accept_in_place_risk": True},
     "blocked", {"blockers": {"R-FORCED-IN-PLACE"}}),
    ("force-in-place-risk-mim", facts("mim_connector", "4.6.34.0", "2016", 55_000, "sql"),
     {"forced_path": "in_place", "accept_in_place_risk": True}, "blocked", {"blockers": {"R-FORCED-IN-PLACE"}}),
    ("force-on-no-tool", facts(tool="none"), {"forced_path": "parallel"}, "none", {"warnings": {"R-NO-SYNC-TOOL"}}),
]


@pytest.mark.parametrize(("f", "options", "path", "expected"), [c[1:] for c in TABLE], ids=[c[0] for c in TABLE])
def test_decision_table(f, options, path, expected):
    decision = run(f, options)
    assert decision["path"] == path, decision
    for bucket, rule_ids in expected.items():
        assert rule_ids <= ids(decision, bucket), (bucket, decision[bucket])
    if path != "blocked":
        assert decision["blockers"] == []
    else:
        assert decision["blockers"]
    assert decision["target_version"] == ("2.5.190.0" if path in ("in_place", "parallel") else None)
    assert decision["forced"] is bool(options.get("forced_path"))
    every = decision["reasons"] + decision["blockers"] + decision["warnings"] + decision["deadlines"]
    assert all(item["rule"].startswith("R-") and item["text"] for item in every)


def test_prerequisites_are_warnings_with_the_missing_values():
    decision = run(facts(dotnet={"release": 394802, "version": "4.6.2"},
                         tls12={"enabled": False, "missing": [WOW_STRONG]}))
    assert decision["path"] == "in_place" and decision["blockers"] == []
    texts = {w["rule"]: w["text"] for w in decision["warnings"]}
    assert WOW_STRONG in texts["R-TLS12"]
    assert "4.6.2" in texts["R-DOTNET"] and "4.7.2" in texts["R-DOTNET"]


def test_prerequisites_of_the_source_do_not_matter_for_a_parallel_move():
    decision = run(facts(os="2012r2", dotnet={"release": 378675}, tls12={"enabled": False, "missing": ["x"]}))
    assert decision["path"] == "parallel"
    assert not {"R-DOTNET", "R-TLS12"} & ids(decision, "warnings")


@pytest.mark.parametrize("target", [None])
def test_missing_target_names_the_variable_and_what_to_set(target):
    decision = run(facts(os="2012r2"), {"target_host": target})
    assert decision["path"] == "blocked" and decision["proposed_path"] == "parallel"
    (blocker,) = [b for b in decision["blockers"] if b["rule"] == "R-PARALLEL-NEEDS-TARGET"]
    assert "sync_upgrade_target" in blocker["text"]
    assert "2016-2022" in blocker["text"] and "inventory" in blocker["text"]


def test_parallel_with_target_names_it():
    decision = run(facts(os="2012r2"))
    assert any(r["rule"] == "R-PARALLEL-TARGET-READY" and "target-2022" in r["text"] for r in decision["reasons"])


def test_forced_in_place_without_acceptance_names_the_risk_variable():
    decision = run(facts("dirsync", "1.0.7020.0", "2016", 50_000, "sql_express"), {"forced_path": "in_place"})
    (blocker,) = decision["blockers"]
    assert blocker["rule"] == "R-FORCED-IN-PLACE" and "sync_upgrade_accept_in_place_risk" in blocker["text"]
    assert "R-DIRSYNC-OBJECTS" in blocker["text"]
    assert decision["forced"] is True and decision["proposed_path"] == "parallel"


def test_forced_in_place_on_an_os_the_installer_cannot_run_on_stays_blocked():
    decision = run(facts(os="2008r2", tool="dirsync", objects=30_000),
                   {"forced_path": "in_place", "accept_in_place_risk": True})
    (blocker,) = decision["blockers"]
    assert "R-OS-2X-SUPPORTED" in blocker["text"] and "cannot run" in blocker["text"]


def test_invalid_forced_path_is_an_error():
    with pytest.raises(ValueError, match="forced_path"):
        run(facts(), {"forced_path": "inplace"})


def test_unknown_evidence_stops_without_deadlines():
    decision = run(facts(tool="unknown"))
    assert decision["urgency"] == "unknown" and decision["deadlines"] == [] and decision["proposed_path"] is None
    assert len(decision["blockers"]) == 1


# ------------------------------------------------------------------------------------------- deadlines
@pytest.mark.parametrize(("version", "day", "passed", "urgency"), [
    ("2.4.131.0", dt.date(2026, 9, 29), False, "due"),
    ("2.4.131.0", dt.date(2026, 9, 30), True, "stopped"),
    ("2.4.131.0", dt.date(2026, 11, 25), True, "stopped"),
])
def test_minimum_version_deadline_against_the_run_date(version, day, passed, urgency):
    decision = run(facts(version=version, os="2022"), today=day)
    (deadline,) = [d for d in decision["deadlines"] if d["rule"] == "R-DEADLINE-MINIMUM"]
    assert deadline["date"] == "2026-09-30" and deadline["passed"] is passed
    assert decision["urgency"] == urgency and decision["path"] == "in_place"
    bucket = "reasons" if passed else "warnings"
    assert "R-DEADLINE-MINIMUM" in ids(decision, bucket)
    if not passed:
        assert "in 1 day(s)" in next(w["text"] for w in decision["warnings"] if w["rule"] == "R-DEADLINE-MINIMUM")


def test_the_same_facts_differ_on_2026_09_29_and_2026_09_30():
    f = facts(version="2.4.131.0", os="2022")
    before, after = run(f, today=dt.date(2026, 9, 29)), run(f, today=dt.date(2026, 9, 30))
    assert before != after
    assert (before["urgency"], after["urgency"]) == ("due", "stopped")


@pytest.mark.parametrize(("version", "options", "day", "applies", "urgency"), [
    ("2.4.17.0", {}, dt.date(2025, 4, 6), True, "due"),
    ("2.4.17.0", {}, dt.date(2025, 4, 7), True, "degraded"),
    ("2.4.18.0", {}, dt.date(2025, 4, 7), False, "due"),  # only the 2026-09-30 floor ahead
    ("2.4.18.0", {"non_commercial": True}, dt.date(2025, 4, 7), True, "degraded"),
    ("2.4.21.0", {"non_commercial": True}, dt.date(2025, 4, 7), False, "due"),
])
def test_sign_in_deadline(version, options, day, applies, urgency):
    decision = run(facts(version=version, os="2022"), options, today=day)
    assert ("R-DEADLINE-SIGNIN" in {d["rule"] for d in decision["deadlines"]}) is applies
    assert decision["urgency"] == urgency


@pytest.mark.parametrize(("f", "rule", "dates"), [
    (facts("dirsync", "1.0.7020.0", "2008r2", 30_000), "R-DEADLINE-DIRSYNC", {"2021-04-01"}),
    (facts("aadsync", "1.0.494.0501", "2012r2", 18_000), "R-DEADLINE-DIRSYNC", {"2021-04-01"}),
    (facts(version="1.6.16.0", os="2016"), "R-DEADLINE-1X", {"2022-08-31", "2023-10-01"}),
    (facts("mim_connector", "4.6.34.0", "2012r2", 55_000, "sql"), "R-DEADLINE-FIM-CONNECTOR", {"2024-04-01"}),
])
def test_retired_products_have_stopped(f, rule, dates):
    decision = run(f)
    assert {d["date"] for d in decision["deadlines"] if d["rule"] == rule} == dates
    assert all(d["passed"] for d in decision["deadlines"]) and decision["urgency"] == "stopped"
    early = run(f, today=dt.date(2021, 3, 31))
    assert not any(d["passed"] for d in early["deadlines"] if d["rule"] == rule)


@pytest.mark.parametrize(("f", "urgency"), [
    (facts(version="2.5.190.0", os="2022"), "ok"),
    (facts(version="2.5.190.0", os="2025"), "degraded"),  # running on an unsupported OS
    (facts(tool="none"), "ok"),
])
def test_urgency_of_current_builds(f, urgency):
    assert run(f)["urgency"] == urgency


# ------------------------------------------------------------------------------------------- the lab profiles
# Facts as sync_facts reports them for each lab profile (lab/profiles/*.yml). The lab inventory gives
# sync_upgrade_target: target-2022 to hosts that need one, except server_2025 and server_core_2022, which show
# the blocked case (docs/decision-rules.md).
LAB = {
    "dirsync_2008r2": (facts("dirsync", "1.0.7020.0", "2008r2", 30_000, "sql_express", 920,
                             dotnet={"release": 379893, "version": "4.5.2"},
                             tls12={"enabled": False, "missing": ["8 values"]}), True, "parallel",
                       {"R-OS-2X-SUPPORTED", "R-DIRSYNC-OBJECTS", "R-DEADLINE-DIRSYNC"}),
    "dirsync_2012r2_large": (facts("dirsync", "1.0.7020.0", "2012r2", 62_000, "sql_express", 1900), True,
                             "parallel", {"R-OS-2X-SUPPORTED", "R-DIRSYNC-OBJECTS"}),
    "aadsync_2012r2": (facts("aadsync", "1.0.494.0501", "2012r2", 18_000, "localdb", 560,
                             connectors=[{"identifier": "ec1b8026-9750-4c61-82ae-c5774f0538d3"},
                                         {"identifier": "c608b552-abc9-4f2d-8fe3-45bc9a58a439"}]),
                       True, "parallel", {"R-AADSYNC", "R-OS-2X-SUPPORTED"}),
    "connect_1x_2016": (facts(version="1.6.16.0", os="2016", objects=25_000, size_mb=780, dc=True,
                              pending_reboot=True, dotnet={"release": 461814, "version": "4.7.2"},
                              tls12={"enabled": False, "missing": ["6 values"]}), True, "in_place",
                        {"R-CONNECT-1X", "R-PENDING-REBOOT", "R-DOMAIN-CONTROLLER", "R-TLS12"}),
    "connect_2_3_2019": (facts(tls12={"enabled": False, "missing": [WOW_STRONG]}), True, "in_place",
                         {"R-CONNECT-MINIMUM", "R-TLS12", "R-DEADLINE-MINIMUM"}),
    "connect_2_4_staging_2022": (facts(version="2.4.131.0", os="2022", staging_mode=True), True, "in_place",
                                 {"R-STAGING-MODE", "R-DEADLINE-MINIMUM"}),
    "connect_current_2022": (facts(version="2.5.190.0", os="2022"), True, "none", {"R-CONNECT-MINIMUM"}),
    "connect_2_4_fullsql_2019": (facts(version="2.4.131.0", os="2019", objects=150_000,
                                       database={"type": "sql", "size_mb": 5632, "version": "13.0.6300.2"}),
                                 True, "parallel", {"R-CONNECT-OBJECTS", "R-SQL-VERSION", "R-DEADLINE-MINIMUM"}),
    "mim_connector_2012r2": (facts("mim_connector", "4.6.34.0", "2012r2", 55_000, "sql", 2400), True, "parallel",
                             {"R-MIM-CONNECTOR", "R-OS-2X-SUPPORTED", "R-DEADLINE-FIM-CONNECTOR"}),
    "server_2025": (facts(version="2.5.190.0", os="2025", objects=12_000, size_mb=380), False, "blocked",
                    {"R-WS2025", "R-PARALLEL-NEEDS-TARGET"}),
    "server_core_2022": (facts(os="2022", core=True, objects=8_000, size_mb=260), False, "blocked",
                         {"R-SERVER-CORE", "R-PARALLEL-NEEDS-TARGET"}),
    "member_no_sync_2019": (facts(tool="none", version="unknown", objects=None, db="unknown", size_mb=None), True,
                            "none", {"R-NO-SYNC-TOOL"}),
    "target_2022_clean": (facts(tool="none", version="unknown", os="2022", objects=None), True, "none",
                          {"R-NO-SYNC-TOOL"}),
}


@pytest.mark.parametrize("name", sorted(LAB))
def test_lab_profiles(name):
    f, has_target, path, rule_ids = LAB[name]
    decision = run(f, {"target_host": "target-2022" if has_target else None})
    assert decision["path"] == path
    every = ids(decision, "reasons") | ids(decision, "blockers") | ids(decision, "warnings")
    assert rule_ids <= every, every
    description = yaml.safe_load((ROOT / "lab" / "profiles" / f"{name}.yml").read_text())["description"]
    assert re.search(r"Expected decision: (\w+)", description).group(1) == path


@pytest.mark.parametrize("name", ["server_2025", "server_core_2022"])
def test_lab_hosts_on_unsupported_platforms_move_once_given_a_target(name):
    assert run(LAB[name][0])["path"] == "parallel"


# ------------------------------------------------------------------------------------------- versions
@pytest.mark.parametrize(("low", "high"), [
    ("2.5.78.9", "2.5.79.0"), ("2.5.79.0", "2.5.190.0"), ("2.4.131.0", "2.5.79.0"), ("1.6.16.0", "2.0.88.0"),
    ("1.0.494.0501", "1.0.8641.0"), ("2.5.9", "2.5.10"),
])
def test_versions_compare_numerically(low, high):
    assert parse_version(low) < parse_version(high)
    assert compare_versions(low, high) == -1 and compare_versions(high, low) == 1
    assert version_below(low, high) is True and version_below(high, low) is False


@pytest.mark.parametrize(("text", "parsed"), [
    ("2.5.79.0", (2, 5, 79)), ("2.5.79", (2, 5, 79)), (" 2.3.20.0 ", (2, 3, 20)), ("1.0.6385.0012", (1, 0, 6385, 12)),
    ("unknown", None), (None, None), ("", None), ("2.5.x", None), (True, None), (2.5, None),
])
def test_parse_version(text, parsed):
    assert parse_version(text) == parsed


def test_equal_versions_and_unknown():
    assert compare_versions("2.5.79", "2.5.79.0") == 0
    assert version_below("unknown", "2.5.79.0") is None
    with pytest.raises(ValueError):
        compare_versions("unknown", "2.5.79.0")


# ------------------------------------------------------------------------------------------- the policy file
def test_policy_file_values():
    p = POLICY
    assert (p.minimum_version, p.minimum_date) == ("2.5.79.0", dt.date(2026, 9, 30))
    assert (p.signin_commercial, p.signin_non_commercial, p.signin_date) == ("2.4.18.0", "2.4.21.0",
                                                                            dt.date(2025, 4, 7))
    assert (p.v1_retired, p.v1_stopped) == (dt.date(2022, 8, 31), dt.date(2023, 10, 1))
    assert p.dirsync_stopped == p.aadsync_stopped == dt.date(2021, 4, 1)
    assert (p.target_version, p.target_confirmed) == ("2.5.190.0", False)
    assert (p.dirsync_max_objects, p.localdb_max_mb, p.localdb_max_objects) == (50_000, 10_240, 100_000)
    assert p.supported_builds == {14393: "Windows Server 2016", 17763: "Windows Server 2019",
                                  20348: "Windows Server 2022"}
    assert p.unsupported_builds == {26100: "Windows Server 2025"}
    assert p.dotnet_min_release == 461808


def _mutated(tmp_path, change) -> Path:
    data = yaml.safe_load(DEFAULT_POLICY.read_text())
    change(data)
    path = tmp_path / "lifecycle.yml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(("change", "key"), [
    (lambda d: d["minimum_version"].pop("date"), "minimum_version.date"),
    (lambda d: d["minimum_version"].update(version="2.5.x"), "minimum_version.version"),
    (lambda d: d["minimum_version"].update(version=2.5), "minimum_version.version"),
    (lambda d: d["signin_minimum"].update(date="2025-13-07"), "signin_minimum.date"),
    (lambda d: d["dirsync_in_place"].update(max_objects="50k"), "dirsync_in_place.max_objects"),
    (lambda d: d["localdb"].update(max_size_mb=True), "localdb.max_size_mb"),
    (lambda d: d["recommended_target"].update(confirmed="yes"), "recommended_target.confirmed"),
    (lambda d: d["recommended_target"].update(version="2.5.78.0"), "recommended_target.version"),
    (lambda d: d["os"].update(supported_builds={"WS2016": "Windows Server 2016"}), "os.supported_builds"),
    (lambda d: d["dotnet"].update(source=["NOPE"]), "dotnet.source"),
    (lambda d: d.pop("connect_1x"), "connect_1x"),
    (lambda d: d.update(schema=2), "schema"),
    (lambda d: d.pop("sources"), "sources"),
])
def test_malformed_policy_names_the_key(tmp_path, change, key):
    with pytest.raises(ValueError, match=re.escape(f"'{key}")):
        load_policy(_mutated(tmp_path, change))


@pytest.mark.parametrize("text", ["- just\n- a list\n", "minimum_version: [unclosed\n", ""])
def test_policy_that_is_not_a_mapping(tmp_path, text):
    path = tmp_path / "lifecycle.yml"
    path.write_text(text)
    with pytest.raises(ValueError, match=str(path)):
        load_policy(path)


def test_missing_policy_file(tmp_path):
    with pytest.raises(ValueError, match="cannot read"):
        load_policy(tmp_path / "nope.yml")


def test_a_raised_floor_is_picked_up_without_code_changes(tmp_path):
    def later(d):
        d["minimum_version"].update(version="2.6.0.0", date=dt.date(2027, 6, 30))
        d["recommended_target"].update(version="2.6.92.0")
    policy = load_policy(_mutated(tmp_path, later))
    decision = decide(facts(version="2.5.190.0", os="2022"), policy, TARGET, TODAY)
    assert decision["path"] == "in_place" and decision["target_version"] == "2.6.92.0"
    assert decision["urgency"] == "due"


# ------------------------------------------------------------------------------------------- the table itself
def test_every_rule_id_is_documented():
    doc = (ROOT / "docs" / "decision-rules.md").read_text()
    documented = set(re.findall(r"^#### (R-[A-Z0-9-]+)$", doc, flags=re.M))
    assert {r.id for r in RULES} == documented


def test_run_date_may_be_a_datetime():
    f = facts(version="2.4.131.0", os="2022")
    assert run(f, today=dt.datetime(2026, 9, 30, 0, 1)) == run(f, today=dt.date(2026, 9, 30))


# ------------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("text", [
    "minimum_version:\n  version: '2.5.79.0'\n  date: 2026-13-01\n  source: [PR]\n",  # unquoted, as YAML dates are
    "minimum_version:\n  version: '2.5.79.0'\n  date: '2026-02-30'\n  source: [PR]\n"])
def test_an_impossible_date_names_the_file_the_key_and_the_value(tmp_path, text):
    data = yaml.safe_load(DEFAULT_POLICY.read_text())
    path = tmp_path / "lifecycle.yml"
    body = yaml.safe_dump({k: v for k, v in data.items() if k != "minimum_version"}, sort_keys=False)
    path.write_text(body + text)
    with pytest.raises(ValueError) as info:
        load_policy(path)
    message = str(info.value)
    assert str(path) in message and "'minimum_version.date'" in message
    assert "2026-13-01" in message or "2026-02-30" in message


@pytest.mark.parametrize("options,name", [
    ({"accept_in_place_risk": "no"}, "accept_in_place_risk"), ({"accept_in_place_risk": "false"}, "accept_in_place_risk"),
    ({"target_host": ""}, "target_host"), ({"target_host": "   "}, "target_host"),
    ({"forced_path": "in-place"}, "forced_path"), ({"status": "down"}, "status"),
    ({"inventory_hosts": "target-2022"}, "inventory_hosts"), ({"unreachable": True}, "unreachable"),
    ({"target_assessment": {"status": "fine"}}, "target_assessment"),
])
def test_decide_refuses_options_of_the_wrong_kind(options, name):
    with pytest.raises(ValueError, match=name):
        decide(facts(), POLICY, options, TODAY)


@pytest.mark.parametrize("today", ["2026-11-25", dt.datetime(2026, 11, 25, 10, 0)])
def test_a_run_date_may_be_a_date_text(today):
    assert decide(facts(), POLICY, TARGET, today) == decide(facts(), POLICY, TARGET, TODAY)


@pytest.mark.parametrize("today,facts_in,policy", [("25.11.2026", {}, POLICY), (20261125, {}, POLICY),
                                                  (TODAY, ["not", "facts"], POLICY), (TODAY, {}, {"not": "a policy"})])
def test_decide_refuses_a_bad_date_facts_or_policy(today, facts_in, policy):
    with pytest.raises(ValueError):
        decide(facts_in, policy, {}, today)


# ------------------------------------------------------------------------------------------- the parallel target
def _target(**os_changes) -> dict:
    ready = {**READY_TARGET, "facts": {**READY_TARGET["facts"], "os": {**READY_TARGET["facts"]["os"], **os_changes}}}
    return ready


SOURCE = facts("dirsync", "1.0.7020.0", "2008r2", 30_000, "sql_express", 920)


def test_a_target_outside_the_inventory_gives_one_true_blocker():
    d = run(SOURCE, {"target_host": "typo-2022", "inventory_hosts": ["dirsync-2008r2", "target-2022"],
                     "target_assessment": None})
    assert d["path"] == "blocked" and [b["rule"] for b in d["blockers"]] == ["R-PARALLEL-NEEDS-TARGET"]
    assert "'typo-2022', which is not a host in this inventory" in d["blockers"][0]["text"]
    assert "set the host variable" not in d["blockers"][0]["text"]


def test_a_target_shared_by_two_sources_blocks_them():
    d = run(SOURCE, {"target_claimed_by": ["aadsync-2012r2"]})
    assert d["path"] == "blocked"
    assert [b["rule"] for b in d["blockers"]] == ["R-PARALLEL-TARGET-SHARED"]
    assert "aadsync-2012r2" in d["blockers"][0]["text"]


@pytest.mark.parametrize("assessment,words", [
    (None, "was not assessed in this run"),
    ({"status": "tls_failed", "cause": "certificate has expired", "facts": None}, "certificate has expired"),
    ({**READY_TARGET, "facts": {**READY_TARGET["facts"], "tool": "connect", "version": "2.3.20.0"}},
     "already runs connect"),
    ({**READY_TARGET, "facts": {**READY_TARGET["facts"], "tool": "unknown"}}, "cannot confirm that no sync engine"),
    (_target(build=9600, caption="Microsoft Windows Server 2012 R2 Standard"), "needs Windows Server 2016, 2019"),
    (_target(server_core=True), "Server Core"),
    (_target(part_of_domain=False), "not joined to a domain"),
])
def test_a_target_that_is_not_ready_blocks_its_source(assessment, words):
    d = run(SOURCE, {"target_assessment": assessment})
    assert d["path"] == "blocked" and d["proposed_path"] == "parallel"
    (blocker,) = [b for b in d["blockers"] if b["rule"] == "R-PARALLEL-TARGET-READY"]
    assert words in blocker["text"]


def test_unknowns_about_the_target_are_warnings():
    d = run(SOURCE, {"target_assessment": _target(part_of_domain=None, server_core=None)})
    assert d["path"] == "parallel"
    assert sum(w["rule"] == "R-PARALLEL-TARGET-READY" for w in d["warnings"]) == 2


# ------------------------------------------------------------------------------------------- Windows Server 2025
@pytest.mark.parametrize("ubr,bucket,words", [(6901, "reasons", "KB5070773 or later is installed"),
                                              (7000, "reasons", "KB5070773 or later is installed"),
                                              (4061, "warnings", "KB5070773 is not installed"),
                                              (None, "warnings", "cannot tell whether KB5070773")])
def test_ws2025_says_whether_its_update_is_installed(ubr, bucket, words):
    d = run(facts(version="2.5.190.0", os="2025", **{}) | {"os": {**OS["2025"], "ubr": ubr, "server_core": False}})
    assert any(item["rule"] == "R-WS2025" and words in item["text"] for item in d[bucket])


# ------------------------------------------------------------------------- a target that carries a deployment
MARK = {"source": "dirsync-2008r2", "source_computer": "DIRSYNC01", "started": "2026-12-03T10:00:00Z"}
DEPLOYED = {**READY_TARGET, "facts": {**READY_TARGET["facts"], "tool": "connect", "version": "2.5.190.0",
                                      "deployment": MARK}}


def test_a_target_running_this_sources_deployment_lets_the_run_continue():
    d = run(SOURCE, {"target_assessment": DEPLOYED, "source_host": "dirsync-2008r2"})
    assert d["path"] == "parallel"
    assert any(r["rule"] == "R-PARALLEL-TARGET-READY" and "already carries this server's parallel deployment"
               in r["text"] for r in d["reasons"])


@pytest.mark.parametrize("source_host", ["aadsync-2012r2", None])
def test_a_target_marked_for_another_source_or_unknown_source_blocks(source_host):
    d = run(SOURCE, {"target_assessment": DEPLOYED, "source_host": source_host})
    assert d["path"] == "blocked"
    (blocker,) = [b for b in d["blockers"] if b["rule"] == "R-PARALLEL-TARGET-READY"]
    assert "already runs connect" in blocker["text"]


def test_a_clean_target_marked_for_another_source_blocks():
    clean = {**READY_TARGET, "facts": {**READY_TARGET["facts"], "deployment": MARK}}
    d = run(SOURCE, {"target_assessment": clean, "source_host": "aadsync-2012r2"})
    (blocker,) = [b for b in d["blockers"] if b["rule"] == "R-PARALLEL-TARGET-READY"]
    assert "marked as the new server of dirsync-2008r2" in blocker["text"]


def test_an_unfinished_upgrade_on_a_current_server_is_finished_in_place():
    current = facts(version="2.5.190.0", os="2019")
    assert run(current)["path"] == "none"
    d = run({**current, "unfinished_upgrade": {"scheduler_before": "enabled"}})
    assert d["path"] == "in_place" and d["target_version"]
    assert any(r["rule"] == "R-UNFINISHED-UPGRADE" for r in d["reasons"])


# ------------------------------------------------------------------------- two active servers of one tenant
TENANT = "fabrikam.onmicrosoft.com"
RUNNING = [{"name": "ADSync", "state": "running", "start_mode": "auto"}]
ACTIVE = facts(version="2.5.190.0", os="2022", tenant=TENANT, services=RUNNING, scheduler={"enabled": True})


def peer(host="connect-b", tenant=TENANT, active=True, why="ADSync running, scheduler on, not in staging mode"):
    return {"host": host, "tenant": tenant, "active": active, "why": why}


def test_two_active_servers_of_one_tenant_block_naming_the_other():
    d = run(ACTIVE, {"tenant_servers": [peer()]})
    assert d["path"] == "blocked"
    (blocker,) = [b for b in d["blockers"] if b["rule"] == "R-TENANT-TWO-ACTIVE"]
    assert "connect-b" in blocker["text"] and TENANT in blocker["text"] and "staging mode" in blocker["text"]


@pytest.mark.parametrize("mine,other", [
    ({}, peer(tenant="contoso.onmicrosoft.com")),                      # another tenant
    ({}, peer(active=False, why="staging mode on")),                   # the other one is a staging server
    ({"staging_mode": True}, peer()),                                  # this one is
    ({"services": [{"name": "ADSync", "state": "stopped", "start_mode": "disabled"}]}, peer()),
])
def test_a_staging_or_stopped_server_or_another_tenant_is_no_clash(mine, other):
    d = run({**ACTIVE, **mine}, {"tenant_servers": [other]})
    assert "R-TENANT-TWO-ACTIVE" not in ids(d, "blockers") | ids(d, "warnings")


@pytest.mark.parametrize("mine,other,words", [
    ({"tenant": "unknown"}, peer("dirsync-a", "unknown"), "dirsync-a (tenant unknown)"),
    ({"staging_mode": None}, peer("dirsync-a", "unknown"), "dirsync-a (tenant unknown)"),
    ({}, peer(active=None, why="staging mode unknown"), "connect-b (activity unknown: staging mode unknown)"),
    ({"tenant": "unknown"}, peer(), "this server's tenant (unknown): connect-b (active)"),
    ({"staging_mode": None}, peer(), "its activity unknown (staging mode unknown)"),
])
def test_an_unknown_tenant_or_activity_warns_and_does_not_block(mine, other, words):
    d = run({**ACTIVE, **mine}, {"tenant_servers": [other]})
    assert "R-TENANT-TWO-ACTIVE" not in ids(d, "blockers")
    (warning,) = [w for w in d["warnings"] if w["rule"] == "R-TENANT-TWO-ACTIVE"]
    assert words in warning["text"], warning["text"]


def test_a_fully_known_server_leaves_the_warning_to_the_server_of_unknown_tenant():
    d = run(ACTIVE, {"tenant_servers": [peer("dirsync-a", "unknown")]})
    assert "R-TENANT-TWO-ACTIVE" not in ids(d, "blockers") | ids(d, "warnings")
    dirsync = facts(tool="dirsync", version="1.0.7020.0", os="2022", tenant="unknown", scheduler={"enabled": True},
                    services=[{"name": "FIMSynchronizationService", "state": "running", "start_mode": "auto"}])
    d = run(dirsync, {"tenant_servers": [peer("connect-a")]})
    (warning,) = [w for w in d["warnings"] if w["rule"] == "R-TENANT-TWO-ACTIVE"]
    assert "this server's tenant (unknown): connect-a (active)" in warning["text"]


def test_without_the_run_view_no_server_is_compared():
    assert "R-TENANT-TWO-ACTIVE" not in ids(run(ACTIVE), "blockers") | ids(run(ACTIVE), "warnings")


@pytest.mark.parametrize("bad", [[{"tenant": TENANT}], [peer(active="yes")], "connect-b"])
def test_tenant_servers_is_validated(bad):
    with pytest.raises(ValueError, match="option tenant_servers must be"):
        run(ACTIVE, {"tenant_servers": bad})


# R-CUT-OVER: the old server stays beside its new one, which is active for the same tenant
CUT_MARK = {**MARK, "cutover": {"completed": "2026-12-10T10:00:00Z", "old_server": "disabled"}}
CUT_TARGET = {**READY_TARGET, "facts": {**ACTIVE, "deployment": CUT_MARK}}
NEW_SERVER = peer("target-2022")
OLD_DIRSYNC = facts(tool="dirsync", version="1.0.7020.0", os="2008r2", tenant="unknown", scheduler={"enabled": False},
                    services=[{"name": "FIMSynchronizationService", "state": "stopped", "start_mode": "disabled"}])


def test_a_cut_over_source_stopped_beside_its_active_new_server_is_replaced():
    d = run(OLD_DIRSYNC, {"target_assessment": CUT_TARGET, "source_host": "dirsync-2008r2",
                          "tenant_servers": [NEW_SERVER]})
    assert d["path"] == "none" and "R-CUT-OVER" in ids(d, "reasons")
    assert "R-TENANT-TWO-ACTIVE" not in ids(d, "blockers") | ids(d, "warnings")


def test_a_cut_over_connect_standby_in_staging_mode_is_replaced():
    standby = {**ACTIVE, "staging_mode": True}
    mark = {**CUT_MARK, "source": "connect-old", "cutover": {**CUT_MARK["cutover"], "old_server": "standby"}}
    d = run(standby, {"target_assessment": {**CUT_TARGET, "facts": {**ACTIVE, "deployment": mark}},
                      "source_host": "connect-old", "tenant_servers": [NEW_SERVER]})
    assert d["path"] == "none" and "R-CUT-OVER" in ids(d, "reasons") and "R-TENANT-TWO-ACTIVE" not in ids(d, "blockers")


def test_a_cut_over_source_running_again_beside_its_new_server_is_blocked():
    d = run(ACTIVE, {"target_assessment": CUT_TARGET, "source_host": "dirsync-2008r2", "tenant_servers": [NEW_SERVER]})
    assert d["path"] == "blocked" and "R-CUT-OVER" in ids(d, "reasons")
    assert any("target-2022" in b["text"] for b in d["blockers"] if b["rule"] == "R-TENANT-TWO-ACTIVE")
