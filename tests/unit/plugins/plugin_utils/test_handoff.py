"""The handoff's rules (plugins/plugin_utils/_handoff.py): the note, the checks over the sync facts, the state
machine that the action plugin and an AWX approval flow share."""

from __future__ import annotations

import pytest

from plugins.plugin_utils import _handoff as h
from tests.unit.plugins.plugin_utils.test_backup_catalog import facts_of


def checks(*raw) -> list[dict]:
    return h.validate("upgrade", ["Run the installer."], {}, list(raw), "wait", 60, 30)


def one(check: dict, facts: dict) -> dict:
    return h.evaluate(checks(check), facts)[0]


# ---- the note ------------------------------------------------------------------------------------------------

NOTE_ARGS = dict(step="install_import", host="target-2022", computer="TARGET2022", issued="2026-11-25T10:00:00Z",
                 parameters={"Installer": r"C:\ProgramData\EntraSyncUpgrade\installer\AzureADConnect.msi",
                             "Settings": r"C:\ProgramData\EntraSyncUpgrade\settings\src\x.json", "Staging": "on"},
                 instructions=["Run the installer.", "Choose Customize, then Import synchronization settings: 2."],
                 sees=["version at least 2.5.190.0", "staging mode on"])


def test_the_note_has_the_contract_layout():
    lines = h.render_note(**NOTE_ARGS)
    assert lines == [
        "entra-sync-upgrade handoff v1", "Step: install_import", "Host: target-2022 (TARGET2022)",
        "Issued: 2026-11-25T10:00:00Z",
        r"Installer: C:\ProgramData\EntraSyncUpgrade\installer\AzureADConnect.msi",
        r"Settings: C:\ProgramData\EntraSyncUpgrade\settings\src\x.json", "Staging: on", "",
        "What to do:", "1. Run the installer.", "2. Choose Customize, then Import synchronization settings: 2.",
        "When it is done, the run sees:", "- version at least 2.5.190.0", "- staging mode on"]


def test_a_note_round_trips_through_its_crlf_text():
    text = "\r\n".join(h.render_note(**NOTE_ARGS)) + "\r\n"
    note = h.parse_note(text)
    assert note == {"step": "install_import", "host": "target-2022", "computer": "TARGET2022",
                    "issued": "2026-11-25T10:00:00Z", "parameters": NOTE_ARGS["parameters"],
                    "instructions": NOTE_ARGS["instructions"], "sees": NOTE_ARGS["sees"]}


def test_a_note_without_the_computer_name_still_parses():
    note = h.parse_note("\n".join(h.render_note(**{**NOTE_ARGS, "computer": None})))
    assert note["host"] == "target-2022" and note["computer"] is None


@pytest.mark.parametrize("text,why", [
    ("hello\r\n", "first line"),
    ("entra-sync-upgrade handoff v1\r\nStep: upgrade\r\n\r\nWhat to do:\r\nWhen it is done, the run sees:\r\n",
     "lacks Host, Issued"),
    ("entra-sync-upgrade handoff v1\r\nStep: upgrade\r\nHost: h\r\nIssued: t\r\n\r\nWhat to do:\r\n1. x\r\n",
     "lacks"),
    ("entra-sync-upgrade handoff v1\r\nStep upgrade\r\n", "Key: value"),
])
def test_what_is_not_a_note_is_refused(text, why):
    with pytest.raises(ValueError, match=why):
        h.parse_note(text)


def test_a_reissued_note_asks_the_same_and_another_instruction_does_not():
    first = h.parse_note("\n".join(h.render_note(**NOTE_ARGS)))
    again = h.parse_note("\n".join(h.render_note(**{**NOTE_ARGS, "issued": "2026-11-26T08:00:00Z"})))
    changed = h.parse_note("\n".join(h.render_note(**{**NOTE_ARGS, "instructions": ["Something else."]})))
    assert h.same_request(first, again) and not h.same_request(first, changed)


def test_the_note_refuses_what_is_not_one_line_of_printable_ascii():
    with pytest.raises(h.HandoffError, match="printable ASCII"):
        h.render_note(**{**NOTE_ARGS, "instructions": ["Klicken Sie auf \u00abWeiter\u00bb"]})
    with pytest.raises(h.HandoffError, match="printable ASCII"):
        h.render_note(**{**NOTE_ARGS, "instructions": ["two\nlines"]})


