# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fetching a staged server folder to the controller in chunks, through powershell/backup-read.ps1.

Shared by sync_backup and sync_settings: Ansible's fetch needs PowerShell 5.1, which legacy sync servers lack,
so files travel base64-encoded in the reader's JSON answers; small files share a chunk. A file is open on the
controller only while its bytes arrive, owner-only (_backup_store.FileSink), and hashed as it is written.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

from ansible_collections.entra.sync_upgrade.plugins.plugin_utils import _backup_store as store


class FetchFailed(Exception):
    """The reader failed or answered something else than was asked (the message says which)."""


def fetch(remote: Callable[[str, dict], dict], folder: str, local: Path, files: list[dict],
          chunk: int, progress: Callable[[int], None] | None = None) -> dict[str, tuple[str, int]]:
    """Read `files` ({name, size}, names relative to the server's `folder`) into `local`; returns name ->
    (SHA-256 of the bytes written, bytes). `remote(script, request)` runs a project script and returns its
    document; `progress(bytes so far)` is called after each chunk (the caller decides what to show)."""
    open_sinks: dict[str, store.FileSink] = {}
    done: dict[str, tuple[str, int]] = {}
    batch: list[tuple[str, int, int, bool]] = []  # (name, offset, length, the file's last range)
    batched = received = 0

    def read(pending: list) -> None:
        nonlocal received
        _read_batch(remote, folder, local, pending, open_sinks, done)
        received += sum(length for _, _, length, _ in pending)
        if progress:
            progress(received)

    try:
        for f in files:
            if f["size"] == 0:
                done[f["name"]] = (store.FileSink(local, f["name"]).close(), 0)
            for offset in range(0, f["size"], chunk):
                length = min(chunk, f["size"] - offset)
                if batch and batched + length > chunk:
                    read(batch)
                    batch, batched = [], 0
                batch.append((f["name"], offset, length, offset + length == f["size"]))
                batched += length
        if batch:
            read(batch)
    finally:
        for sink in open_sinks.values():  # a failed read leaves them open
            sink.close()
    return done


def _read_batch(remote, folder: str, local: Path, batch: list, open_sinks: dict, done: dict) -> None:
    doc = remote("backup-read", {"folder": folder, "segments": [
        {"name": n, "offset": o, "length": ln} for n, o, ln, _ in batch]})
    if doc.get("error"):
        raise FetchFailed(f"reading the staged files failed: {doc['error']}")
    answered = doc.get("segments") or []
    if [(s.get("name"), s.get("offset")) for s in answered] != [(n, o) for n, o, _, _ in batch]:
        raise FetchFailed("the reader answered other ranges than were asked")
    for (name, _, _, last), segment in zip(batch, answered, strict=True):
        sink = open_sinks.get(name) or open_sinks.setdefault(name, store.FileSink(local, name))
        sink.write(base64.b64decode(segment.get("data") or ""))
        if last:
            done[name] = (open_sinks.pop(name).close(), sink.size)
