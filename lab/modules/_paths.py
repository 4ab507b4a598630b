"""Windows paths as a module process sees them: relative to its working folder, and their parts."""

from __future__ import annotations

import hashlib
import re

from ..twin.filesystem import FileSystemError, normalize


def abspath(ctx, path: str) -> str:
    """A module path made absolute the way Windows does it (relative to the session's cwd, the profile dir)."""
    p = path.replace("/", "\\")
    if p.startswith("\\\\"):
        ctx.fail(f"lab: not simulated: UNC path {path}")
    if not re.match(r"^[A-Za-z]:\\", p + "\\"):
        p = ctx.environment["USERPROFILE"] + "\\" + p
    try:
        return normalize(p)
    except FileSystemError as e:
        ctx.fail(str(e))


def has_trailing_sep(path: str) -> bool:
    return path.endswith(("\\", "/"))


def checksum(fs, path: str, algorithm: str = "sha1") -> str:
    return hashlib.new(algorithm, fs.read(path)).hexdigest()


def extension(name: str) -> str:
    """System.IO.Path.GetExtension: '' for 'a.' and names without a dot, '.x' otherwise."""
    i = name.rfind(".")
    return name[i:] if 0 <= i < len(name) - 1 else ""
