"""Persistence of twins: one JSON file per host under .lab/state, locked while a command runs."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from pathlib import Path

from . import faults, power, winrm
from .blobs import BlobStore
from .host import Twin


class TwinStore:
    def __init__(self, state_dir: Path, profiles_dir: Path):
        self.state_dir = state_dir
        self.profiles_dir = profiles_dir
        # large file bodies (lab/twin/blobs.py), beside the state: one store per lab, as `prune_blobs` assumes
        self.blobs = BlobStore(state_dir.parent / "blobs")
        self._power_cache: dict[str, tuple[tuple[int, int], dict]] = {}
        self._fault_cache: dict[tuple[str, str], tuple[tuple[int, int], bool]] = {}

    def path(self, host: str) -> Path:
        return self.state_dir / f"{host}.json"

    def reset(self, host: str, profile: str, hostname: str | None = None) -> Twin:
        """Rebuild the host's twin from its profile (and its own computer name, when it shares the profile)."""
        return self.save(host, Twin.from_profile(host, profile, self.profiles_dir, hostname, self.blobs))

    def save(self, host: str, twin: Twin) -> Twin:
        """Store a twin as the host's state (a reset writes the profile's twin this way)."""
        with self._locked(host):
            self._write(host, twin)
        return twin

    def ensure(self, host: str, profile: str, hostname: str | None = None) -> None:
        if not self.path(host).exists():
            self.reset(host, profile, hostname)

    def load(self, host: str) -> Twin:
        return Twin.from_dict(json.loads(self.path(host).read_text()), self.blobs)

    @contextlib.contextmanager
    def session(self, host: str):
        """Load the twin, yield it, and write it back only if the command changed it."""
        with self._locked(host):
            twin = self.load(host)
            before = twin.canonical()
            yield twin
            if twin.canonical() != before:
                self._write(host, twin)

    def prune_blobs(self, hosts: list[str]) -> int:
        """Drop the stored bodies that none of these twins (every host of the lab) holds any more."""
        keep = {entry["blob"] for host in hosts if self.path(host).exists()
                for entry in self.load(host).files.data.values() if "blob" in entry}
        return self.blobs.prune(keep)

    def listener(self, host: str) -> dict:
        """The host's WinRM listener settings (read for every new connection, so a change applies at once)."""
        return winrm.listener(json.loads(self.path(host).read_text()))

    def availability(self, host: str) -> tuple[bool, int]:
        """(down, boot) of the host now (lab/twin/power.py), read for every request: cached by file version."""
        path = self.path(host)
        stat = path.stat()
        version = (stat.st_mtime_ns, stat.st_size)
        cached = self._power_cache.get(host)
        if cached is None or cached[0] != version:
            cached = (version, json.loads(path.read_text()).get("power") or {})
            self._power_cache[host] = cached
        return power.availability({"power": cached[1]})

    def fire_fault(self, host: str, where: str, names: list[str], text: str = "") -> dict | None:
        """The injected fault (lab/twin/faults.py) of `where` that fires for what the host is asked, counted in the
        host's state; None when none does. A host without armed faults is answered without taking its lock."""
        path = self.path(host)
        stat = path.stat()
        version = (stat.st_mtime_ns, stat.st_size)
        cached = self._fault_cache.get((host, where))
        if cached is None or cached[0] != version:
            state = json.loads(path.read_text())
            cached = (version, bool(faults.armed((state.get("faults") or {}).get("injected") or [], where)))
            self._fault_cache[(host, where)] = cached
        if not cached[1]:
            return None
        with self.session(host) as twin:
            return twin.faults.fire(where, names, text)

    def digest(self, hosts: list[str]) -> str:
        h = hashlib.sha256()
        for host in sorted(hosts):
            h.update(host.encode() + b"\0" + self.load(host).canonical().encode() + b"\0")
        return h.hexdigest()

    @contextlib.contextmanager
    def _locked(self, host: str):
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with open(self.state_dir / f".{host}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _write(self, host: str, twin: Twin) -> None:
        tmp = self.path(host).with_suffix(".tmp")
        tmp.write_text(json.dumps(twin.to_dict(), sort_keys=True, indent=1))
        os.replace(tmp, self.path(host))
