"""What the host reaches with a web request: the lab's download server (the profile's `web:` map) and, for
file URIs and local paths (which .NET's Uri turns into file URIs), the host's own files.

A `web:` entry serves `content` (text, UTF-8) or a file of the repository (`path_on_controller`), with an
optional `status_code` and `last_modified` (epoch seconds). An http(s) URL without an entry is not simulated:
the lab never reaches the network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .errors import NotSimulated

REPO = Path(__file__).resolve().parents[2]


class WebError(Exception):
    """A WebException: its message."""


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    last_modified: float | None = None


def local_path(url: str) -> str | None:
    """The LocalPath of a file URI or of a local path given as a URI ('C:\\x' is file:///C:/x); else None."""
    if re.match(r"^[A-Za-z]:[\\/]", url):
        return url.replace("/", "\\")
    parts = urlsplit(url)
    if parts.scheme.lower() == "file":
        path = unquote(parts.path).lstrip("/").replace("/", "\\")
        if parts.netloc:
            raise NotSimulated(f"file URI on another host {url}")
        return path
    return None


class Web:
    def __init__(self, twin):
        self.twin = twin

    def entry(self, url: str) -> dict:
        entry = (self.twin.state.get("web") or {}).get(url)
        if entry is None:
            raise NotSimulated(f"no web content for {url} (add it to the profile's web:)")
        return entry

    def get(self, url: str) -> Response:
        path = local_path(url)
        if path is not None:
            if not self.twin.files.exists(path) or self.twin.files.is_dir(path):
                raise WebError(f"Could not find file '{path}'.")
            entry = self.twin.files.get(path)
            return Response(200, self.twin.files.read(path), float(entry.get("mtime", 0)))
        entry = self.entry(url)
        status = int(entry.get("status_code", 200))
        if "path_on_controller" in entry:
            source = REPO / entry["path_on_controller"]
            if not source.is_file():
                raise NotSimulated(f"web content for {url}: no file {entry['path_on_controller']} in the repository")
            body = source.read_bytes()
        else:
            body = str(entry.get("content", "")).encode("utf-8")
        last = entry.get("last_modified")
        return Response(status, body, None if last is None else float(last))
