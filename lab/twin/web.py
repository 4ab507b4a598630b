"""What the host reaches with a web request: the profile's `web:` map, the lab's download server over real
HTTP, and, for file URIs and local paths (which .NET's Uri turns into file URIs), the host's own files.

A `web:` entry serves `content` (text, UTF-8) or a file of the repository (`path_on_controller`), with an
optional `status_code` and `last_modified` (epoch seconds). An http URL on loopback (127.0.0.0/8, localhost) is
fetched for real from whatever listens there: the lab's download server (lab/downloads), so a download costs
what it costs. Through a proxy (win_get_url's proxy_url, itself on loopback) a `*.lab.test` name is reached too;
as .NET's WebProxy does with BypassProxyOnLocal, loopback and dotless names skip the proxy. Anything else is not
simulated: the lab never reaches the network.

The host's faults (`faults:` in its state, set by tests) travel to the server as headers, standing in for the
network between them: `download_cut_after_bytes` makes the server close the connection after that many bytes.
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import re
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .errors import NotSimulated

REPO = Path(__file__).resolve().parents[2]


class WebError(Exception):
    """A WebException: its message."""


class TransferCut(WebError):
    """The connection closed before the body was complete: the IOException the response stream's reader gets."""

    def __init__(self):
        super().__init__("Unable to read data from the transport connection: The connection was closed.")


@dataclass(frozen=True)
class Proxy:
    url: str
    username: str | None = None
    password: str | None = None


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

    def get(self, url: str, proxy: Proxy | None = None, method: str = "GET", timeout: float = 30) -> Response:
        """The response to a request from this host; WebError as .NET's WebRequest fails."""
        path = local_path(url)
        if path is not None:
            if not self.twin.files.exists(path) or self.twin.files.is_dir(path):
                raise WebError(f"Could not find file '{path}'.")
            entry = self.twin.files.get(path)
            return Response(200, self.twin.files.read(path), float(entry.get("mtime", 0)))
        if url not in (self.twin.state.get("web") or {}) and urlsplit(url).scheme.lower() == "http":
            return self._over_http(url, proxy, method, timeout)
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

    def _over_http(self, url: str, proxy: Proxy | None, method: str, timeout: float) -> Response:
        parts = urlsplit(url)
        name = (parts.hostname or "").lower()
        if proxy is not None and not _bypassed(name):
            target = urlsplit(proxy.url if "://" in proxy.url else "http://" + proxy.url)
            if target.scheme.lower() != "http" or not _loopback(target.hostname or ""):
                raise NotSimulated(f"proxy {proxy.url}: the lab has only its own proxy, on loopback")
            if not name.endswith(".lab.test"):
                raise NotSimulated(f"web request to {url} through a proxy: the lab serves only *.lab.test names")
            address, request_target = (target.hostname, target.port or 80), url
        elif _loopback(name):
            address, request_target = (name, parts.port or 80), (parts.path or "/") + (
                "?" + parts.query if parts.query else "")
        else:
            raise NotSimulated(f"web request to {url}: the lab never reaches the network (only loopback)")
        headers = {"Host": parts.netloc, "User-Agent": "ansible-httpget", "X-Lab-Host": self.twin.name}
        cut = (self.twin.state.get("faults") or {}).get("download_cut_after_bytes")
        if cut is not None:
            headers["X-Lab-Cut-After"] = str(int(cut))
        response = self._send(address, method, request_target, headers, timeout)
        if response[0] == 407 and proxy is not None and proxy.username:  # .NET answers the challenge once
            token = base64.b64encode(f"{proxy.username}:{proxy.password or ''}".encode()).decode()
            response = self._send(address, method, request_target, {**headers, "Proxy-Authorization": "Basic " + token},
                                  timeout)
        return Response(*response)

    @staticmethod
    def _send(address, method, target, headers, timeout) -> tuple[int, bytes, float | None]:
        connection = http.client.HTTPConnection(*address, timeout=timeout)
        try:
            try:
                connection.request(method, target, headers=headers)
                reply = connection.getresponse()
            except TimeoutError:
                raise WebError("The operation has timed out") from None
            except OSError:  # refused, reset: nothing answered as an HTTP server
                raise WebError("Unable to connect to the remote server") from None
            try:
                body = reply.read() if method != "HEAD" else b""
            except (http.client.IncompleteRead, ConnectionError):
                raise TransferCut() from None
            modified = reply.getheader("Last-Modified")
            return reply.status, body, None if modified is None else _http_date(modified)
        finally:
            connection.close()


def _loopback(name: str) -> bool:
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _bypassed(name: str) -> bool:
    """WebProxy(url, BypassProxyOnLocal: true), as win_get_url builds it: local names go direct."""
    return _loopback(name) or "." not in name


def _http_date(text: str) -> float:
    return parsedate_to_datetime(text).timestamp()
