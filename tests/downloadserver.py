"""A lab download server on an ephemeral loopback port, for tests that need real HTTP without the whole lab."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from pathlib import Path

from lab.downloads.server import DownloadServer

PROXY_CREDENTIALS = ("labadmin", "Lab-Only-Passw0rd")


@contextlib.contextmanager
def running(tmp_path: Path):
    server = DownloadServer(("127.0.0.1", 0), tmp_path / "cache", tmp_path / "downloads.jsonl", PROXY_CREDENTIALS)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def log(server: DownloadServer, at_least: int = 0) -> list[dict]:
    """The server's request log, once it has `at_least` entries (it writes an entry after the last byte)."""
    deadline = time.monotonic() + 5
    while True:
        lines = server.log_path.read_text().splitlines() if server.log_path.exists() else []
        if len(lines) >= at_least or time.monotonic() > deadline:
            return [json.loads(line) for line in lines]
        time.sleep(0.01)


def base_url(server: DownloadServer) -> str:
    return f"http://127.0.0.1:{server.server_port}"
