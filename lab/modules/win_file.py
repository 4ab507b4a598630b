"""Twin of ansible.windows.win_file (Legacy module utils); explicit access/modification times are not simulated."""

import ntpath

from ..twin.filesystem import FileSystemError
from ._failures import not_simulated, twin_errors
from ._legacy import legacy_param
from ._paths import abspath


@twin_errors
def run(ctx):
    fs = ctx.twin.files
    diff_peek = legacy_param(ctx, "_diff_peek", type="bool")
    for option in ("access_time", "modification_time", "access_time_format", "modification_time_format"):
        if legacy_param(ctx, option) is not None:
            not_simulated(ctx, "win_file", option)
    raw = legacy_param(ctx, "path", type="path", required=True, aliases=("dest", "name"))
    state = legacy_param(ctx, "state", type="str", choices=("absent", "directory", "file", "touch"))
    original_basename = legacy_param(ctx, "_original_basename", type="str")
    path = abspath(ctx, raw)
    if fs.is_dir(path) and original_basename is not None:
        path = abspath(ctx, ntpath.join(path, original_basename))
        raw = path

    if diff_peek is not None:  # the action plugins' diff peek
        data = fs.read(path)[:8192] if fs.exists(path) and not fs.is_dir(path) else b""
        return {"path": raw, "change": False, "appears_binary": b"\0" in data,
                "state": "file" if fs.exists(path) else "absent"}

    changed = False
    if state == "touch":
        entry = fs.get(path)
        if entry is None and not fs.is_dir(ntpath.dirname(path)):
            ctx.fail(f"Unhandled exception while executing module: Could not find a part of the path '{path}'.")
        if not ctx.check_mode:
            if entry is None:
                fs.write(path, b"")  # `Write-Output $null | Out-File` leaves an empty file
            else:
                fs.touch(path)
        changed = True

    entry = fs.get(path)
    if entry is not None:
        if state == "absent":
            if not ctx.check_mode:
                fs.remove(path)
            changed = True
        elif state == "directory" and entry["type"] != "dir":
            ctx.fail(f"path {raw} is not a directory")
        elif state == "file" and entry["type"] == "dir":
            ctx.fail(f"path {raw} is not a file")
    elif state == "directory":
        try:
            if not ctx.check_mode:
                fs.mkdir(path)
            elif any(fs.get(a) and not fs.is_dir(a) for a in _ancestors(path)):
                raise FileSystemError(f"a file is in the way: {path}")
        except FileSystemError:
            ctx.fail(f"path {raw} is not a directory")
        changed = True
    elif state in (None, "file"):
        ctx.fail(f"path {raw} will not be created")
    return {"changed": changed}


def _ancestors(path):
    while ntpath.dirname(path) != path:
        path = ntpath.dirname(path)
        yield path
