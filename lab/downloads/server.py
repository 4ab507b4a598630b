"""A real HTTP server on loopback: the lab's download server, and the proxy that leads to it.

Hosts reach it through their web model (lab/twin/web.py), which speaks real HTTP to it, so a download moves real
bytes. A request in proxy form (`GET http://name/path`) is answered as an authenticating proxy would: 407 until
it carries the lab account's Basic credentials, then the same content, for loopback or `*.lab.test` names.

Faults, asked for by the requesting host's twin (its web model forwards them as headers, standing in for the
network between the host and this server): `X-Lab-Cut-After: N` sends the full headers, N body bytes, then
closes the connection. Every request is logged to .lab/log/downloads.jsonl (path, status, bytes sent, host).
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from .catalog import Catalog

log = logging.getLogger("lab.downloads")

LAST_MODIFIED = formatdate(1767225600.0, usegmt=True)  # the lab's profile time: the content never changes
CHUNK = 1024 * 1024
LAB_DOMAIN = ".lab.test"


class DownloadHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "lab-downloads"

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self._answer(send_body=True)

    def do_HEAD(self):  # noqa: N802
        self._answer(send_body=False)

    def _answer(self, send_body: bool) -> None:
        entry = {"method": self.command, "target": self.path, "host": self.headers.get("X-Lab-Host"),
                 "via_proxy": False, "bytes": 0}
        path = self.path
        if "://" in self.path:  # proxy form
            entry["via_proxy"] = True
            user = self._proxy_user()
            entry["proxy_user"] = user
            if user is None:
                self._status(407, entry, {"Proxy-Authenticate": 'Basic realm="lab proxy"'})
                return
            parts = urlsplit(self.path)
            name = (parts.hostname or "").lower()
            if not (name in ("127.0.0.1", "localhost") or name.endswith(LAB_DOMAIN)):
                self._status(502, entry)
                return
            path = parts.path or "/"
        source = self.server.catalog.file_for(path)
        if source is None:
            self._status(404, entry)
            return
        size = source.stat().st_size
        cut = self.headers.get("X-Lab-Cut-After")
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.send_header("Last-Modified", LAST_MODIFIED)
        self.send_header("Connection", "close")
        self.end_headers()
        entry["status"] = 200
        if send_body:
            limit = size if cut is None else min(size, int(cut))
            entry["bytes"] = self._send_file(source, limit)
            entry["cut"] = limit < size
        self.close_connection = True
        self.server.log(entry)

    def _send_file(self, source: Path, limit: int) -> int:
        sent = 0
        with source.open("rb") as fh:
            while sent < limit:
                chunk = fh.read(min(CHUNK, limit - sent))
                if not chunk:
                    break
                try:
                    self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    break
                sent += len(chunk)
        self.wfile.flush()
        return sent

    def _proxy_user(self) -> str | None:
        value = self.headers.get("Proxy-Authorization", "")
        if not value.lower().startswith("basic "):
            return None
        try:
            user, _, password = base64.b64decode(value[6:]).decode("latin-1").partition(":")
        except ValueError:
            return None
        username, expected = self.server.proxy_credentials
        ok = hmac.compare_digest(user.split("\\")[-1].lower(), username.lower()) and hmac.compare_digest(
            password, expected)
        return user if ok else None

    def _status(self, code: int, entry: dict, headers: dict | None = None) -> None:
        body = f"{code} {self.responses.get(code, ('',))[0]}\r\n".encode()
        self.send_response(code)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.close_connection = True
        self.server.log({**entry, "status": code})

    def log_message(self, fmt, *args):
        log.debug(fmt, *args)


class DownloadServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], cache_dir: Path, log_path: Path, proxy_credentials: tuple[str, str]):
        self.catalog = Catalog(cache_dir)
        self.log_path = Path(log_path)
        self.proxy_credentials = proxy_credentials
        self._lock = threading.Lock()
        super().__init__(address, DownloadHandler)

    def log(self, entry: dict) -> None:
        line = json.dumps({"ts": round(time.time(), 6), **entry}, sort_keys=True) + "\n"
        with self._lock:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with self.log_path.open("a", encoding="utf-8") as fh:
                fh.write(line)
