"""Sync cycles and run history of the ADSync engine model (lab/twin/runhistory.py, through syncengine.py): what a
cycle runs on an active and a staging server, the records it leaves, what refuses to start, and the faults."""

from __future__ import annotations

import pytest

from lab.config import PROFILES_DIR
from lab.twin import runhistory
from lab.twin.errors import NotSimulated
from lab.twin.host import Twin
from lab.twin.syncengine import CmdletError

AD, AAD = "corp.contoso.com", "contoso.onmicrosoft.com - AAD"
USER = "labadmin"


def twin_of(profile: str = "connect_2_3_2019") -> Twin:
    return Twin.from_profile("h", profile, PROFILES_DIR)


def finish(twin: Twin, policy: str = "Delta", now: float = 1000.0) -> list[dict]:
    """Start a cycle at `now` and let lab time pass until it ended; the records it left, oldest first."""
    twin.adsync.history.start(policy, now=now)
    twin.adsync.history.settle(now + 60)
    return list(reversed(twin.adsync.history.results()))


def test_a_delta_cycle_on_an_active_server_imports_syncs_and_exports_in_the_scheduler_s_order():
    records = finish(twin_of())
    assert [(r["ConnectorName"], r["RunProfileName"]) for r in records] == [
        (AD, "Delta Import"), (AAD, "Delta Import"), (AD, "Delta Synchronization"), (AAD, "Delta Synchronization"),
        (AAD, "Export"), (AD, "Export")]
    assert all(r["Result"] == "success" and r["IsRunComplete"] for r in records)


def test_an_initial_cycle_runs_full_import_and_full_sync():
    profiles = {r["RunProfileName"] for r in finish(twin_of(), "Initial")}
    assert profiles == {"Full Import", "Full Synchronization", "Export"}


def test_a_staging_server_never_exports():
    twin = twin_of("connect_2_4_staging_2022")
    profiles = [r["RunProfileName"] for r in finish(twin, "Initial")]
    assert "Export" not in profiles and profiles.count("Full Import") == len(twin.state["sync"]["connectors"])


def test_records_carry_the_documented_properties_and_number_runs_per_connector():
    twin = twin_of()
    finish(twin, now=1000.0)
    finish(twin, now=2000.0)
    ad = twin.adsync.run_profile_results(USER, "48D44F0E-0226-41EB-9CBE-429DDCAE1633", 2)
    assert [r["RunNumber"] for r in ad] == [6, 5] and {r["ConnectorName"] for r in ad} == {AD}
    assert set(ad[0]) >= {"RunHistoryId", "ConnectorId", "ConnectorName", "RunProfileId", "RunProfileName", "Result",
                          "StartDate", "EndDate"}
    assert ad[0]["StartDate"] < ad[0]["EndDate"] and ad[0]["EndDate"].endswith("Z")
    assert len({r["RunHistoryId"] for r in twin.adsync.history.results()}) == 12


def test_the_cycle_shows_as_in_progress_with_its_running_connector_until_its_last_step_ends():
    twin = twin_of()
    history = twin.adsync.history
    assert twin.adsync.start_sync_cycle(USER, "Delta") == {"Result": "Success"}
    start = twin.state["sync"]["cycle"]["steps"][0]["start"]
    assert history.in_progress(start) and history.running(start + 0.1) == [AD]
    assert history.running(start + runhistory.STEP_SECONDS * 4 + 0.1) == [AAD]  # the first export is Entra ID's
    assert history.in_progress(start + runhistory.STEP_SECONDS * 5.5)
    assert not history.in_progress(start + runhistory.STEP_SECONDS * 6)
    scheduler = twin.state["sync"]["scheduler"]
    assert scheduler["SyncCycleInProgress"] is False and scheduler["NextSyncCyclePolicyType"] == "Delta"
    assert history.running(start + 100) == []


def test_a_second_start_while_a_cycle_runs_is_refused_as_the_busy_connector():
    twin = twin_of()
    twin.adsync.start_sync_cycle(USER, "Delta")
    with pytest.raises(CmdletError, match=r"Connector: corp\.contoso\.com is busy\."):
        twin.adsync.start_sync_cycle(USER, "Initial")


