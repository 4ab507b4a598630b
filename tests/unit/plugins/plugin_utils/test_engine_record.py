"""How the cutover leaves an old server and how the rollback finds how its engine ran (plugin_utils/_engine_record)."""

from __future__ import annotations

import datetime as dt

import pytest

from plugins.plugin_utils import _backup_store as store
from plugins.plugin_utils import _engine_record as record

RUNNING = {"state": "running", "start_mode": "auto"}
OFF = {"state": "stopped", "start_mode": "disabled"}


def facts(tool, version="1.0.7020.0", staging=False, **services):
    return {"tool": tool, "version": version, "staging_mode": staging, "scheduler": {"enabled": True},
            "services": [{"name": name, **state} for name, state in services.items()]}


@pytest.mark.parametrize(("f", "wanted", "mode", "words"), [
    (facts("dirsync"), "standby", "disabled", "never runs beside"),
    (facts("aadsync", "1.0.494.501"), "standby", "disabled", "never runs beside"),
    (facts("connect", "2.4.131.0"), "standby", "standby", "staging-mode standby"),
    (facts("connect", "2.4.131.0"), "disabled", "disabled", "sync_cutover_old_server is disabled"),
    (facts("connect", "1.6.16.0"), "standby", "disabled", "cannot switch staging mode"),
    (facts("connect", "unknown"), "standby", "disabled", "cannot switch staging mode"),
    (facts("mim_connector"), "standby", "refused", "MIM Synchronization Service"),
    (facts("unknown"), "standby", "refused", "no sync engine")])
def test_the_old_server_is_a_standby_only_where_its_wizard_can_switch_staging_mode(f, wanted, mode, words):
    plan = record.cutover_plan(f, wanted)
    assert plan["mode"] == mode and words in plan["why"]


def test_dirsync_stops_its_scheduler_before_its_engine_and_starts_them_the_other_way_round():
    plan = record.cutover_plan(facts("dirsync", MSOnline=RUNNING, FIMSynchronizationService=RUNNING))
    assert [s["name"] for s in plan["services_off"]] == ["MSOnline", "FIMSynchronizationService"]
    assert all(s["start_mode"] == "disabled" and s["state"] == "stopped" for s in plan["services_off"])
    engine = record.from_facts(facts("dirsync", MSOnline=RUNNING, FIMSynchronizationService=RUNNING))
    assert [s["name"] for s in record.engine_restore(engine)] == ["FIMSynchronizationService", "MSOnline"]


@pytest.mark.parametrize(("f", "mode", "off"), [
    (facts("dirsync", MSOnline=OFF, FIMSynchronizationService=OFF), "disabled", True),
    (facts("dirsync", MSOnline=OFF, FIMSynchronizationService={"state": "running", "start_mode": "disabled"}),
     "disabled", False),  # disabled but still running: it still exports
    (facts("dirsync", MSOnline=OFF), "disabled", False),  # the engine's service not seen: not proven off
    (facts("connect", "2.4.131.0", staging=True, ADSync=RUNNING), "standby", True),
    (facts("connect", "2.4.131.0", staging=None, ADSync=RUNNING), "standby", False)])
def test_an_old_server_is_off_only_on_evidence(f, mode, off):
    assert record.engine_is_off(f, mode) is off


def write(root, host, when, engine, status="verified"):
    folder = store.new_backup_dir(root, host, store.stamp(when))
    store.write_manifest(folder, {"format": store.FORMAT, "host": host, "status": status, "files": [],
                                  "created_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "engine": engine})
    return folder


def test_the_rollback_reads_the_newest_verified_backup_of_a_running_engine(tmp_path):
    t0 = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    running = record.from_facts(facts("dirsync", MSOnline=RUNNING, FIMSynchronizationService=RUNNING))
    stopped = record.from_facts(facts("dirsync", MSOnline=OFF, FIMSynchronizationService=OFF))
    first = write(tmp_path, "d", t0, running)
    write(tmp_path, "d", t0 + dt.timedelta(hours=1), stopped)  # taken after the cutover: passed over
    write(tmp_path, "d", t0 + dt.timedelta(hours=2), running, status="failed")  # not verified: passed over
    found = record.recorded(tmp_path, "d")
    assert found["backup"] == str(first) and found["restore"][0] == {"name": "FIMSynchronizationService", **RUNNING}
    assert record.recorded(tmp_path, "other") is None


def test_a_standby_s_backup_is_not_how_the_engine_ran(tmp_path):
    t0 = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    write(tmp_path, "c", t0, record.from_facts(facts("connect", "2.4.131.0", staging=True, ADSync=RUNNING)))
    assert record.recorded(tmp_path, "c") is None


def test_as_recorded_compares_services_scheduler_and_staging_mode():
    f = facts("connect", "2.4.131.0", staging=False, ADSync=RUNNING)
    engine = record.from_facts(f)
    assert record.as_recorded(f, engine)
    assert not record.as_recorded({**f, "staging_mode": True}, engine)
    assert not record.as_recorded({**f, "scheduler": {"enabled": False}}, engine)
    assert not record.as_recorded(facts("connect", "2.4.131.0", ADSync=OFF), engine)
    assert not record.as_recorded(f, None)
