"""The autopilot: an operator that watches every host's public desktop and does each note's step by itself.

On (`python -m lab autopilot on [--delay SECONDS]`), the running lab server looks at the twins' desktops about
every POLL seconds and performs a note's step `delay` seconds after it first saw the note (default 3 s), once
per note (host, step, Issued), through the same Operator as `python -m lab operator`; a note an operator
already acted on (the log says so) is left alone. It reads a twin again only when its state file changed, and
holds a twin's lock only while the operator changes it. Off by default after `lab up`.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path

from .operator import Operator, OperatorError
from .twin.filesystem import FileSystem
from .twin.handoffnote import Note, notes_on

POLL = 0.5
DEFAULT_DELAY = 3.0
log = logging.getLogger("lab.autopilot")


def read_state(path: Path) -> dict:
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        state = {}
    return {"enabled": bool(state.get("enabled")), "delay": float(state.get("delay", DEFAULT_DELAY))}


def write_state(path: Path, enabled: bool, delay: float = DEFAULT_DELAY) -> dict:
    if delay < 0:
        raise ValueError("the delay cannot be negative")
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {"enabled": bool(enabled), "delay": float(delay)}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state))
    tmp.replace(path)
    return state


class Autopilot:
    def __init__(self, operator: Operator, hosts: list[str], state_path: Path):
        self.operator = operator
        self.hosts = hosts
        self.state_path = state_path
        self._seen: dict[tuple[str, str, str], float] = {}  # note -> when it was first seen
        self._cache: dict[str, tuple[tuple[int, int], list[Note]]] = {}

    def run(self, stop: threading.Event) -> None:
        while not stop.wait(POLL):
            try:
                self.tick(time.monotonic())
            except Exception:  # the lab keeps serving whatever one pass met
                log.exception("autopilot pass failed")

    def tick(self, now: float) -> list[dict]:
        """One look at every desktop; returns what it did."""
        state = read_state(self.state_path)
        if not state["enabled"]:
            self._seen.clear()
            return []
        done, acted = self.operator.done(), []
        for host in self.hosts:
            for note in self._notes(host):
                key = (host, note.step, note.issued)
                if key in done:
                    continue
                first = self._seen.setdefault(key, now)
                if now - first < state["delay"]:
                    continue
                try:
                    acted.append(self.operator.perform(host, note.step, source="autopilot"))
                except OperatorError as exc:
                    log.warning("%s", exc)
                    acted.append({"host": host, "step": note.step, "ok": False, "message": str(exc)})
                done.add(key)
        return acted

    def _notes(self, host: str) -> list[Note]:
        """The host's notes, read from its state file only when the file changed."""
        path = self.operator.store.path(host)
        try:
            stat = path.stat()
        except FileNotFoundError:
            return []
        version = (stat.st_mtime_ns, stat.st_size)
        cached = self._cache.get(host)
        if cached is None or cached[0] != version:
            try:
                files = json.loads(path.read_text()).get("files") or {}
            except ValueError:  # caught mid-replace: next pass
                return []
            cached = (version, notes_on(FileSystem(files, self.operator.store.blobs)))
            self._cache[host] = cached
        return cached[1]
