"""The lab's answer to the backup scripts (lab/powershell/scripts/backup_stage.py, backup_read.py), sent as the
action plugin sends them: bootstrap on the command line, the built script on stdin.

What must hold on any server: planning changes nothing; a whole backup (plan, collect, read, remove) leaves the
server exactly as it was; a service stopped for the database copy runs again on every path, failures included.
"""

from __future__ import annotations

import base64
import copy
import hashlib

import pytest

from lab.config import PROFILES_DIR
from lab.powershell.scripts import PROJECT_SCRIPTS
from lab.twin.host import Twin
from plugins.plugin_utils import _backup_catalog as catalog
from plugins.plugin_utils import _script
from tests.unit.plugins.plugin_utils.test_backup_catalog import facts_of

FOLDER = "%ProgramData%\\EntraSyncUpgrade\\backup\\20261203T120000Z"
MDF = r"C:\Program Files\Microsoft Azure AD Sync\Data\ADSync2019\ADSync.mdf"
LDF = r"C:\Program Files\Microsoft Azure AD Sync\Data\ADSync2019\ADSync_log.ldf"


def run(twin: Twin, name: str, request: dict) -> dict:
    script = _script.build(name, request)
    answer = PROJECT_SCRIPTS["stdin-script"](twin, _script.STDIN_BOOTSTRAP, script.encode("utf-8"))
    assert answer.rc == 0, answer.stderr
    return _script.parse_document(answer.stdout, name)[name]


def twin_of(profile: str, small_database: bool = True) -> Twin:
    twin = Twin.from_profile("h", profile, PROFILES_DIR)
    if small_database:  # unit tests hash the copies: keep the database files and SQL backups small
        for db in (twin.state.get("sql") or {}).get("databases") or []:
            db["used_mb"] = 1
            for path in db.get("files") or []:
                twin.files.get(path)["size"] = 4096
    return twin


def items_of(profile: str, database: bool) -> list[dict]:
    return catalog.items(facts_of(profile), database, "20261203T120000Z")


def fetch(twin: Twin, files: list[dict]) -> dict[str, bytes]:
    doc = run(twin, "backup-read", {"folder": FOLDER, "segments": [
        {"name": f["name"], "offset": 0, "length": max(f["size"], 1)} for f in files]})
    assert doc["error"] is None
    return {s["name"]: base64.b64decode(s["data"]) for s in doc["segments"]}


@pytest.mark.parametrize("profile,database", [
    ("dirsync_2008r2", True), ("dirsync_2012r2_large", True), ("aadsync_2012r2", True),
    ("connect_1x_2016", True), ("connect_2_3_2019", True), ("connect_2_4_staging_2022", False),
    ("connect_2_4_fullsql_2019", True), ("mim_connector_2012r2", False),
])
def test_a_whole_backup_leaves_the_server_as_it_was_and_every_file_matches_its_hash(profile, database):
    twin = twin_of(profile)
    before = copy.deepcopy(twin.to_dict())
    items = items_of(profile, database)
    plan = run(twin, "backup-stage", catalog.request("plan", FOLDER, items))
    assert plan["error"] is None and twin.to_dict() == before, "planning changed the server"
    staged = run(twin, "backup-stage", catalog.request("collect", FOLDER, items))
    assert staged["error"] is None
    for item in items:
        status = staged["items"][item["id"]]["status"]
        assert status == "collected" or (not item["required"] and status in ("absent", "unavailable")), \
            (item["id"], staged["items"][item["id"]])
    files = [f for entry in staged["items"].values() for f in entry["files"]]
    assert files and all(f["sha256"] for f in files)
    for name, data in fetch(twin, files).items():
        record = next(f for f in files if f["name"] == name)
        assert hashlib.sha256(data).hexdigest() == record["sha256"] and len(data) == record["size"]
    assert run(twin, "backup-stage", catalog.request("remove", FOLDER, []))["error"] is None
    assert twin.to_dict()["services"] == before["services"]
    assert twin.to_dict()["files"] == before["files"], "the staging folder or a SQL backup file was left behind"