def test_the_note_is_named_by_its_step():
    assert h.note_name("upgrade") == "entra-sync-upgrade-upgrade.txt"


# ---- options ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs,why", [
    ({"step": "reboot"}, "step must be one of"),
    ({"mode": "later"}, "mode must be"),
    ({"instructions": []}, "instructions"),
    ({"expect": []}, "at least one check"),
    ({"parameters": {"Host": "x"}}, "parameter name"),
    ({"parameters": {"Two words": "x"}}, "parameter name"),
    ({"parameters": {"Installer": "a\tb"}}, "printable ASCII"),
    ({"expect": [{"fact": "version"}]}, "exactly one of"),
    ({"expect": [{"fact": "version", "equals": "x", "at_least": "1.0"}]}, "exactly one of"),
    ({"expect": [{"fact": "version", "at_least": "latest"}]}, "a version or a number"),
    ({"expect": [{"fact": "connectors", "count_at_least": "2"}]}, "whole number"),
    ({"expect": [{"fact": "connectors", "includes": [1]}]}, "list of names"),
    ({"expect": [{"equals": "connect"}]}, "needs fact"),
    ({"poll_seconds": 0}, "poll_seconds"),
])
def test_options_the_handoff_cannot_use_are_refused(kwargs, why):
    args = {"step": "upgrade", "instructions": ["x"], "parameters": {}, "expect": [{"fact": "tool", "equals": "x"}],
            "mode": "wait", "timeout_minutes": 1, "poll_seconds": 1, **kwargs}
    with pytest.raises(h.HandoffError, match=why):
        h.validate(**args)


def test_a_check_without_text_says_what_it_checks():
    assert checks({"fact": "version", "at_least": "2.5.190.0"})[0]["text"] == "version is at least 2.5.190.0"
    assert checks({"fact": "connectors", "includes": "a"})[0]["expected"] == ["a"]


# ---- the checks ------------------------------------------------------------------------------------------------

def test_versions_compare_as_numbers_not_text():
    facts = facts_of("connect_2_3_2019")  # 2.3.20.0
    assert one({"fact": "version", "at_least": "2.3.3.0"}, facts)["ok"]  # "2.3.20.0" < "2.3.3.0" as text
    assert not one({"fact": "version", "at_least": "2.5.190.0"}, facts)["ok"]
    assert one({"fact": "version", "equals": "2.3.20"}, facts)["ok"]


def test_services_are_found_by_name_in_any_case():
    facts = facts_of("connect_2_3_2019")
    assert one({"fact": "services.ADSync.state", "equals": "running"}, facts)["ok"]
    assert one({"fact": "services.adsync.start_mode", "equals": "auto"}, facts)["seen"] == "auto"
    facts["services"][0]["state"] = "stopped"
    result = one({"fact": "services.ADSync.state", "equals": "running"}, facts)
    assert not result["ok"] and result["seen"] == "stopped"


def test_connectors_includes_means_the_names_are_present():
    facts = facts_of("connect_2_3_2019")
    assert one({"fact": "connectors", "includes": ["CORP.contoso.com", "contoso.onmicrosoft.com - AAD"]}, facts)["ok"]
    assert not one({"fact": "connectors", "includes": ["corp.contoso.com", "fabrikam.com"]}, facts)["ok"]
    assert one({"fact": "connectors", "count_at_least": 2}, facts)["ok"]
    assert not one({"fact": "connectors", "count_at_least": 3}, facts)["ok"]
    assert one({"fact": "connectors.corp.contoso.com.type", "equals": "AD"}, facts)["ok"]  # a name with dots


def test_a_missing_fact_never_holds_and_is_seen_as_nothing():
    facts = facts_of("target_2022_clean")
    assert facts["tool"] == "none"
    result = one({"fact": "services.ADSync.state", "equals": "running"}, facts)
    assert not result["ok"] and result["seen"] is None
    assert not one({"fact": "version", "at_least": "2.5.190.0"}, facts)["ok"]  # version unknown/None
    assert not one({"fact": "scheduler.enabled.deeper", "equals": True}, facts)["ok"]


