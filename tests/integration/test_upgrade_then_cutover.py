"""playbooks/cutover.yml and playbooks/rollback.yml on the estate upgrade.yml leaves, for a DirSync source
(dirsync-2008r2 -> target-2022: the old server is disabled) and a Connect source (connect24-fullsql-2019 ->
target-2022-e: the old server becomes a staging standby). The lab's autopilot does each wizard step.

In order: the dry run changes nothing; a cutover stopped at its handoff goes back cleanly before any export; a
new server with too many pending deletes is refused before any change while the other pair cuts over; a failing
export on the new server stops that pair, named; the next run completes it; a further run changes nothing; rollback refuses once the new
servers have exported, and with sync_rollback_after_export goes back and says what cannot be undone.

Runs after tests/integration/test_upgrade.py (file order) and starts from the estate it saved; run alone, it
upgrades the four servers itself first.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest

from tests.integration.test_upgrade import bigger_disk
from tests.labfixture import REPO, latest_report

PAIRS = {"dirsync-2008r2": "target-2022", "connect24-fullsql-2019": "target-2022-e"}
HOSTS = [*PAIRS, *PAIRS.values()]
MARK = "C:\\ProgramData\\EntraSyncUpgrade\\deployment.json"
NOTE = "C:\\Users\\Public\\Desktop\\entra-sync-upgrade-{}.txt"
DIRSYNC_ENGINE = ("MSOnline", "FIMSynchronizationService")


def runbook_message(start: str) -> str:
    """The message docs/operator-runbook.md quotes (the text block holding `start`) as a pattern: its <...> parts
    are what the run fills in."""
    block = next(b.strip() for b in re.findall(r"```text\n(.*?)```", (REPO / "docs" / "operator-runbook.md").read_text(),
                                               re.S) if start in b)
    return ".+?".join(re.escape(part) for part in re.split(r"<[^<>]+>", block))


def change(report: dict) -> dict[str, dict]:
    return {h["host"]: h["change"] for h in report["hosts"] if h.get("change") and h["change"]["new_server"] == h["host"]}


def services(twin, names) -> dict[str, tuple[str, str]]:
    return {n: (twin.services.get(n).state, twin.services.get(n).start_mode) for n in names}


def staging(twin) -> bool:
    """As Get-ADSyncScheduler reports it (DirSync has no staging mode: false)."""
    sync = twin.state["sync"]
    return bool((sync.get("scheduler") or {}).get("StagingModeEnabled", sync.get("staging_mode")))


def exports(twin) -> list[str]:
    return [r["Result"] for r in twin.state["sync"].get("run_history") or [] if r["RunProfileName"] == "Export"]


def newest_exports(twin) -> dict[str, str]:
    """Each connector's newest Export result (the history is newest first)."""
    newest: dict[str, str] = {}
    for r in twin.state["sync"].get("run_history") or []:
        if r["RunProfileName"] == "Export":
            newest.setdefault(r["ConnectorName"], r["Result"])
    return newest


@pytest.fixture(scope="module")
def estate(lab, tmp_path_factory):
    """The four servers as upgrade.yml leaves them (new servers in staging mode), and the run's options."""
    backups = tmp_path_factory.mktemp("cutover") / "backups"
    saved = getattr(lab, "upgraded", None)
    if saved is not None:
        lab.restore_state(saved / "state")
        shutil.copytree(saved / "backups", backups)
    else:
        lab.reset(*HOSTS)
        lab.edit("target-2022-e", bigger_disk)
        lab.autopilot(True, delay=0.3)
        try:
            run = lab.playbook("upgrade.yml", "--limit", ",".join(HOSTS), "-e", f"sync_backup_dir={backups}")
        finally:
            lab.autopilot(False)
        assert run.rc == 0, run.failures()
    lab.autopilot(False)
    yield ["-e", f"sync_backup_dir={backups}"], backups
    lab.autopilot(False)
    lab.reset()  # later tests start clean


def limit(*hosts: str) -> list[str]:
    return ["--limit", ",".join(hosts)]


def test_the_dry_run_changes_nothing_and_plans_every_step_in_order(lab, estate):
    options, _ = estate
    before = lab.digest(*HOSTS)
    run = lab.playbook("playbooks/cutover.yml", *limit(*HOSTS), *options, check=True)
    assert run.rc == 0, run.failures()
    assert lab.digest(*HOSTS) == before, "cutover.yml --check changed a server"
    plans = change(latest_report())
    steps = {host: [s["name"] for s in c["steps"]] for host, c in plans.items()}
    assert {c["state"] for c in plans.values()} == {"planned"}
    assert steps["target-2022"] == [
        "new server checked (staging mode)", "pending exports reviewed", "engine stopped and disabled on dirsync-2008r2",
        "staging mode off on target-2022 (operator handoff)", "first exports of target-2022",
        "cutover recorded on target-2022"]
    assert steps["target-2022-e"][2:4] == ["staging mode on connect24-fullsql-2019 (operator handoff)",
                                           "staging mode off on target-2022-e (operator handoff)"]
    assert plans["target-2022"]["old_server_mode"] == "disabled"
    assert plans["target-2022-e"]["old_server_mode"] == "standby"


