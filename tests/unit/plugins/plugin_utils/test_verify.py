"""Verification checks: each says what it saw, and nothing passes on missing evidence."""

from __future__ import annotations

import pytest

from plugins.plugin_utils._verify import checks

FACTS = {"version": "2.5.190.0", "staging_mode": False, "scheduler": {"enabled": True}, "pending_reboot": False,
         "services": [{"name": "ADSync", "state": "running", "start_mode": "auto"}],
         "connectors": [{"name": "corp.contoso.com"}, {"name": "contoso.onmicrosoft.com - AAD"}]}
ENGINE = {"last_runs": [{"connector": "corp.contoso.com", "run_profile": "Delta Synchronization", "result": "success"},
                        {"connector": "contoso.onmicrosoft.com - AAD", "run_profile": "Export", "result": "success"}]}
CLEAN = {"clean": True, "rows": [], "not_compared": []}


def _by_name(out):
    return {c["name"]: c for c in out}


def test_a_good_server_passes_every_check():
    out = checks(FACTS, ENGINE, CLEAN, "2.5.190.0", False)
    assert [c["name"] for c in out] == ["version", "service", "scheduler", "staging_mode", "restart",
                                        "run_results", "configuration"]
    assert all(c["ok"] for c in out), out


@pytest.mark.parametrize(("change", "name", "words"), [
    ({"version": "2.4.131.0"}, "version", "runs 2.4.131.0, at least 2.5.190.0"),
    ({"version": "unknown"}, "version", "runs unknown"),
    ({"services": [{"name": "ADSync", "state": "stopped", "start_mode": "auto"}]}, "service", "ADSync is stopped"),
    ({"services": []}, "service", "ADSync is absent"),
    ({"scheduler": {"enabled": False}}, "scheduler", "sync cycles disabled"),
    ({"scheduler": {"enabled": None}}, "scheduler", "unknown"),
    ({"staging_mode": True}, "staging_mode", "staging mode on (off required)"),
    ({"staging_mode": None}, "staging_mode", "staging mode unknown"),
    ({"pending_reboot": True, "pending_reboot_reasons": ["pending_file_rename"]}, "restart",
     "a restart is pending (pending_file_rename)"),
    ({"pending_reboot": None}, "restart", "unknown")])
def test_each_check_fails_with_what_it_saw(change, name, words):
    out = _by_name(checks({**FACTS, **change}, ENGINE, CLEAN, "2.5.190.0", False))
    assert out[name]["ok"] is False and words in out[name]["detail"]


def test_run_results_fail_on_an_error_a_connector_never_run_or_no_history():
    failed = {"last_runs": [{**ENGINE["last_runs"][0], "result": "completed-export-errors"}, ENGINE["last_runs"][1]]}
    assert _by_name(checks(FACTS, failed, CLEAN, "2.5.190.0", False))["run_results"]["ok"] is False
    one = {"last_runs": ENGINE["last_runs"][:1]}
    out = _by_name(checks(FACTS, one, CLEAN, "2.5.190.0", False))["run_results"]
    assert out["ok"] is False and "never run: contoso.onmicrosoft.com - AAD" in out["detail"]
    assert _by_name(checks(FACTS, {}, CLEAN, "2.5.190.0", False))["run_results"]["detail"].startswith("no run history")


def test_configuration_passes_only_when_compared_and_clean():
    rows = [{"area": "rule", "name": "In from AD - User Join", "accepted": False}]
    out = _by_name(checks(FACTS, ENGINE, {"clean": False, "rows": rows}, "2.5.190.0", False))["configuration"]
    assert out["ok"] is False and "rule In from AD - User Join" in out["detail"]
    accepted = {"clean": True, "rows": [{**rows[0], "accepted": True}]}
    assert "1 accepted differences" in _by_name(checks(FACTS, ENGINE, accepted, "2.5.190.0", False))[
        "configuration"]["detail"]
    none = {"clean": None, "not_compared": [{"area": "all", "why": "no baseline"}]}
    out = _by_name(checks(FACTS, ENGINE, none, "2.5.190.0", False))["configuration"]
    assert out["ok"] is False and out["detail"] == "not compared: no baseline"


def test_a_parallel_target_must_be_in_staging_mode():
    out = _by_name(checks({**FACTS, "staging_mode": True}, ENGINE, CLEAN, "2.5.190.0", True))
    assert out["staging_mode"]["ok"] is True


def test_an_area_not_compared_is_named_in_the_detail():
    diff = {"clean": False, "rows": [], "not_compared": [{"area": "rule", "why": "DirSync has none", "accepted": False}]}
    out = _by_name(checks(FACTS, ENGINE, diff, "2.5.190.0", False))["configuration"]
    assert out["ok"] is False and out["detail"] == "rule not compared: DirSync has none"