def test_equals_keeps_types_apart():
    facts = {"staging_mode": True, "scheduler": {"interval": "00:30:00"}, "count": 1}
    assert one({"fact": "staging_mode", "equals": True}, facts)["ok"]
    assert not one({"fact": "staging_mode", "equals": "true"}, facts)["ok"]
    assert not one({"fact": "count", "equals": True}, facts)["ok"]  # True == 1 in Python, not here
    assert one({"fact": "count", "at_least": 1}, facts)["ok"]


def test_equals_takes_str_subclasses_as_text():
    class Tagged(str):  # how Ansible hands over option values
        pass

    assert one({"fact": "tool", "equals": Tagged("connect")}, {"tool": "connect"})["ok"]


def test_the_mismatch_names_what_was_expected_and_what_was_seen():
    facts = facts_of("connect_2_3_2019")
    results = h.evaluate(checks({"fact": "version", "at_least": "2.5.190.0", "text": "version 2.5.190.0 or later"},
                                {"fact": "tool", "equals": "connect"},
                                {"fact": "connectors", "includes": ["fabrikam.com"]}), facts)
    assert not h.all_hold(results)
    assert h.mismatch(results) == ("expected version 2.5.190.0 or later; connectors includes fabrikam.com; saw "
                                   "version = 2.3.20.0; connectors = [corp.contoso.com, contoso.onmicrosoft.com - AAD]")
    assert h.observed(results)["tool"] == "connect"


# ---- the state machine -----------------------------------------------------------------------------------------

FIRST = [  # (check_mode, mode, holds, note) -> (note action, status, finished)
    (False, "wait", True, h.NOTE_ABSENT, None, h.UNCHANGED, True),
    (False, "wait", True, h.NOTE_CURRENT, "remove", h.UNCHANGED, True),
    (False, "stop", True, h.NOTE_STALE, "remove", h.UNCHANGED, True),
    (True, "wait", True, h.NOTE_CURRENT, "remove", h.UNCHANGED, True),  # check mode: what a run would do
    (True, "wait", False, h.NOTE_ABSENT, "write", h.PLANNED, True),
    (True, "stop", False, h.NOTE_CURRENT, None, h.PLANNED, True),
    (False, "stop", False, h.NOTE_ABSENT, "write", h.WAITING, True),
    (False, "stop", False, h.NOTE_CURRENT, None, h.WAITING, True),  # the second stop run keeps the note
    (False, "stop", False, h.NOTE_STALE, "write", h.WAITING, True),
    (False, "wait", False, h.NOTE_ABSENT, "write", h.WAITING, False),
    (False, "wait", False, h.NOTE_CURRENT, None, h.WAITING, False),
    (False, "wait", None, h.NOTE_ABSENT, None, h.FAILED, True),  # the first probe must see the host
]


@pytest.mark.parametrize("check_mode,mode,holds,note,action,status,finished", FIRST)
def test_the_first_probe_decides(check_mode, mode, holds, note, action, status, finished):
    assert h.next_step(check_mode, mode, holds, note) == h.Step(action, status, finished)


@pytest.mark.parametrize("holds,elapsed,step", [
    (True, 10, h.Step("remove", h.DONE, True)),
    (True, 999, h.Step("remove", h.DONE, True)),  # seen done at the last poll: done, not timed out
    (False, 10, h.Step(None, h.WAITING, False)),
    (None, 10, h.Step(None, h.WAITING, False)),  # the host restarts: try again
    (False, 60, h.Step(None, h.FAILED, True)),
    (None, 61, h.Step(None, h.FAILED, True)),
])
def test_polling_goes_on_until_done_or_the_timeout(holds, elapsed, step):
    assert h.next_step(False, "wait", holds, h.NOTE_CURRENT, elapsed, timeout=60) == step


def test_stop_then_approval_then_a_rerun_equals_wait():
    # the AWX flow: stop (note written), the operator works, approval, the re-run's first probe sees it done
    stop = h.next_step(False, "stop", False, h.NOTE_ABSENT)
    rerun = h.next_step(False, "stop", True, h.NOTE_CURRENT)
    wait_end = h.next_step(False, "wait", True, h.NOTE_CURRENT, elapsed=5, timeout=60)
    assert (stop.note, stop.status) == ("write", h.WAITING)
    assert rerun.note == wait_end.note == "remove" and {rerun.status, wait_end.status} <= {h.UNCHANGED, h.DONE}


def test_statuses_are_the_documented_five():
    assert h.STATUSES == ("planned", "unchanged", "waiting", "done", "failed")
