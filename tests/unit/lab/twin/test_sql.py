"""SQL Server on the twin (lab/twin/sql.py): backups as the instance's service account, files it holds open."""

from __future__ import annotations

import pytest

from lab.config import PROFILES_DIR
from lab.twin.errors import NotSimulated
from lab.twin.host import Twin
from lab.twin.sql import SqlError

BACKUP_DIR = r"C:\Program Files\Microsoft SQL Server\MSSQL11.SQLEXPRESS\MSSQL\Backup"
MDF = r"C:\Program Files\Microsoft SQL Server\MSSQL11.SQLEXPRESS\MSSQL\DATA\FIMSynchronizationService.mdf"


@pytest.fixture()
def dirsync():
    return Twin.from_profile("h", "dirsync_2008r2", PROFILES_DIR)


def backup(twin, path):
    connection = twin.sql.connect(r".\SQLEXPRESS", "master", "2.0", "labadmin")
    connection.execute(f"BACKUP DATABASE [FIMSynchronizationService] TO DISK = N'{path}' WITH COPY_ONLY, INIT, "
                       "CHECKSUM")
    return connection


def test_a_backup_lands_in_the_instance_s_backup_folder_at_the_database_s_used_size(dirsync):
    connection = backup(dirsync, BACKUP_DIR + r"\f.bak")
    assert dirsync.files.size(BACKUP_DIR + r"\f.bak") == 36 * 1024 * 1024
    connection.execute(f"RESTORE VERIFYONLY FROM DISK = N'{BACKUP_DIR}\\f.bak' WITH CHECKSUM")
    assert connection.rows("EXEC master.dbo.xp_instance_regread N'HKEY_LOCAL_MACHINE', "
                           "N'Software\\Microsoft\\MSSQLServer\\MSSQLServer', N'BackupDirectory'") == [
        ("BackupDirectory", BACKUP_DIR)]


def test_the_service_account_may_not_write_elsewhere(dirsync):
    with pytest.raises(SqlError, match=r"Operating system error 5\(Access is denied.\)"):
        backup(dirsync, r"C:\ProgramData\f.bak")


def test_a_full_disk_ends_the_backup(dirsync):
    dirsync.state["disk"]["free_bytes"] = dirsync.files.used_bytes("C") + 1024
    with pytest.raises(SqlError, match="There is not enough space on the disk"):
        backup(dirsync, BACKUP_DIR + r"\f.bak")


def test_verify_accepts_only_a_file_backup_wrote(dirsync):
    connection = dirsync.sql.connect(r".\SQLEXPRESS", "master", "2.0", "labadmin")
    dirsync.files.write(BACKUP_DIR + r"\other.bak", b"not a backup")
    with pytest.raises(SqlError, match="incorrectly formed"):
        connection.execute(f"RESTORE VERIFYONLY FROM DISK = N'{BACKUP_DIR}\\other.bak' WITH CHECKSUM")


def test_database_files_are_held_while_their_instance_runs(dirsync):
    assert dirsync.sql.holder_of(MDF) == "MSSQL$SQLEXPRESS"
    for name in ("MSOnline", "FIMSynchronizationService"):  # its dependents first, as the SCM requires
        dirsync.services.stop(name)
    dirsync.services.stop("MSSQL$SQLEXPRESS")
    assert dirsync.sql.holder_of(MDF) is None
    with pytest.raises(NotSimulated):
        dirsync.sql.holder_of(r"C:\Other\unknown.mdf")
