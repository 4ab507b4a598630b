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
  SERVERPROPERTY('ProductVersion'); anything else is not simulated.
"""

from __future__ import annotations

import re

from .errors import NotSimulated

NOT_FOUND = ("A network-related or instance-specific error occurred while establishing a connection to SQL "
             "Server. The server was not found or was not accessible. Verify that the instance name is correct and "
             "that SQL Server is configured to allow remote connections. (provider: SQL Network Interfaces, error: "
             "26 - Error Locating Server/Instance Specified)")
DOTNET_45 = 378389
_COUNT = re.compile(r"SELECT COUNT_BIG\(\*\) FROM (?:dbo\.)?\[?(?P<table>\w+)\]?(?: WITH \(NOLOCK\))?", re.I)
_SIZE = re.compile(r"SELECT SUM\(CAST\(size AS BIGINT\)\) \* 8 / 1024 FROM sys\.database_files", re.I)
_EDITION = re.compile(r"SELECT CAST\(SERVERPROPERTY\('Edition'\) AS NVARCHAR\(128\)\)", re.I)
_PRODUCT_VERSION = re.compile(r"SELECT CAST\(SERVERPROPERTY\('ProductVersion'\) AS NVARCHAR\(128\)\)", re.I)


class SqlError(Exception):
    """A SqlException: the message SqlClient raises."""


class Connection:
    def __init__(self, instance: dict, database: dict):
        self.instance, self.database = instance, database

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
        db = next((d for d in sql.get("databases") or [] if self._canonical(str(d.get("instance", ""))) ==
                   self._canonical(name) and str(d.get("name", "")).lower() == database.lower()), None)
        if db is None:
            raise SqlError(f'Cannot open database "{database}" requested by the login. The login failed.')
        return Connection(instance, db)


def _short(name: str) -> str:
    return str(name).split("\\")[-1].lower()


def _count(value, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotSimulated(f"the twin's SQL value {what}={value!r} is not a number") from None
