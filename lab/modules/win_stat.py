"""Twin of ansible.windows.win_stat (no links, shares or hard links in the twin; win_stat reports no file version)."""

import ntpath

from ._basic import parse_args
from ._failures import twin_errors
from ._paths import abspath, checksum, extension

HASHES = ("md5", "sha1", "sha256", "sha384", "sha512")

OPTIONS = {
    "path": {"type": "path", "required": True, "aliases": ["dest", "name"]},
    "get_checksum": {"type": "bool", "default": True},
    "get_size": {"type": "bool", "default": True},
    "checksum_algorithm": {"type": "str", "default": "sha1", "choices": list(HASHES)},
    "follow": {"type": "bool", "default": False},  # the twin has no links, so following changes nothing
}


@twin_errors
def run(ctx):
    p = parse_args(ctx, "win_stat", OPTIONS)
    fs = ctx.twin.files
    path = abspath(ctx, p["path"])
    entry = fs.get(path)
    if entry is None:
        return {"changed": False, "stat": {"exists": False}}
    attributes = entry.get("attributes") or ("Directory" if entry["type"] == "dir" else "Archive")
    flags = [a.strip() for a in attributes.split(",")]
    mtime = float(entry.get("mtime", 0))
    stat = {
        "exists": True, "attributes": attributes, "isarchive": "Archive" in flags, "isdir": False,
        "ishidden": "Hidden" in flags, "isjunction": False, "islnk": False, "isreadonly": "ReadOnly" in flags,
        "isreg": False, "isshared": False, "nlink": 1, "hlnk_targets": [],
        "creationtime": float(entry.get("ctime", mtime)), "lastaccesstime": mtime, "lastwritetime": mtime,
        "path": path, "filename": ntpath.basename(path) or path, "owner": entry.get("owner", "BUILTIN\\Administrators"),
    }
    if entry["type"] == "dir":
        stat["isdir"] = True
        if p["get_size"]:
            stat["size"] = sum(int(e.get("size", 0)) for e in fs.walk(path) if e["type"] == "file")
    else:
        stat.update(isreg=True, extension=extension(stat["filename"]))
        if p["get_checksum"]:
            stat["checksum"] = checksum(fs, path, p["checksum_algorithm"])
        if p["get_size"]:
            stat["size"] = fs.size(path)
    return {"changed": False, "stat": stat}
