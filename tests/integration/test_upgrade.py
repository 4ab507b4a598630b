"""upgrade.yml on the whole lab: the dry run changes nothing and lists every step it would take, handoffs
included; the real run (the lab's operator autopilot doing each wizard step) brings every upgradeable server to
where the decision rules put it, leaves the old servers of parallel deployments unchanged apart from their
export files, stops blocked servers before any change; a second run changes nothing.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from lab import config
from lab.twin.host import Twin
from plugins.plugin_utils._upgrade_plan import STEPS
from tests.labfixture import latest_report, latest_report_dir
from tests.secrets import inventory_secrets, leaks

SOURCES = {"dirsync-2008r2", "dirsync-2012r2-large", "aadsync-2012r2", "connect1-2016", "connect23-2019",
           "connect24-staging-2022", "connect24-fullsql-2019", "mim-2012r2"}
IN_PLACE = {"connect1-2016", "connect23-2019", "connect24-staging-2022"}
TARGETS = {"target-2022", "target-2022-b", "target-2022-c", "target-2022-d", "target-2022-e"}
BLOCKED = {"connect-2025", "connect-core-2022"}
NOTHING_TO_DO = {"connect-current-2022", "member-2019"}
# where the decision rules and the lab's estate put each upgradeable server at the end of the run
UPGRADED_IN_PLACE = {"connect23-2019": False, "connect24-staging-2022": True}  # host: staging mode afterwards
DEPLOYED = {"dirsync-2008r2": ("target-2022", "dirsync_export"), "dirsync-2012r2-large": ("target-2022-b",
            "dirsync_export"), "aadsync-2012r2": ("target-2022-c", "manual"), "mim-2012r2": ("target-2022-d", "manual"),
            "connect24-fullsql-2019": ("target-2022-e", "json_export")}
STOPPED_AT_PREPARE = {"connect1-2016"}  # TLS 1.2 not allowed to be fixed
TARGET_VERSION = "2.5.190.0"
SERIAL = "4"  # the default is 1; tests run four at a time to stay quick, which also proves the variable works
# what a parallel deployment may leave on its old server: the toolkit's own folder (backup staging, DirSync's
# exported settings) and, for DirSync, the wizard that exports them (Microsoft's documented export) with the
# installer copied to run it
EXPORT_TRACES = ("c:\\programdata\\entrasyncupgrade", "c:\\program files\\microsoft azure active directory connect",
                 "c:\\users\\labadmin\\downloads\\azureadconnect.msi")


def by_host(report: dict, key: str) -> dict[str, dict]:
    return {h["host"]: h[key] for h in report["hosts"]}


@pytest.fixture(scope="module")
def options(tmp_path_factory):
    return ["-e", f"sync_upgrade_serial={SERIAL}", "-e", f"sync_backup_dir={tmp_path_factory.mktemp('backups')}"]


def bigger_disk(twin):
    """target-2022-e's profile has too small a disk for its source's 150,000 objects (the demo stops it at prepare);
    here it gets what they need, so the JSON-export path runs end to end too."""
    twin.state["disk"].update(size_bytes=400 * 2**30, free_bytes=300 * 2**30)


@pytest.fixture(scope="module")
def dry_run(lab, options):
    lab.reset()
    lab.autopilot(False)
    lab.edit("target-2022-e", bigger_disk)
    before = lab.digest()
    run = lab.playbook("upgrade.yml", *options, check=True)
    yield run, before, lab.digest(), latest_report()


@pytest.fixture(scope="module")
def real_runs(lab, dry_run, options, tmp_path_factory):
    lab.autopilot(True, delay=0.3)
    log = tmp_path_factory.mktemp("ansible-log") / "ansible.log"
    try:
        # at -vvv with Ansible's log on: the security test reads everything this run wrote
        first = lab.playbook("upgrade.yml", *options, "-vvv", environment={"ANSIBLE_LOG_PATH": str(log)})
        report = latest_report()
        first.report_dir = latest_report_dir()
        twins = {host: lab.twin(host) for host in lab.hosts}
        second = lab.playbook("upgrade.yml", *options)
    finally:
        lab.autopilot(False)
    # the upgraded estate, for the cutover and rollback tests (tests/integration/test_upgrade_then_cutover.py)
    saved = tmp_path_factory.mktemp("upgraded")
    lab.save_state(saved / "state")
    shutil.copytree(Path(options[-1].split("=", 1)[1]), saved / "backups")
    lab.upgraded = saved
    first.log_path = log
    yield first, report, twins, second, latest_report()
    lab.reset()  # the run upgraded, installed and restarted servers: later tests start clean


def test_the_dry_run_changes_nothing_and_lists_what_it_would_do(dry_run):
    run, before, after, report = dry_run
    assert before == after, "upgrade.yml --check changed a server"
    stopped = {item["host"] for item in report["summary"]["stopped_hosts"]}
    assert set(run.failures()) == stopped and BLOCKED <= stopped, run.failures()
    prepare = by_host(report, "prepare")
    for host in SOURCES:
        backup = prepare[host]["steps"]["backup"]
        assert backup["status"] == "planned" and backup["plan"], host
    for host in NOTHING_TO_DO:
        assert prepare[host] is None


def test_the_dry_run_lists_the_upgrade_steps_handoffs_included(dry_run):
    _, _, _, report = dry_run
    upgrade = by_host(report, "upgrade")
    steps = {h: {s["name"]: s["status"] for s in u["steps"]} for h, u in upgrade.items() if u}
    assert upgrade["connect23-2019"]["state"] == "planned"
    assert steps["connect23-2019"] == {"scheduler suspended": "planned", "upgrade (operator handoff)": "planned",
                                       "scheduler as it was": "planned", "delta cycle": "planned"}
    assert upgrade["dirsync-2008r2"]["on"] == "target-2022" and upgrade["dirsync-2008r2"]["state"] == "planned"
    assert steps["target-2022"]["DirSync settings exported (operator handoff on dirsync-2008r2)"] == "planned"
    assert steps["target-2022"]["install in staging mode (operator handoff)"] == "planned"
    assert steps["target-2022"]["full import and full sync (staging mode)"] == "planned"
    assert upgrade["target-2022-c"]["method"] == "manual"


def test_every_upgradeable_server_ends_where_the_decision_rules_put_it(real_runs):
    first, report, twins, _, _ = real_runs
    upgrade = by_host(report, "upgrade")
    for host, staging in UPGRADED_IN_PLACE.items():
        assert upgrade[host]["state"] == "done" and upgrade[host]["verify"]["status"] == "passed", upgrade[host]
        sync = twins[host].state["sync"]
        assert sync["version"] == TARGET_VERSION and sync["scheduler"]["SyncCycleEnabled"] is True
        assert bool(sync["scheduler"]["StagingModeEnabled"]) is staging, host
        assert not twins[host].registry.key_exists(r"HKLM\SOFTWARE\EntraSyncUpgrade\Scheduler")
    for source, (target, method) in DEPLOYED.items():
        assert upgrade[source]["on"] == target and upgrade[source]["state"] == "done", upgrade[source]
        assert upgrade[target]["method"] == method and upgrade[target]["verify"]["status"] == "passed"
        sync = twins[target].state["sync"]
        assert sync["version"] == TARGET_VERSION and sync["scheduler"]["StagingModeEnabled"] is True, target
        assert len(sync["connectors"]) >= 2
        mark = json.loads(twins[target].files.read("C:\\ProgramData\\EntraSyncUpgrade\\deployment.json"))
        assert mark["source"] == source
    stopped = {i["host"]: i["step"] for i in report["summary"]["stopped_hosts"]}
    assert all(stopped.get(host) == "prepare" for host in STOPPED_AT_PREPARE), stopped
    assert set(first.failures()) == {i["host"] for i in report["summary"]["stopped_hosts"]}
    assert report["summary"]["upgrade"]["waiting"] == 0


def test_no_handoff_note_is_left_once_its_step_is_done(real_runs):
    _, _, twins, _, _ = real_runs
    for host, twin in twins.items():
        notes = [step for step in STEPS if twin.files.exists(f"C:\\Users\\Public\\Desktop\\entra-sync-upgrade-{step}.txt")]
        assert notes == [], (host, notes)


def test_the_old_servers_of_parallel_deployments_are_unchanged_apart_from_their_export(real_runs, lab):
    _, _, twins, _, _ = real_runs
    for source in DEPLOYED:
        host = lab.hosts[source]
        fresh = Twin.from_profile(source, host.profile, config.PROFILES_DIR, host.hostname).state
        now = twins[source].state
        assert {k for k in set(fresh) | set(now) if fresh.get(k) != now.get(k)} <= {"files"}, source
        changed = {p for p in set(fresh["files"]) | set(now["files"])
                   if fresh["files"].get(p) != now["files"].get(p)}
        assert all(p.startswith(EXPORT_TRACES) for p in changed), (source, sorted(changed))


def test_blocked_servers_stop_before_any_change(real_runs, lab):
    first, report, twins, _, _ = real_runs
    stopped = {item["host"]: item for item in report["summary"]["stopped_hosts"]}
    assert BLOCKED <= set(stopped) and all(stopped[h]["step"] == "assess" for h in BLOCKED)
    for host in BLOCKED | NOTHING_TO_DO:
        fresh = Twin.from_profile(host, lab.hosts[host].profile, config.PROFILES_DIR, lab.hosts[host].hostname)
        assert twins[host].canonical() == fresh.canonical(), host


def test_a_second_run_changes_nothing_and_finds_every_server_where_the_first_left_it(real_runs):
    _, _, _, second, report = real_runs
    changed = {h: s["changed"] for h, s in second.stats.items() if s.get("changed")}
    assert changed == {}, changed
    upgrade = by_host(report, "upgrade")
    for host in UPGRADED_IN_PLACE:  # current now: nothing left to do
        assert upgrade[host] is None and by_host(report, "status")[host] == "none"
    for target, _ in DEPLOYED.values():
        assert upgrade[target]["state"] == "done" and upgrade[target]["verify"]["status"] == "passed"
        assert all(s["status"] == "unchanged" for s in upgrade[target]["steps"]), upgrade[target]["steps"]


def test_every_source_was_backed_up_verified_and_the_tls_fix_ran_only_where_allowed(real_runs):
    # (the whole-lab backup and the TLS 1.2 fix are proven here, on the run that needs them)
    _, report, twins, _, _ = real_runs
    prepare = by_host(report, "prepare")
    for host in SOURCES:
        backup = prepare[host]["steps"]["backup"]
        assert backup["status"] == "done", (host, backup)
        manifest = json.loads((Path(backup["path"]) / "manifest.json").read_text())
        assert manifest["status"] == "verified" and all(f["verified"] for f in manifest["files"]), host
    stopped = {i["host"]: i["cause"] for i in report["summary"]["stopped_hosts"]}
    assert "tls12" in stopped["connect1-2016"] and "sync_prerequisites_fix_tls12: true" in stopped["connect1-2016"]
    assert twins["connect23-2019"].power.state["boot_count"] >= 1  # fixed, then restarted, as allowed


def test_the_backups_stay_on_the_controller_owner_only(real_runs, options):
    backups = Path(options[-1].split("=", 1)[1])
    for path in backups.rglob("*"):
        assert path.stat().st_mode & 0o077 == 0, path


def test_verification_fails_on_a_configuration_that_differs_from_the_old_servers(real_runs, lab, options):
    source, target = "connect24-fullsql-2019", "target-2022-e"  # its rules are compared (Connect's JSON export)

    def drift(twin):  # someone changes a rule on the new server after the import
        rule = twin.state["sync"]["configuration"]["rules"][0]
        rule["precedence"] = int(rule["precedence"]) + 1

    lab.edit(target, drift)
    run = lab.playbook("upgrade.yml", "--limit", f"{source},{target}", *options)
    assert set(run.failures()) == {target}
    upgrade = by_host(latest_report(), "upgrade")[target]
    assert upgrade["stopped"]["step"] == "verify" and upgrade["verify"]["status"] == "failed"
    assert [(d["area"], d["property"]) for d in upgrade["verify"]["differences"] if not d["accepted"]] == [
        ("rule", "precedence")]


def test_a_whole_lab_run_at_vvv_leaks_no_secret_of_the_inventory(real_runs, options):
    """The first real run ran at -vvv with Ansible's log on: its output, its log, its report and the backups it
    wrote hold none of the inventory's secrets, in any form they could take on the way out."""
    first = real_runs[0]
    secrets = inventory_secrets()
    assert secrets, "the lab inventory defines no secret: the check would prove nothing"
    texts = {"stdout": first.stdout, "stderr": first.stderr, "log": first.log_path.read_text()}
    assert "ESTABLISH WINRM CONNECTION" in texts["log"], "the run did not log at -vvv"
    written = [*first.report_dir.rglob("*"), *Path(options[-1].split("=", 1)[1]).rglob("*")]
    for path in (p for p in written if p.is_file()):
        texts[str(path)] = path.read_bytes().decode("utf-8", "replace")
    found = {where: leaks(text, secrets) for where, text in texts.items()}
    assert not any(found.values()), {where: names for where, names in found.items() if names}
