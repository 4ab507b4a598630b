"""The configuration backup (roles/sync_backup), end to end against the lab: real Ansible, real WinRM.

A backup of every upgradeable lab server, legacy ones included, arrives verified and owner-only, and leaves the
servers exactly as they were; --check writes nothing anywhere; a second run says it reused the young backup; a
damaged transfer is caught by the hash and stops that host only; the database copy restarts the sync service;
Vault encryption round-trips.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import subprocess
from pathlib import Path

import pytest

from tests.labfixture import BIN, REPO, env

SOURCES = ["dirsync-2008r2", "dirsync-2012r2-large", "aadsync-2012r2", "connect1-2016", "connect23-2019",
           "connect24-staging-2022", "connect24-fullsql-2019", "mim-2012r2"]
BACKUP = "Back up the sync configuration to the controller and verify it"
MDF = r"C:\Program Files\Microsoft Azure AD Sync\Data\ADSync2019\ADSync.mdf"
LDF = r"C:\Program Files\Microsoft Azure AD Sync\Data\ADSync2019\ADSync_log.ldf"


def plays(hosts: list[str], dest: Path, **backup_vars) -> list[dict]:
    return [{"hosts": ",".join(hosts), "gather_facts": False,
             "roles": [{"role": "entra.sync_upgrade.sync_assess"},
                       {"role": "entra.sync_upgrade.sync_backup", "vars": {"sync_backup_dir": str(dest),
                                                                           **backup_vars}}]}]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def manifests(dest: Path, host: str) -> list[dict]:
    return [json.loads(m.read_text()) | {"_folder": m.parent} for m in sorted((dest / host).glob("*/manifest.json"))]


def test_check_mode_plans_and_writes_nothing_anywhere(lab, tmp_path):
    hosts = ["dirsync-2008r2", "connect23-2019"]
    before = lab.digest(*hosts)
    run = lab.playbook(plays(hosts, tmp_path / "backups", sync_backup_database=True), check=True)
    assert run.rc == 0, run.stderr
    assert lab.digest(*hosts) == before and not (tmp_path / "backups").exists()
    results = run.results(BACKUP)
    assert all(r["status"] == "planned" for r in results.values())
    plan = "\n".join(results["connect23-2019"]["plan"])
    assert "stop ADSync (sync pauses)" in plan and "run Get-ADSyncServerConfiguration" in plan
    assert results["connect23-2019"]["changed"], "stopping a service is a change, reported under --check"
    assert "BACKUP DATABASE [FIMSynchronizationService]" in "\n".join(results["dirsync-2008r2"]["plan"])


def test_a_damaged_transfer_is_caught_and_stops_that_host_only(lab, tmp_path):
    hosts = ["connect23-2019", "aadsync-2012r2"]
    lab.reset(*hosts)
    lab.edit("connect23-2019", lambda twin: twin.state.setdefault("faults", {}).update(backup_read_corrupt=True))
    try:
        run = lab.playbook(plays(hosts, tmp_path))
    finally:
        lab.reset("connect23-2019")
    assert run.failures() == {"connect23-2019": 1}
    result = run.results(BACKUP)["connect23-2019"]
    assert result["status"] == "failed" and "differ from what the server hashed" in result["cause"]
    [manifest] = manifests(tmp_path, "connect23-2019")
    assert manifest["status"] == "failed" and manifest["cause"] == result["cause"]
    assert any(not f["verified"] for f in manifest["files"]), "the damaged files are kept for inspection"
    assert manifests(tmp_path, "aadsync-2012r2")[0]["status"] == "verified"


def test_the_database_copy_stops_and_restarts_the_sync_service(lab, tmp_path):
    host = "connect23-2019"
    lab.reset(host)

    def small_database(twin):  # a test-sized LocalDB
        for path in (MDF, LDF):
            twin.files.get(path)["size"] = 2 * 1024 * 1024

    lab.edit(host, small_database)
    run = lab.playbook(plays([host], tmp_path, sync_backup_database=True))
    result = run.results(BACKUP)[host]
    assert run.rc == 0 and result["status"] == "done" and result["changed"] and result["database"]
    assert result["service"] == {"name": "ADSync", "before": "Running", "after": "Running", "stopped_seconds": 0}
    assert lab.twin(host).services.get("ADSync").state == "running"
    folder = Path(result["path"])
    assert (folder / "database" / "ADSync.mdf").stat().st_size == 2 * 1024 * 1024
    # the transfer says what it fetches and shows its progress, ending at 100 % (a line per 10 %, not per chunk)
    shown = [line for line in run.stdout.splitlines() if line.startswith(f"{host}: backup: fetch")]
    assert re.fullmatch(rf"{host}: backup: fetching \d+ file\(s\), 4\.\d MiB, to {re.escape(str(folder))}", shown[0])
    assert re.match(rf"{host}: backup: fetched (4\.\d) MiB of \1 MiB \(100%\) in ", shown[-1]), shown
    assert len(shown) <= 12, shown


def test_vault_encrypts_every_file_and_a_missing_secret_stops_before_anything(lab, tmp_path):
    host = "aadsync-2012r2"
    secret = tmp_path / "vault-pass"
    secret.write_text("correct horse\n")
    secret.chmod(0o600)
    run = lab.playbook(plays([host], tmp_path / "b", sync_backup_vault_id="backup"),
                       "--vault-id", f"backup@{secret}")
    assert run.rc == 0, run.stderr
    [manifest] = manifests(tmp_path / "b", host)
    assert manifest["vault_id"] == "backup" and all(f["encrypted"] for f in manifest["files"])
    entry = manifest["files"][0]
    encrypted = manifest["_folder"] / entry["name"]
    assert encrypted.read_bytes().startswith(b"$ANSIBLE_VAULT;1.2;AES256;backup")
    plain = subprocess.run([str(BIN / "ansible-vault"), "decrypt", "--vault-id", f"backup@{secret}", "--output", "-",
                            str(encrypted)],
                           cwd=REPO, env=env(), capture_output=True, check=True).stdout
    assert hashlib.sha256(plain).hexdigest() == entry["sha256_server"]

    missing = lab.playbook(plays([host], tmp_path / "c", sync_backup_vault_id="other"))
    assert missing.failures() == {host: 1} and not (tmp_path / "c").exists()
    assert "no vault secret with that id is loaded" in json.dumps(missing.data)


@pytest.mark.parametrize("bad", [{"sync_backup_dir": "relative/backups"}, {"sync_backup_max_age_hours": -1}])
def test_bad_input_is_refused_before_anything(lab, tmp_path, bad):
    run = lab.playbook(plays(["connect23-2019"], tmp_path, **bad))
    assert run.failures() == {"connect23-2019": 1}
    assert "Back up the sync configuration to the controller and verify it" not in json.dumps(
        [t["task"]["name"] for p in run.data["plays"] for t in p["tasks"]])
    assert not any(tmp_path.iterdir()) if tmp_path.exists() else True


def test_nothing_is_backed_up_without_an_assessment(lab, tmp_path):
    run = lab.playbook([{"hosts": "connect23-2019", "gather_facts": False, "roles": [
        {"role": "entra.sync_upgrade.sync_backup", "vars": {"sync_backup_dir": str(tmp_path)}}]}])
    assert run.failures() == {"connect23-2019": 1}
    assert "run entra.sync_upgrade.sync_assess first" in json.dumps(run.data)
    assert os.listdir(tmp_path) == []
