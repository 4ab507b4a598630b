"""Ansible's own executor scripts (mkdtemp, expand_user, put_file, fetch_file) run on a twin."""

from __future__ import annotations

import base64
import hashlib
import ntpath

from ..twin.environment import expand
from ..twin.errors import Win32Error
from ..twin.filesystem import FileSystemError
from ..twin.host import Twin
from .result import Result


def mkdtemp(twin: Twin, params: dict, environment: dict) -> Result:
    base = expand(params["Directory"], environment)
    path = ntpath.join(base, params["Name"])
    if twin.files.exists(path):
        return Result.error(f"An item with the specified name {path} already exists.")
    twin.files.mkdir(path)
    return Result(path.encode() + b"\r\n")


def expand_user(twin: Twin, params: dict, environment: dict) -> Result:
    path, home = params["Path"], environment["USERPROFILE"]
    if path == "~":
        return Result(home.encode() + b"\r\n")
    if path.startswith("~\\"):
        return Result(ntpath.join(home, path[2:]).encode() + b"\r\n")
    return Result(path.encode() + b"\r\n")


def put_file(twin: Twin, params: dict, data: bytes) -> Result:
    path = params["Path"]
    content = b"".join(base64.b64decode(line) for line in data.split(b"\r\n") if line.strip())
    parent = ntpath.dirname(path)
    if not twin.files.is_dir(parent):
        return Result.error(f"Could not find a part of the path '{path}'.")
    try:
        twin.files.write(path, content)
    except FileSystemError as exc:
        return Result.error(str(exc))
    except Win32Error as exc:  # winrm_put_file.ps1's $fd.Write fails, e.g. on a full disk
        return Result.error(f'Exception calling "Write" with "3" argument(s): "{exc.message}\r\n"')
    return Result(b'{"sha1":"%s"}\r\n' % hashlib.sha1(content).hexdigest().encode())


def fetch_file(twin: Twin, params: dict) -> Result:
    path = params["Path"]
    entry = twin.files.get(path)
    if entry is None:
        return Result(b"", f"{path} does not exist\r\n".encode(), 1)
    if entry["type"] == "dir":
        return Result(b"[DIR]\r\n")
    offset, size = int(params["Offset"]), int(params["BufferSize"])
    chunk = twin.files.read(path)[offset : offset + size]
    return Result(base64.b64encode(chunk) + b"\r\n" if chunk else b"")


# name -> handler(twin, params, input after the manifest, environment block)
HELPERS = {
    "powershell_mkdtemp.ps1": lambda twin, p, data, env: mkdtemp(twin, p, env),
    "powershell_expand_user.ps1": lambda twin, p, data, env: expand_user(twin, p, env),
    "winrm_put_file.ps1": lambda twin, p, data, env: put_file(twin, p, data),
    "winrm_fetch_file.ps1": lambda twin, p, data, env: fetch_file(twin, p),
}
