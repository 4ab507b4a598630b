r"""SQL Server on the twin: which instance a data source reaches, which client can reach LocalDB, and the few
read-only queries the lab answers.

Rules that stand in for SQL Server and SqlClient:
- A data source names an instance of the twin's `sql.instances`; '.', '(local)', 'localhost' and the host name
  are this computer. An instance with a service answers only while that service runs.
- An instance with `logins` admits only those accounts and groups (by name, domain or computer prefix
  ignored; BUILTIN\Administrators is the local group): anyone else gets "Login failed for user ...".
- LocalDB needs the SqlClient of .NET 4.0.2 or later: a process on CLR 2 (PowerShell 2.0), or a host without
  .NET 4.5 (Release below 378389), gets SqlClient 2.0's "error 26" instead.
- Queries: COUNT_BIG(*) of a table, the database size from sys.database_files, SERVERPROPERTY('Edition') and
  SERVERPROPERTY('ProductVersion'); the instance's BackupDirectory (xp_instance_regread of its MSSQLServer key);
  anything else is not simulated. `master` exists on every instance.
- BACKUP DATABASE ... TO DISK runs as the instance's service account: it writes only into the instance's own
  folders (its BackupDirectory and its data root; elsewhere "Access is denied", as a service SID without rights
  there gets), needs the folder to exist and the space on the disk, and writes a backup the size of the
  database's used space (`used_mb`, else `size_mb`). RESTORE VERIFYONLY accepts only a file that BACKUP wrote.
- A database's files (`files`) are held open while its instance runs: a SQL instance while its service runs,
  LocalDB while the service that owns the instance (`owner`) runs. Whether any other .mdf/.ldf is open, the
  lab cannot know.
"""

from __future__ import annotations

import ntpath
import re

from .errors import NotSimulated

NOT_FOUND = ("A network-related or instance-specific error occurred while establishing a connection to SQL "
             "Server. The server was not found or was not accessible. Verify that the instance name is correct and "
             "that SQL Server is configured to allow remote connections. (provider: SQL Network Interfaces, error: "
             "26 - Error Locating Server/Instance Specified)")
DOTNET_45 = 378389
SQL_KEY = "HKLM\\SOFTWARE\\Microsoft\\Microsoft SQL Server"
INSTANCE_NAMES = SQL_KEY + "\\Instance Names\\SQL"
_COUNT = re.compile(r"SELECT COUNT_BIG\(\*\) FROM (?:dbo\.)?\[?(?P<table>\w+)\]?(?: WITH \(NOLOCK\))?", re.I)
_SIZE = re.compile(r"SELECT SUM\(CAST\(size AS BIGINT\)\) \* 8 / 1024 FROM sys\.database_files", re.I)
_EDITION = re.compile(r"SELECT CAST\(SERVERPROPERTY\('Edition'\) AS NVARCHAR\(128\)\)", re.I)
_PRODUCT_VERSION = re.compile(r"SELECT CAST\(SERVERPROPERTY\('ProductVersion'\) AS NVARCHAR\(128\)\)", re.I)
_BACKUP_DIRECTORY = re.compile(r"EXEC master\.dbo\.xp_instance_regread N'HKEY_LOCAL_MACHINE', "
                               r"N'Software\\Microsoft\\MSSQLServer\\MSSQLServer', N'BackupDirectory'", re.I)
_BACKUP = re.compile(r"BACKUP DATABASE \[(?P<db>(?:[^\]]|\]\])+)\] TO DISK = N'(?P<path>(?:[^']|'')+)' "
                     r"WITH (?P<options>[A-Z_]+(?:, [A-Z_]+)*)", re.I)
_VERIFY = re.compile(r"RESTORE VERIFYONLY FROM DISK = N'(?P<path>(?:[^']|'')+)' WITH CHECKSUM", re.I)
BACKUP_OPTIONS = {"COPY_ONLY", "INIT", "CHECKSUM", "FORMAT", "COMPRESSION"}
MB = 1024 * 1024


class SqlError(Exception):
    """A SqlException: the message SqlClient raises."""