def test_a_cutover_stopped_at_its_handoff_goes_back_cleanly_before_any_export(lab, estate):
    options, _ = estate
    old, new = "dirsync-2008r2", "target-2022"
    before = services(lab.twin(old), DIRSYNC_ENGINE)
    run = lab.playbook("playbooks/cutover.yml", *limit(old, new), *options, "-e", "sync_handoff_mode=stop")
    assert run.rc == 0, run.failures()
    waiting = change(latest_report())[new]
    assert waiting["state"] == "waiting" and waiting["waiting"]["step"] == "staging_off"
    assert services(lab.twin(old), DIRSYNC_ENGINE) == dict.fromkeys(DIRSYNC_ENGINE, ("stopped", "disabled"))
    assert lab.twin(new).files.exists(NOTE.format("staging_off")) and staging(lab.twin(new))

    run = lab.playbook("playbooks/rollback.yml", *limit(old, new), *options)
    assert run.rc == 0, run.failures()
    back = change(latest_report())[new]
    assert back["state"] == "done" and back["exported"] is False, back
    assert services(lab.twin(old), DIRSYNC_ENGINE) == before, "DirSync is not back as its backup recorded it"
    assert not lab.twin(new).files.exists(NOTE.format("staging_off")), "the cutover's note was left for someone to do"
    assert staging(lab.twin(new)) and exports(lab.twin(new)) == []


def test_too_many_pending_deletes_refuse_one_pair_before_any_change_while_the_other_cuts_over(lab, estate):
    options, _ = estate
    held = ["connect24-fullsql-2019", "target-2022-e"]

    def pending_deletes(twin):
        aad = next(c["name"] for c in twin.state["sync"]["connectors"] if c["name"].endswith(" - AAD"))
        twin.state["sync"]["pending_exports"] = {aad: {"add": 2, "update": 10, "delete": 5}}

    lab.edit("target-2022-e", pending_deletes)
    engines = {h: (services(lab.twin(h), ("ADSync",)), staging(lab.twin(h))) for h in held}
    lab.autopilot(True, delay=0.3)
    try:
        run = lab.playbook("playbooks/cutover.yml", *limit(*HOSTS), *options)
    finally:
        lab.autopilot(False)
    assert run.rc != 0 and set(run.failures()) == {"target-2022-e"}, run.failures()
    report = latest_report()
    stopped = change(report)["target-2022-e"]["stopped"]
    assert stopped["step"] == "cutover (preconditions)"
    assert "target-2022-e would export 2 adds, 10 updates and 5 deletes" in stopped["cause"]
    assert "sync_cutover_max_pending_deletes" in stopped["cause"] and "nothing was changed" in stopped["cause"]
    assert {h: (services(lab.twin(h), ("ADSync",)), staging(lab.twin(h))) for h in held} == engines
    assert not any(lab.twin(h).files.exists(NOTE.format(s)) for h in held for s in ("staging_on", "staging_off"))

    done = change(report)["target-2022"]
    assert done["state"] == "done", done
    assert services(lab.twin("dirsync-2008r2"), DIRSYNC_ENGINE) == dict.fromkeys(DIRSYNC_ENGINE, ("stopped", "disabled"))
    new = lab.twin("target-2022")
    assert not staging(new) and exports(new) and set(exports(new)) == {"success"}
    assert json.loads(new.files.read(MARK))["cutover"]["old_server"] == "disabled"
    names = [s["name"] for s in done["steps"]]
    assert names.index("engine stopped and disabled on dirsync-2008r2") < names.index(
        "staging mode off on target-2022 (operator handoff)"), "the new server went active before the old one stopped"


def test_an_export_that_fails_on_the_new_server_stops_the_pair_naming_host_step_and_connector(lab, estate):
    options, _ = estate
    lab.edit("target-2022-e", lambda twin: twin.state["sync"].pop("pending_exports", None))
    aad = next(c["name"] for c in lab.twin("target-2022-e").state["sync"]["connectors"] if c["name"].endswith(" - AAD"))
    lab.fault("target-2022-e", "sync_run_result", "export", times=1, connector=aad, result="completed-export-errors")
    lab.autopilot(True, delay=0.3)
    try:
        run = lab.playbook("playbooks/cutover.yml", *limit("connect24-fullsql-2019", "target-2022-e"), *options)
    finally:
        lab.autopilot(False)
    assert run.rc != 0 and set(run.failures()) == {"target-2022-e"}, run.failures()
    stopped = change(latest_report())["target-2022-e"]["stopped"]
    assert stopped["step"] == "cutover (export)" and aad in stopped["cause"] and "Export" in stopped["cause"], stopped
    assert lab.faults("target-2022-e")[0]["fired"] == 1
    # the old server stopped exporting before the new one started: never two active servers, even now
    assert staging(lab.twin("connect24-fullsql-2019")) and not staging(lab.twin("target-2022-e"))
    assert "cutover" not in json.loads(lab.twin("target-2022-e").files.read(MARK)), "a failed cutover was recorded"


