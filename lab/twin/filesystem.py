"""An NTFS-like file tree: case-insensitive paths that keep their case, file content and versions, and the
modeled rule (lab/twin/modeled.py) for paths the twin does not know."""

from __future__ import annotations

import base64
import copy
import hashlib
import ntpath
import re
import time

from . import modeled
from .blobs import BLOB_THRESHOLD, BlobStore
from .errors import NotSimulated, Win32Error

# Files that profiles and the base layer declare carry this time (2026-01-01T00:00:00Z), so that the same
# profile always builds the same twin; what a run writes carries the time it was written.
PROFILE_MTIME = 1767225600.0


class FileSystemError(OSError):
    pass


ERROR_DISK_FULL = 112


class DiskFull(Win32Error):
    """ERROR_DISK_FULL: a write that needs more than the drive's free space fails, as NTFS fails it."""

    def __init__(self):
        super().__init__(ERROR_DISK_FULL, "There is not enough space on the disk.")


def normalize(path: str) -> str:
    p = path.replace("/", "\\").strip()
    if p.lower().startswith("filesystem::"):
        p = p[len("filesystem::"):]
    p = ntpath.normpath(p)
    if not re.match(r"^[A-Za-z]:\\", p + "\\"):
        raise FileSystemError(f"not an absolute Windows path: {path}")
    p = p[0].upper() + p[1:]
    return p.rstrip("\\") if len(p) > 3 else p[:2] + "\\"


