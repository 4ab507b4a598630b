"""upgrade.yml on the whole lab (issue 8): the dry run changes nothing and says what it would do; the real run
backs up every upgradeable server, prepares every install host and reports per host what is ready and what is
missing; blocked servers stop before any change while the others go on; a second run changes nothing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.labfixture import REPO

SOURCES = {"dirsync-2008r2", "dirsync-2012r2-large", "aadsync-2012r2", "connect1-2016", "connect23-2019",
           "connect24-staging-2022", "connect24-fullsql-2019", "mim-2012r2"}
IN_PLACE = {"connect1-2016", "connect23-2019", "connect24-staging-2022"}
TARGETS = {"target-2022", "target-2022-b", "target-2022-c", "target-2022-d", "target-2022-e"}
BLOCKED = {"connect-2025", "connect-core-2022"}
NOTHING_TO_DO = {"connect-current-2022", "member-2019"}
SERIAL = "4"  # the default is 1; tests run four at a time to stay quick, which also proves the variable works


def latest_report() -> dict:
    return json.loads((REPO / "reports" / os.readlink(REPO / "reports" / "latest") / "report.json").read_text())


@pytest.fixture(scope="module")
def options(tmp_path_factory):
    return ["-e", f"sync_upgrade_serial={SERIAL}", "-e", f"sync_backup_dir={tmp_path_factory.mktemp('backups')}"]


@pytest.fixture(scope="module")
def dry_run(lab, options):
    lab.reset()
    before = lab.digest()
    run = lab.playbook("upgrade.yml", *options, check=True)
    yield run, before, lab.digest(), latest_report()


@pytest.fixture(scope="module")
def real_runs(lab, dry_run, options):
    first = lab.playbook("upgrade.yml", *options)
    report = latest_report()
    second = lab.playbook("upgrade.yml", *options)
    yield first, report, second, latest_report()
    lab.reset()  # the run staged installers, set TLS values and restarted servers: later tests start clean


def prepare(report: dict) -> dict[str, dict]:
    return {h["host"]: h["prepare"] for h in report["hosts"]}


def test_the_dry_run_changes_nothing_and_lists_what_it_would_do(dry_run):
    run, before, after, report = dry_run
    assert before == after, "upgrade.yml --check changed a server"
    stopped = {item["host"] for item in report["summary"]["stopped_hosts"]}
    assert set(run.failures()) == stopped and BLOCKED <= stopped, run.failures()
    by = prepare(report)
    for host in SOURCES:
        backup = by[host]["steps"]["backup"]
        assert backup["status"] == "planned" and backup["plan"], host
    install_hosts = IN_PLACE | {by[s]["target"] for s in SOURCES - IN_PLACE if by[s]["target"]}
    for host in install_hosts:
        installer = by[host]["steps"]["installer"]
        assert installer and installer["status"] == "planned" and installer["plan"], (host, installer)
        assert by[host]["steps"]["prerequisites"] is not None or by[host]["state"] == "stopped", host
    for host in NOTHING_TO_DO:
        assert by[host] is None


def test_blocked_servers_stop_with_their_blockers_and_the_others_go_on(real_runs):
    first, report, _, _ = real_runs
    stopped = {item["host"]: item for item in report["summary"]["stopped_hosts"]}
    assert BLOCKED <= set(stopped) and all(stopped[h]["step"] == "assess" for h in BLOCKED)
    assert all(stopped[h]["cause"].startswith("blocked: ") for h in BLOCKED)
    assert set(first.failures()) == set(stopped)
    assert not (set(first.failures()) & NOTHING_TO_DO)


def test_every_upgradeable_server_is_backed_up_and_every_install_host_prepared(real_runs):
    _, report, _, _ = real_runs
    by = prepare(report)
    for host in SOURCES:
        backup = by[host]["steps"]["backup"]
        assert backup["status"] == "done", (host, backup)
        manifest = json.loads((Path(backup["path"]) / "manifest.json").read_text())
        assert manifest["status"] == "verified" and all(f["verified"] for f in manifest["files"])
    for host in IN_PLACE | TARGETS - {"target-2022-e"}:
        entry = by[host]
        if entry["state"] == "stopped":
            assert entry["stopped"]["step"] == "prepare" and entry["stopped"]["cause"], host
            continue
        assert entry["steps"]["installer"]["status"] == "done", (host, entry)
    assert report["summary"]["prepare"]["ready"] >= 1
    for host, entry in by.items():
        if entry and entry["state"] == "missing":
            assert entry["missing"], host


def test_a_second_run_changes_nothing_it_already_did_and_says_it_reused_the_backups(real_runs):
    _, _, second, report = real_runs
    by = prepare(report)
    for host in SOURCES:
        backup = by[host]["steps"]["backup"]
        assert backup["status"] == "unchanged" and "reuse the verified backup" in backup["plan"][0], host
    for host, entry in by.items():
        if entry and entry["steps"]["installer"]:
            assert entry["steps"]["installer"]["status"] == "unchanged", (host, entry["steps"]["installer"])
        if entry and entry["steps"]["prerequisites"] and entry["steps"]["prerequisites"]["status"] != "failed":
            assert entry["steps"]["prerequisites"]["status"] == "unchanged", host
    changed = {h: s["changed"] for h, s in second.stats.items() if s.get("changed")}
    assert changed == {}, changed