def test_the_stopped_pair_completes_on_the_next_run_and_the_old_connect_server_is_a_standby(lab, estate):
    options, backups = estate
    lab.clear_faults("target-2022-e")
    lab.autopilot(True, delay=0.3)
    try:
        run = lab.playbook("playbooks/cutover.yml", *limit(*HOSTS), *options)
    finally:
        lab.autopilot(False)
    assert run.rc == 0, run.failures()
    assert run.stats["target-2022"]["changed"] == 0 and run.stats["dirsync-2008r2"]["changed"] == 0, run.stats
    result = change(latest_report())
    assert result["target-2022-e"]["state"] == "done" and result["target-2022"]["state"] == "unchanged"
    old, new = lab.twin("connect24-fullsql-2019"), lab.twin("target-2022-e")
    assert staging(old) and services(old, ("ADSync",)) == {"ADSync": ("running", "auto")}
    assert not staging(new) and len(newest_exports(new)) == 2 and set(newest_exports(new).values()) == {"success"}
    # each server of the pair has a verified backup, taken by the cutover, of its engine as it ran before the change
    for host, was_staging in (("connect24-fullsql-2019", False), ("target-2022-e", True)):
        manifests = [json.loads(p.read_text()) for p in (backups / host).glob("*/manifest.json")]
        assert any(m["status"] == "verified" and (m.get("engine") or {}).get("staging_mode") is was_staging
                   for m in manifests), host


def test_a_further_cutover_changes_nothing_and_the_old_servers_are_reported_replaced(lab, estate):
    options, _ = estate
    before = lab.digest(*HOSTS)
    run = lab.playbook("playbooks/cutover.yml", *limit(*HOSTS), *options)
    assert run.rc == 0 and run.changed() == 0, run.stats
    assert lab.digest(*HOSTS) == before
    report = latest_report()
    assert {c["state"] for c in change(report).values()} == {"unchanged"}
    for source, target in PAIRS.items():
        entry = next(h for h in report["hosts"] if h["host"] == source)
        assert entry["status"] == "none" and any(r["rule"] == "R-CUT-OVER" and target in r["text"]
                                                 for r in entry["reasons"]), entry["reasons"]


def test_rollback_after_the_export_is_refused_with_microsofts_reason_and_changes_nothing(lab, estate):
    options, _ = estate
    before = {h: (staging(lab.twin(h)), services(lab.twin(h), ("ADSync",) if h.startswith(("target", "connect"))
                                                 else DIRSYNC_ENGINE)) for h in HOSTS}
    run = lab.playbook("playbooks/rollback.yml", *limit(*HOSTS), *options)
    assert run.rc != 0 and set(run.failures()) == set(PAIRS.values()), run.failures()
    stopped = {h: c["stopped"]["cause"] for h, c in change(latest_report()).items()}
    refusal = " ".join(stopped["target-2022"].split())
    assert re.fullmatch(runbook_message("has exported to Entra ID"), refusal), refusal
    assert "sync_rollback_after_export=true" in stopped["target-2022-e"]
    assert {h: (staging(lab.twin(h)), services(lab.twin(h), ("ADSync",) if h.startswith(("target", "connect"))
                                               else DIRSYNC_ENGINE)) for h in HOSTS} == before


def test_rollback_after_export_when_asked_goes_back_says_what_cannot_be_undone_and_a_rerun_changes_nothing(lab, estate):
    options, _ = estate
    forced = ["-e", "sync_rollback_after_export=true"]
    before = lab.digest(*HOSTS)
    dry = lab.playbook("playbooks/rollback.yml", *limit(*HOSTS), *options, *forced, check=True)
    assert dry.rc == 0 and lab.digest(*HOSTS) == before, "rollback.yml --check changed a server"
    assert {c["state"] for c in change(latest_report()).values()} == {"planned"}
    lab.autopilot(True, delay=0.3)
    try:
        run = lab.playbook("playbooks/rollback.yml", *limit(*HOSTS), *options, *forced)
    finally:
        lab.autopilot(False)
    assert run.rc == 0, run.failures()
    result = change(latest_report())
    for new in PAIRS.values():
        assert result[new]["state"] == "done" and result[new]["exported"] is True
        assert any("stays in Entra ID" in line for line in result[new]["cannot_undo"]), result[new]["cannot_undo"]
        twin = lab.twin(new)
        assert staging(twin) and "cutover" not in json.loads(twin.files.read(MARK))
    assert services(lab.twin("dirsync-2008r2"), DIRSYNC_ENGINE) == dict.fromkeys(DIRSYNC_ENGINE, ("running", "auto"))
    assert not staging(lab.twin("connect24-fullsql-2019"))
    names = [s["name"] for s in result["target-2022-e"]["steps"]]
    assert names.index("staging mode on target-2022-e (operator handoff)") < names.index(
        "staging mode off on connect24-fullsql-2019 (operator handoff)"), "the old server went active first"

    again = lab.playbook("playbooks/rollback.yml", *limit(*HOSTS), *options)
    assert again.rc == 0 and again.changed() == 0, again.stats