def test_a_suspended_scheduler_refuses_a_cycle_but_a_disabled_sync_cycle_does_not():
    twin = twin_of()
    twin.adsync.set_scheduler(USER, False)
    assert twin.adsync.start_sync_cycle(USER, "Delta") == {"Result": "Success"}
    other = twin_of()
    other.state["sync"]["scheduler"]["SchedulerSuspended"] = True
    with pytest.raises(CmdletError, match="suspended"):
        other.adsync.start_sync_cycle(USER, "Delta")


def test_the_cycle_needs_a_valid_policy_a_running_service_and_an_adsyncadmins_member():
    twin = twin_of()
    with pytest.raises(CmdletError, match="Delta, Initial"):
        twin.adsync.start_sync_cycle(USER, "Full")
    with pytest.raises(CmdletError, match="ADSyncAdmins"):
        twin.adsync.start_sync_cycle("someone", "Delta")
    twin.services.stop("ADSync")
    with pytest.raises(CmdletError, match="not running"):
        twin.adsync.start_sync_cycle(USER, "Delta")
    assert twin.state["sync"].get("cycle") is None


def test_engines_before_the_built_in_scheduler_have_no_start_adsyncsynccycle():
    twin = twin_of("aadsync_2012r2")
    with pytest.raises(CmdletError, match="not recognized"):
        twin.adsync.start_sync_cycle(USER, "Delta")
    with pytest.raises(NotSimulated):
        twin.adsync.history.start("Delta")


@pytest.mark.parametrize("rule,failed", [
    ({"run_profile": "Export", "result": "completed-export-errors"}, {(AD, "Export"), (AAD, "Export")}),
    ({"run_profile": "Export", "connector": AAD, "result": "stopped-deletion-threshold-exceeded"}, {(AAD, "Export")}),
    ({"run_profile": "Import", "connector": AD, "result": "stopped-connectivity"}, {(AD, "Delta Import")}),
])
def test_a_fault_makes_the_matching_runs_fail_and_the_cycle_goes_on(rule, failed):
    twin = twin_of()
    twin.state["faults"] = {"sync_run_result": rule}
    records = finish(twin)
    assert len(records) == 6
    assert {(r["ConnectorName"], r["RunProfileName"]) for r in records if r["Result"] != "success"} == failed
    assert {r["Result"] for r in records} == {"success", rule["result"]}


def test_an_injected_export_failure_fires_on_its_connector_and_is_counted():
    twin = twin_of()
    twin.faults.add("sync_run_result", "export", times=1, connector=AAD, result="completed-export-errors")
    records = finish(twin)
    assert {(r["ConnectorName"], r["Result"]) for r in records if r["Result"] != "success"} == {
        (AAD, "completed-export-errors")}
    assert twin.faults.peek()[0]["fired"] == 1
    assert all(r["Result"] == "success" for r in finish(twin, now=2000.0)[-6:])  # fired once: the next one exports


def test_a_fault_with_an_unknown_result_is_refused():
    twin = twin_of()
    twin.state["faults"] = {"sync_run_result": {"run_profile": "Export", "result": "broken"}}
    with pytest.raises(ValueError, match="result must be one of"):
        twin.adsync.history.start("Delta")


def test_scheduler_and_auto_upgrade_settings():
    twin = twin_of()
    twin.adsync.set_scheduler(USER, False)
    assert twin.adsync.invoke("Get-ADSyncScheduler", USER)[0]["SyncCycleEnabled"] is False
    twin.adsync.set_auto_upgrade(USER, "Disabled")
    assert twin.adsync.invoke("Get-ADSyncAutoUpgrade", USER) == ["Disabled"]
    with pytest.raises(CmdletError, match="only be set by the system"):
        twin.adsync.set_auto_upgrade(USER, "Suspended")
    assert twin.state["sync"]["auto_upgrade"] == "Disabled"
    with pytest.raises(CmdletError, match="not recognized"):
        twin_of("aadsync_2012r2").adsync.set_scheduler(USER, False)
