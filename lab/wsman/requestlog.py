"""Per-host request log (.lab/log/<host>.jsonl): what tests and benchmarks read to count round trips."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path


class RequestLog:
    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, **entry) -> None:
        entry = {"ts": round(time.time(), 6), **entry}
        line = json.dumps(entry, sort_keys=True) + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write(line)


def read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