class Connection:
    def __init__(self, server: SqlServer, name: str, instance: dict, database: dict):
        self.server, self.name, self.instance, self.database = server, name, instance, database

    def scalar(self, query: str):
        """ExecuteScalar of one SELECT."""
        text = " ".join(query.split())
        if m := _COUNT.fullmatch(text):
            tables = self.database.get("tables") or {}
            table = next((t for t in tables if t.lower() == m.group("table").lower()), None)
            if table is None:
                raise SqlError(f"Invalid object name 'dbo.{m.group('table')}'.")
            return _count(tables[table], table)
        if _SIZE.fullmatch(text) and "size_mb" in self.database:
            return _count(self.database["size_mb"], "size_mb")
        if _EDITION.fullmatch(text) and "edition" in self.instance:
            return str(self.instance["edition"])
        if _PRODUCT_VERSION.fullmatch(text) and "version" in self.instance:
            return str(self.instance["version"])
        raise NotSimulated(f"SQL query {text[:100]}")

    def rows(self, query: str) -> list[tuple]:
        """ExecuteReader: the rows of the one reading procedure the lab answers."""
        text = " ".join(query.split())
        if _BACKUP_DIRECTORY.fullmatch(text):
            return [("BackupDirectory", self.server.backup_directory(self.name))]
        raise NotSimulated(f"SQL query {text[:100]}")

    def execute(self, statement: str) -> None:
        """ExecuteNonQuery of BACKUP DATABASE or RESTORE VERIFYONLY; SqlError as SQL Server reports failures."""
        text = " ".join(statement.split())
        if m := _BACKUP.fullmatch(text):
            options = {o.strip().upper() for o in m.group("options").split(",")}
            if not options <= BACKUP_OPTIONS:
                raise NotSimulated(f"BACKUP option(s) {sorted(options - BACKUP_OPTIONS)}")
            self.server.backup(self.name, m.group("db").replace("]]", "]"), m.group("path").replace("''", "'"))
            return
        if m := _VERIFY.fullmatch(text):
            self.server.verify(m.group("path").replace("''", "'"))
            return
        raise NotSimulated(f"SQL statement {text[:100]}")


