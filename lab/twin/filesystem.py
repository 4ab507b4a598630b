"""An NTFS-like file tree: case-insensitive paths that keep their case, file content and file versions."""

from __future__ import annotations

import base64
import hashlib
import ntpath
import re
import time


class FileSystemError(OSError):
    pass


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
    """data: {lower path: {"path", "type": file|dir, "content_b64"?, "size"?, "version"?, "mtime"}}

    A file may carry `size` without content (a large file whose bytes the lab never needs) and a
    `version` (the PE file version Get-Item shows for .exe/.dll files).
    """

    def __init__(self, data: dict | None = None):
        self.data: dict[str, dict] = data if data is not None else {}

    @staticmethod
    def _k(path: str) -> str:
        return normalize(path).lower()

    def get(self, path: str) -> dict | None:
        k = self._k(path)
        if re.fullmatch(r"[a-z]:\\", k):
            return {"path": normalize(path), "type": "dir", "mtime": 0}
        return self.data.get(k)

    def exists(self, path: str) -> bool:
        return self.get(path) is not None

    def is_dir(self, path: str) -> bool:
        entry = self.get(path)
        return bool(entry) and entry["type"] == "dir"

    def mkdir(self, path: str) -> bool:
        norm = normalize(path)
        created = False
        parts = norm.split("\\")
        for i in range(2, len(parts) + 1):
            sub = "\\".join(parts[:i])
            entry = self.data.get(sub.lower())
            if entry is None:
                self.data[sub.lower()] = {"path": sub, "type": "dir", "mtime": time.time()}
                created = True
            elif entry["type"] != "dir":
                raise FileSystemError(f"a file is in the way: {sub}")
        return created

    def write(self, path: str, content: bytes, version: str | None = None, **meta) -> None:
        norm = normalize(path)
        if self.is_dir(norm):
            raise FileSystemError(f"is a directory: {norm}")
        self.mkdir(ntpath.dirname(norm))
        entry = {"path": norm, "type": "file", "content_b64": base64.b64encode(content).decode(),
                 "size": len(content), "mtime": time.time()}
        if version:
            entry["version"] = version
        entry.update(meta)
        self.data[norm.lower()] = entry

    def read(self, path: str) -> bytes:
        entry = self.get(path)
        if entry is None:
            raise FileSystemError(f"no such file: {path}")
        if entry["type"] == "dir":
            raise FileSystemError(f"is a directory: {path}")
        if "content_b64" not in entry:
            # a placeholder of known size: its bytes are zeros, deterministic for checksums
            return b"\0" * int(entry.get("size", 0))
        return base64.b64decode(entry["content_b64"])

    def size(self, path: str) -> int:
        entry = self.get(path)
        if entry is None or entry["type"] == "dir":
            return 0
        return int(entry.get("size", 0))

    def remove(self, path: str) -> bool:
        k = self._k(path)
        doomed = [x for x in self.data if x == k or x.startswith(k + "\\")]
        for x in doomed:
            del self.data[x]
        return bool(doomed)

    def listdir(self, path: str) -> list[dict]:
        k = self._k(path).rstrip("\\")
        depth = k.count("\\") + 1
        return [e for x, e in sorted(self.data.items()) if x.startswith(k + "\\") and x.count("\\") == depth]

    def walk(self, path: str) -> list[dict]:
        k = self._k(path).rstrip("\\")
        return [e for x, e in sorted(self.data.items()) if x.startswith(k + "\\")]

    def checksum(self, path: str, algorithm: str = "sha1") -> str:
        return hashlib.new(algorithm, self.read(path)).hexdigest()

    def used_bytes(self, drive: str = "C") -> int:
        return sum(int(e.get("size", 0)) for x, e in self.data.items() if x.startswith(drive.lower() + ":"))