def test_the_database_copy_stops_the_sync_service_and_starts_it_again():
    twin = twin_of("connect_2_3_2019")
    staged = run(twin, "backup-stage", catalog.request("collect", FOLDER, items_of("connect_2_3_2019", True)))
    db = staged["items"]["database"]
    assert db["status"] == "collected" and db["service"]["before"] == "Running" == db["service"]["after"]
    assert [f["name"] for f in db["files"]] == ["database\\ADSync.mdf", "database\\ADSync_log.ldf"]
    assert twin.services.get("ADSync").state == "running"


def test_the_sync_service_runs_again_when_the_copy_fails():
    twin = twin_of("connect_2_3_2019")
    twin.files.get(MDF)["size"] = twin.free_bytes + 1  # the disk cannot hold the copy
    staged = run(twin, "backup-stage", catalog.request("collect", FOLDER, items_of("connect_2_3_2019", True)))
    db = staged["items"]["database"]
    assert db["status"] == "failed" and "not enough space on the disk" in db["message"]
    assert db["service"] == {"name": "ADSync", "before": "Running", "after": "Running", "stopped_seconds": 0}
    assert twin.services.get("ADSync").state == "running"


def test_a_database_file_in_use_cannot_be_copied_while_its_service_runs():
    twin = twin_of("connect_2_3_2019")
    item = {"id": "mdf", "kind": "file", "path": MDF, "required": True, "what": "x"}
    staged = run(twin, "backup-stage", catalog.request("collect", FOLDER, [item]))
    assert staged["items"]["mdf"]["status"] == "failed"
    assert "being used by another process" in staged["items"]["mdf"]["message"]


def test_the_adsync_module_needs_powershell_3():
    twin = twin_of("connect_2_3_2019")
    for key in (r"HKLM\SOFTWARE\Microsoft\PowerShell\3\PowerShellEngine",):
        twin.registry.set_value(key, "PowerShellVersion", "string", "2.0")
    plan = run(twin, "backup-stage", catalog.request("plan", FOLDER, items_of("connect_2_3_2019", False)))
    assert plan["items"]["server_configuration"] == {
        "id": "server_configuration", "kind": "cmdlet", "status": "unavailable", "files": [],
        "message": "PowerShell 2.0 cannot load the ADSync module"}


def test_a_sql_backup_needs_the_instance_s_backup_folder_to_exist():
    twin = twin_of("dirsync_2008r2")
    twin.files.remove(r"C:\Program Files\Microsoft SQL Server\MSSQL11.SQLEXPRESS\MSSQL\Backup")
    staged = run(twin, "backup-stage", catalog.request("collect", FOLDER, items_of("dirsync_2008r2", True)))
    assert staged["items"]["database"]["status"] == "failed"
    assert "Operating system error 3(The system cannot find the path specified.)" in staged["items"]["database"][
        "message"]


def test_a_database_on_another_sql_server_is_not_backed_up_from_here():
    facts = facts_of("connect_2_4_fullsql_2019")
    facts["database"]["server"] = "SQLFARM01"
    items = catalog.items(facts, True, "S")
    plan = run(twin_of("connect_2_4_fullsql_2019"), "backup-stage", catalog.request("plan", FOLDER, items))
    assert plan["items"]["database"]["status"] == "failed"
    assert "is on SQL Server SQLFARM01, not on this server" in plan["items"]["database"]["message"]


def test_the_corrupt_read_fault_changes_the_bytes_read():
    twin = twin_of("connect_2_3_2019")
    staged = run(twin, "backup-stage", catalog.request("collect", FOLDER, items_of("connect_2_3_2019", False)))
    record = staged["items"]["persisted_state"]["files"][0]
    twin.state["faults"] = {"backup_read_corrupt": True}
    data = fetch(twin, [record])[record["name"]]
    assert hashlib.sha256(data).hexdigest() != record["sha256"] and len(data) == record["size"]


@pytest.mark.parametrize("folder", [r"C:\Windows", "%ProgramData%\\EntraSyncUpgrade\\backup\\",
                                    "%ProgramData%\\EntraSyncUpgrade\\backup\\..\\..\\x"])
def test_the_scripts_touch_nothing_outside_their_staging_folder(folder):
    twin = twin_of("connect_2_3_2019")
    assert run(twin, "backup-stage", catalog.request("remove", folder, []))["error"].startswith("refused")
    doc = run(twin, "backup-read", {"folder": folder, "segments": []})
    assert folder.endswith("backup\\") or doc["error"].startswith("refused")