class SqlServer:
    def __init__(self, twin):
        self.twin = twin

    def _canonical(self, source: str) -> str:
        here = {".", "(local)", "localhost", self.twin.state["hostname"].lower()}
        server, sep, rest = source.partition("\\")
        return (("." if server.lower() in here else server) + sep + rest).lower()

    def _admits(self, logins: list, user: str) -> bool:
        identities = {_short(user), *(g.lower() for g in self.twin.groups_of(user))}
        return any(_short(login) in identities for login in logins)

    def client_reaches_localdb(self, clr: str) -> bool:
        release = self.twin.dotnet_release
        return clr != "2.0" and release is not None and release >= DOTNET_45

    def connect(self, data_source: str, database: str, clr: str, user: str | None = None) -> Connection:
        """Open a connection as `user`'s process on CLR `clr` ('2.0' or '4.0') would; SqlError when it cannot."""
        sql = self.twin.state.get("sql") or {}
        target = self._canonical(data_source)
        if target.startswith("(localdb)\\") and not self.client_reaches_localdb(clr):
            raise SqlError(NOT_FOUND)
        name = next((k for k in (sql.get("instances") or {}) if self._canonical(k) == target), None)
        if name is None:
            raise SqlError(NOT_FOUND)
        instance = sql["instances"][name] or {}
        service = instance.get("service")
        if service:
            svc = self.twin.services.get(service)
            if svc is None or svc.state != "running":
                raise SqlError(NOT_FOUND)
        if user is not None and instance.get("logins") is not None and not self._admits(instance["logins"], user):
            raise SqlError(f"Login failed for user '{self.twin.state['hostname']}\\{user.split(chr(92))[-1]}'.")
        db = {"name": "master"} if database.lower() == "master" else self._database(name, database)
        if db is None:
            raise SqlError(f'Cannot open database "{database}" requested by the login. The login failed.')
        return Connection(self, name, instance, db)

    def _database(self, instance_name: str, database: str) -> dict | None:
        sql = self.twin.state.get("sql") or {}
        return next((d for d in sql.get("databases") or [] if self._canonical(str(d.get("instance", ""))) ==
                     self._canonical(instance_name) and str(d.get("name", "")).lower() == database.lower()), None)

    # the instance's own folders and its backups ------------------------------------------------------------
    def _instance_id(self, instance_name: str) -> str:
        """MSSQL<nn>.<NAME> from the registry's Instance Names (as setup registers it)."""
        short = instance_name.partition("\\")[2] or "MSSQLSERVER"
        value = self.twin.registry.get_value(INSTANCE_NAMES, short)
        if value is None:
            raise NotSimulated(f"SQL instance {instance_name}: no {INSTANCE_NAMES}\\{short} in the twin")
        return str(value["data"])

    def backup_directory(self, instance_name: str) -> str:
        key = f"{SQL_KEY}\\{self._instance_id(instance_name)}\\MSSQLServer"
        value = self.twin.registry.get_value(key, "BackupDirectory")
        if value is None:
            raise NotSimulated(f"{key}\\BackupDirectory is not in the twin")
        return str(value["data"])

    def _own_folders(self, instance_name: str) -> list[str]:
        setup = self.twin.registry.peek_values(f"{SQL_KEY}\\{self._instance_id(instance_name)}\\Setup")
        data_root = (setup.get("SQLDataRoot") or {}).get("data")
        return [f for f in (self.backup_directory(instance_name), data_root) if f]

    def backup(self, instance_name: str, database: str, path: str) -> None:
        db = self._database(instance_name, database)
        if db is None:
            raise SqlError(f"Database '{database}' does not exist. Make sure that the name is entered correctly.\n"
                           "BACKUP DATABASE is terminating abnormally.")
        files, folder = self.twin.files, ntpath.dirname(path)
        if not files.is_dir(folder):
            raise SqlError(_device_error(path, 3, "The system cannot find the path specified.", "BACKUP DATABASE"))
        if not any(_below(path, own) for own in self._own_folders(instance_name)):
            raise SqlError(_device_error(path, 5, "Access is denied.", "BACKUP DATABASE"))
        size = int(db.get("used_mb", db.get("size_mb", 0))) * MB
        if size > self.twin.free_bytes:
            raise SqlError(f'Write on "{path}" failed: 112(There is not enough space on the disk.)\n'
                           "BACKUP DATABASE is terminating abnormally.")
        files.write(path, None, size=size)
        files.get(path)["sql_backup_of"] = f"{instance_name}/{db['name']}"

    def verify(self, path: str) -> None:
        entry = self.twin.files.get(path)
        if entry is None:
            raise SqlError(_device_error(path, 2, "The system cannot find the file specified.", "VERIFY DATABASE"))
        if not entry.get("sql_backup_of"):
            raise SqlError(f"The media family on device '{path}' is incorrectly formed. SQL Server cannot process "
                           "this media family.\nVERIFY DATABASE is terminating abnormally.")

    def holder_of(self, path: str) -> str | None:
        """The service whose SQL Server process holds a database file open (None when nothing holds it);
        NotSimulated for a database file the twin does not attribute to a database."""
        sql = self.twin.state.get("sql") or {}
        for db in sql.get("databases") or []:
            if not any(ntpath.normcase(f) == ntpath.normcase(path) for f in db.get("files") or []):
                continue
            instance = next((v or {} for k, v in (sql.get("instances") or {}).items()
                             if self._canonical(k) == self._canonical(str(db.get("instance", "")))), {})
            service = instance.get("service") or instance.get("owner")
            svc = self.twin.services.get(service) if service else None
            return service if svc is not None and svc.state == "running" else None
        if path.lower().endswith((".mdf", ".ldf", ".ndf")):
            raise NotSimulated(f"whether SQL Server holds {path} open: no database of the twin names it")
        return None


def _device_error(path: str, code: int, text: str, operation: str) -> str:
    return (f"Cannot open backup device '{path}'. Operating system error {code}({text}).\n"
            f"{operation} is terminating abnormally.")


def _below(path: str, folder: str) -> bool:
    return ntpath.normcase(path).startswith(ntpath.normcase(folder).rstrip("\\") + "\\")


def _short(name: str) -> str:
    return str(name).split("\\")[-1].lower()


def _count(value, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotSimulated(f"the twin's SQL value {what}={value!r} is not a number") from None
