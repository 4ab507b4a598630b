# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Progress lines for long waits and transfers, at a pace a person can read.

A handoff wait polls every poll_seconds (30 s on a real estate, 0.5 s in the lab) and a transfer reads a chunk
at a time: one line per poll or per chunk would bury the output. WaitSchedule spaces the lines of a wait at a
growing interval (twice the poll, then doubling, at most MAX_WAIT_INTERVAL apart); TransferProgress shows a
transfer at most every MIN_TRANSFER_SECONDS, and only once it has moved on by a tenth of the total or
MAX_TRANSFER_SECONDS have passed. Pure: the callers pass the clock and print the lines through Ansible's Display.
"""

from __future__ import annotations

import time
from collections.abc import Callable

MAX_WAIT_INTERVAL = 300.0  # seconds: a wait of hours still shows a line every 5 min
MIN_TRANSFER_SECONDS = 2.0
MAX_TRANSFER_SECONDS = 30.0
TRANSFER_STEP = 0.1  # a tenth of the total


def duration(seconds: float) -> str:
    """45 s, 2 min 05 s, 1 h 02 min."""
    whole = int(round(max(0.0, seconds)))
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def size(count: int) -> str:
    """Bytes in binary units: 512 B, 3.4 KiB, 12.0 MiB, 1.20 GiB."""
    if count < 1024:
        return f"{count} B"
    for unit, scale in (("KiB", 1024), ("MiB", 1024 ** 2)):
        if count < scale * 1024:
            return f"{count / scale:.1f} {unit}"
    return f"{count / 1024 ** 3:.2f} GiB"


class WaitSchedule:
    """When a wait shows its next line: first after twice the poll, then at doubling intervals up to
    MAX_WAIT_INTERVAL (0.5 s polls: at 1, 3, 7, 15, 31 s ...; 30 s polls: at 1, 3, 7, 12 min ...)."""

    def __init__(self, poll_seconds: float, max_interval: float = MAX_WAIT_INTERVAL):
        self.interval = min(max(2 * poll_seconds, 1.0), max_interval)
        self.max_interval = max_interval
        self.next_at = self.interval

    def due(self, waited: float) -> bool:
        if waited < self.next_at:
            return False
        while self.next_at <= waited:  # a long probe may skip marks: one line, then the next mark ahead
            self.interval = min(self.interval * 2, self.max_interval)
            self.next_at += self.interval
        return True


class TransferProgress:
    """Bytes of a transfer, shown at a readable pace; update() returns the text of a line when one is due."""

    def __init__(self, total: int, started: float, min_seconds: float = MIN_TRANSFER_SECONDS,
                 max_seconds: float = MAX_TRANSFER_SECONDS, step: float = TRANSFER_STEP):
        self.total, self.started = max(0, total), started
        self.min_seconds, self.max_seconds, self.step = min_seconds, max_seconds, step
        self.shown_at, self.shown_bytes = started, 0
        self.finished = False

    def update(self, done: int, now: float) -> str | None:
        if self.finished:
            return None
        final = done >= self.total
        since = now - self.shown_at
        if not final and (since < self.min_seconds
                          or (done - self.shown_bytes < self.step * self.total and since < self.max_seconds)):
            return None
        self.shown_at, self.shown_bytes, self.finished = now, done, final
        return self.line(done, now)

    def line(self, done: int, now: float) -> str:
        percent = 100 * done // self.total if self.total else 100
        elapsed = now - self.started
        rate = f", {size(int(done / elapsed))}/s" if elapsed >= 1 and done else ""
        return f"{size(done)} of {size(self.total)} ({percent}%) in {duration(elapsed)}{rate}"


def transfer_reporter(show: Callable[[str], None], label: str, total: int,
                      clock: Callable[[], float] = time.monotonic) -> Callable[[int], None]:
    """A progress callback (bytes so far) that passes the due lines, prefixed with `label`, to `show`."""
    tracker = TransferProgress(total, clock())

    def report(done: int) -> None:
        line = tracker.update(done, clock())
        if line:
            show(f"{label} {line}")
    return report


def fetch_reporter(show: Callable[[str], None], label: str, files: list[dict], destination: str,
                   clock: Callable[[], float] = time.monotonic) -> Callable[[int], None]:
    """Say what a chunked fetch reads ({name, size} files) and where to, then report its bytes as they come."""
    total = sum(f["size"] for f in files)
    show(f"{label}: fetching {len(files)} file(s), {size(total)}, to {destination}")
    return transfer_reporter(show, f"{label}: fetched", total, clock)
