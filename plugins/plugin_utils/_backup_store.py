# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller's backup store: <root>/<host>/<UTC stamp>/ with the files and manifest.json.

Backups hold service account names, connector configuration and whole sync databases, so every folder is
created 0700 and every file 0600, whatever the umask. A backup is `verified` only when every file's SHA-256,
computed on the server and again on the controller over the bytes written, match; otherwise it is kept for
inspection and marked `failed` with the cause. Files may be encrypted with Ansible Vault after verification.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path, PurePosixPath, PureWindowsPath

MANIFEST = "manifest.json"
FORMAT = 1
STAMP = "%Y%m%dT%H%M%SZ"
VERIFIED, FAILED = "verified", "failed"


class StoreError(ValueError):
    pass


def stamp(now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).strftime(STAMP)


def _mkdir_private(path: Path) -> None:
    """Create the folder and its missing parents 0700 (existing parents keep their mode)."""
    missing = []
    for parent in [path, *path.parents]:
        if parent.exists():
            break
        missing.append(parent)
    for folder in reversed(missing):
        folder.mkdir(mode=0o700)
        os.chmod(folder, 0o700)  # mkdir's mode is filtered by the umask


def new_backup_dir(root: Path, host: str, when: str) -> Path:
    """A new, empty folder for one backup; a second backup in the same second gets a suffix."""
    if not root.is_absolute():
        raise StoreError(f"the backup folder must be an absolute path, not {root}")
    if "/" in host or host in ("", ".", ".."):
        raise StoreError(f"host name {host!r} cannot name a backup folder")
    _mkdir_private(root / host)
    for n in range(1, 100):
        folder = root / host / (when if n == 1 else f"{when}-{n}")
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            continue
        os.chmod(folder, 0o700)
        return folder
    raise StoreError(f"no free backup folder name for {when} under {root / host}")


def local_name(server_name: str) -> PurePosixPath:
    """A staged file's relative Windows name as a safe relative path on the controller."""
    parts = PureWindowsPath(server_name).parts
    if not parts or PureWindowsPath(server_name).anchor or any(p in ("", ".", "..") for p in parts):
        raise StoreError(f"refused file name from the server: {server_name!r}")
    return PurePosixPath(*parts)


class FileSink:
    """One backup file being written: owner-only, hashed as it is written."""

    def __init__(self, folder: Path, name: str):
        self.relative = local_name(name)
        self.path = folder / self.relative
        _mkdir_private(self.path.parent)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.fchmod(self._fd, 0o600)
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        self.sha256.update(data)
        self.size += len(data)

    def close(self) -> str:
        os.close(self._fd)
        return self.sha256.hexdigest()


def write_private(path: Path, data: bytes) -> None:
    """Replace a file's content, owner-only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, data)
    finally:
        os.close(fd)


def write_manifest(folder: Path, manifest: dict) -> Path:
    path = folder / MANIFEST
    write_private(path, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    return path


def read_manifest(folder: Path) -> dict | None:
    try:
        doc = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and doc.get("format") == FORMAT else None


def _created(manifest: dict) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(str(manifest.get("created_at")), "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=dt.UTC)
    except ValueError:
        return None


def verified_backups(root: Path, host: str) -> list[tuple[Path, dict]]:
    """The host's verified backups whose files are all still there, newest first."""
    found = []
    folder = root / host
    if not folder.is_dir():
        return []
    for candidate in folder.iterdir():
        manifest = read_manifest(candidate) if candidate.is_dir() else None
        if manifest is None or manifest.get("status") != VERIFIED or manifest.get("host") != host:
            continue
        if _created(manifest) is None:
            continue
        if not all((candidate / local_name(f["name"])).is_file() for f in manifest.get("files") or []):
            continue
        found.append((candidate, manifest))
    return sorted(found, key=lambda pair: _created(pair[1]), reverse=True)


def age_hours(manifest: dict, now: dt.datetime) -> float:
    return (now - _created(manifest)).total_seconds() / 3600


def young_backup(root: Path, host: str, now: dt.datetime, max_age_hours: float) -> tuple[Path, dict] | None:
    """The newest verified backup of the host younger than max_age_hours (0: none qualifies)."""
    if max_age_hours <= 0:
        return None
    for folder, manifest in verified_backups(root, host):
        if 0 <= age_hours(manifest, now) <= max_age_hours:
            return folder, manifest
    return None


def encrypt(folder: Path, names: list[str], vault_lib, secret, vault_id: str) -> None:
    """Encrypt the verified files in place with Ansible Vault (ansible-vault view/decrypt reads them)."""
    for name in names:
        path = folder / local_name(name)
        write_private(path, vault_lib.encrypt(path.read_bytes(), secret, vault_id=vault_id))