class FileSystem:
    """data: {lower path: {"path", "type": file|dir, "content_b64"?, "size", "version"?, "mtime", "partial"?, ...}}

    A file may carry `size` without content (a large file whose bytes the lab never needs; they read as zeros)
    and a `version` (the PE file version Get-Item shows for .exe/.dll files). A body above BLOB_THRESHOLD lives
    in the content store (lab/twin/blobs.py) and the entry keeps its SHA-256 as `blob`. `mode` (modeled.RUNTIME,
    PROFILE or BASE) says how folders created now are marked and which time they carry. `free_space`, when set
    (the twin sets it from its disk), is asked before a run writes: a write that does not fit fails with
    DiskFull.
    """

    def __init__(self, data: dict | None = None, blobs: BlobStore | None = None, free_space=None):
        self.data: dict[str, dict] = data if data is not None else {}
        self.mode = modeled.RUNTIME
        self.blobs = blobs or BlobStore()
        self.free_space = free_space  # () -> free bytes on the system drive, or None: no limit

    @staticmethod
    def _k(path: str) -> str:
        return normalize(path).lower()

    def _now(self) -> float:
        return time.time() if self.mode == modeled.RUNTIME else PROFILE_MTIME

    def _entry(self, k: str) -> dict | None:
        entry = self.data.get(k)
        if entry is None and re.fullmatch(r"[a-z]:\\", k):  # a drive root always exists
            return {"path": k.upper(), "type": "dir", "mtime": PROFILE_MTIME, "partial": True}
        return entry

    # reads --------------------------------------------------------------------------------------------------
    def get(self, path: str) -> dict | None:
        """The entry; None when the twin knows there is nothing there; NotSimulated when it cannot know."""
        k = self._k(path)
        entry = self._entry(k)
        if entry is not None:
            return entry
        parts = normalize(path).split("\\")
        for i in range(len(parts) - 1, 0, -1):
            above = "\\".join(parts[:i]) + ("\\" if i == 1 else "")
            ancestor = self._entry(above.lower())
            if ancestor is None:
                continue
            if ancestor["type"] != "dir":
                return None  # a file is in the way: nothing can be below it
            modeled.absent("path", normalize(path), ancestor, ancestor["path"], parts[i])
            return None
        return None

    def exists(self, path: str) -> bool:
        return self.get(path) is not None

    def is_dir(self, path: str) -> bool:
        entry = self.get(path)
        return bool(entry) and entry["type"] == "dir"

    def read(self, path: str) -> bytes:
        entry = self._file(path)
        if "blob" in entry:
            return self.blobs.get(entry["blob"])
        if "content_b64" not in entry:
            return b"\0" * int(entry.get("size", 0))
        return base64.b64decode(entry["content_b64"])

    def read_range(self, path: str, offset: int, length: int) -> bytes:
        """Bytes [offset, offset+length) of a file (fewer at its end), without reading the rest of it."""
        entry = self._file(path)
        if "blob" in entry:
            return self.blobs.read_range(entry["blob"], offset, length)
        if "content_b64" not in entry:
            return b"\0" * max(0, min(length, int(entry.get("size", 0)) - offset))
        return base64.b64decode(entry["content_b64"])[offset:offset + length]

    def _file(self, path: str) -> dict:
        entry = self.get(path)
        if entry is None:
            raise FileSystemError(f"no such file: {path}")
        if entry["type"] == "dir":
            raise FileSystemError(f"is a directory: {path}")
        return entry

    def size(self, path: str) -> int:
        entry = self.get(path)
        if entry is None or entry["type"] == "dir":
            return 0
        return int(entry.get("size", 0))

    def listdir(self, path: str) -> list[dict]:
        k = self._k(path).rstrip("\\")
        self._require_complete(k, "the contents of")
        depth = k.count("\\") + 1
        return [e for x, e in sorted(self.data.items()) if x.startswith(k + "\\") and x.count("\\") == depth]

    def walk(self, path: str) -> list[dict]:
        """Everything below a folder; every folder on the way must be complete."""
        k = self._k(path).rstrip("\\")
        self._require_complete(k, "the contents of")
        found = [e for x, e in sorted(self.data.items()) if x.startswith(k + "\\")]
        for entry in found:
            if entry["type"] == "dir" and entry.get("partial"):
                raise NotSimulated(f"listing the contents of {entry['path']}: the lab models only part of it")
        return found

    def checksum(self, path: str, algorithm: str = "sha1") -> str:
        return hashlib.new(algorithm, self.read(path)).hexdigest()

    def used_bytes(self, drive: str = "C") -> int:
        return sum(int(e.get("size", 0)) for x, e in self.data.items() if x.startswith(drive.lower() + ":"))

    def _require_complete(self, k: str, what: str) -> None:
        entry = self._entry(k + "\\" if k.endswith(":") else k)
        if entry is not None and entry.get("partial"):
            raise NotSimulated(f"listing {what} {entry['path']}: the lab models only part of it")

    # writes -------------------------------------------------------------------------------------------------
    def mkdir(self, path: str) -> bool:
        """Create a folder and its parents; True if anything was created."""
        return self._make_dirs(normalize(path), explicit=True)

    def _make_dirs(self, norm: str, explicit: bool) -> bool:
        """Create missing folders down to `norm`; the last one is the caller's own unless it only holds a file."""
        if len(norm) <= 3:  # a drive root
            return False
        parts = norm.split("\\")
        created = False
        for i in range(2, len(parts) + 1):
            sub = "\\".join(parts[:i])
            entry = self.data.get(sub.lower())
            if entry is None:
                above = "\\".join(parts[:i - 1]) + ("\\" if i == 2 else "")
                implicit = i < len(parts) or not explicit
                self.data[sub.lower()] = {"path": sub, "type": "dir", "mtime": self._now(),
                                          **modeled.new_node(self.mode, self._entry(above.lower()), parts[i - 1],
                                                             implicit)}
                created = True
            elif entry["type"] != "dir":
                raise FileSystemError(f"a file is in the way: {sub}")
        return created

    def write(self, path: str, content: bytes | None, version: str | None = None, size: int | None = None) -> None:
        """Write a file (content None: a placeholder of `size` bytes that read as zeros), parents created."""
        norm = normalize(path)
        existing = self.data.get(norm.lower())
        if existing is not None and existing["type"] == "dir":
            raise FileSystemError(f"is a directory: {norm}")
        new_size = int(size or 0) if content is None else len(content)
        self._require_space(new_size - (int(existing.get("size", 0)) if existing else 0))
        self._make_dirs(ntpath.dirname(norm), explicit=False)
        entry = {"path": norm, "type": "file", "mtime": self._now(), "size": new_size}
        if content is not None and len(content) > BLOB_THRESHOLD:
            entry["blob"] = self.blobs.put(content)
        elif content is not None:
            entry["content_b64"] = base64.b64encode(content).decode()
        if version:
            entry["version"] = version
        self.data[norm.lower()] = entry

    def _require_space(self, growth: int) -> None:
        if self.mode == modeled.RUNTIME and self.free_space is not None and growth > 0 and growth > self.free_space():
            raise DiskFull()

    def touch(self, path: str) -> None:
        self.get(path)["mtime"] = self._now()

    def copy(self, source: str, dest: str) -> None:
        """Copy-Item of one file: content, size, version and LastWriteTime go with it."""
        entry = copy.deepcopy(self.get(source))
        if entry is None or entry["type"] != "file":
            raise FileSystemError(f"no such file: {source}")
        existing = self.data.get(self._k(dest))
        self._require_space(int(entry.get("size", 0)) - (int(existing.get("size", 0)) if existing else 0))
        self._make_dirs(ntpath.dirname(normalize(dest)), explicit=False)
        entry["path"] = normalize(dest)
        self.data[entry["path"].lower()] = entry

    def remove(self, path: str) -> bool:
        entry = self.get(path)
        if entry is None:
            return False
        k = self._k(path)
        if entry["type"] == "dir":
            self.walk(path)  # NotSimulated if any folder below is only partly known
            if entry.get("partial"):
                raise NotSimulated(f"removing {entry['path']}: the lab models only part of it")
        doomed = [x for x in self.data if x == k or x.startswith(k + "\\")]
        for x in doomed:
            del self.data[x]
        return bool(doomed)

    def model(self, path: str, names) -> None:
        """Base layer: declare what the twin models in a folder (creating it, partial, if it is not there)."""
        norm = normalize(path)
        if len(norm) > 3:
            self.mkdir(norm)
        k = norm.lower()
        self.data.setdefault(k, self._entry(k))
        modeled.mark(self.data[k], names)
        if names == "**":
            for other, entry in self.data.items():
                if other.startswith(k + "\\") and entry["type"] == "dir":
                    modeled.mark(entry, "*")
