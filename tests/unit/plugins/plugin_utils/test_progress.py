"""Progress lines of long waits and transfers (plugins/plugin_utils/_progress.py): readable units, and a pace
that never follows the poll or the chunk (the lab polls every 0.5 s)."""

from __future__ import annotations

import base64
import importlib
import sys
from pathlib import Path

import pytest

from plugins.plugin_utils import _progress

COLLECTIONS = Path(__file__).resolve().parents[4] / ".ansible" / "collections"


@pytest.mark.parametrize(("seconds", "text"), [(0, "0 s"), (44.6, "45 s"), (125, "2 min 05 s"),
                                               (3600 + 125, "1 h 02 min"), (-3, "0 s")])
def test_duration(seconds, text):
    assert _progress.duration(seconds) == text


@pytest.mark.parametrize(("count", "text"), [(0, "0 B"), (1023, "1023 B"), (3482, "3.4 KiB"),
                                             (12 * 1024 ** 2, "12.0 MiB"), (int(1.2 * 1024 ** 3), "1.20 GiB")])
def test_size(count, text):
    assert _progress.size(count) == text


def shown_at(schedule: _progress.WaitSchedule, poll: float, until: float) -> list[float]:
    marks, waited = [], 0.0
    while waited < until:
        waited += poll
        if schedule.due(waited):
            marks.append(round(waited, 1))
    return marks


def test_a_lab_wait_shows_lines_at_a_growing_interval_not_every_poll():
    marks = shown_at(_progress.WaitSchedule(0.5), 0.5, 100)
    assert marks == [1.0, 3.0, 7.0, 15.0, 31.0, 63.0], "1 s, then doubling: 6 lines in 100 s of 200 polls"


def test_a_real_wait_shows_a_line_at_least_every_five_minutes():
    marks = shown_at(_progress.WaitSchedule(30), 30, 4 * 3600)
    assert marks[:3] == [60, 180, 420]
    gaps = [b - a for a, b in zip(marks, marks[1:], strict=False)]
    assert max(gaps) == 300 and len(marks) < 60


def test_a_probe_that_takes_long_skips_marks_and_shows_one_line():
    schedule = _progress.WaitSchedule(0.5)
    assert schedule.due(40) and not schedule.due(40.5)
    assert schedule.next_at > 40


def test_a_transfer_shows_every_tenth_at_most_every_two_seconds_and_always_its_end():
    total = 1000
    tracker = _progress.TransferProgress(total, started=0.0)
    lines = [(t, tracker.update(done, float(t))) for t, done in
             [(1, 500), (2, 520), (3, 560), (4, 640), (5, 650), (6, 1000), (7, 1000)]]
    shown = [(t, line) for t, line in lines if line]
    assert [t for t, _ in shown] == [2, 4, 6], "not before 2 s, not for less than a tenth, the end once"
    assert shown[-1][1] == "1000 B of 1000 B (100%) in 6 s, 166 B/s"


def test_a_slow_transfer_still_shows_a_line_every_thirty_seconds():
    tracker = _progress.TransferProgress(10 ** 9, started=0.0)
    assert tracker.update(10, 29.0) is None
    assert tracker.update(20, 30.0).startswith("20 B of 953.7 MiB (0%) in 30 s")


def test_the_reporter_prefixes_the_lines_it_shows():
    shown, now = [], iter([0.0, 5.0, 6.0])
    report = _progress.transfer_reporter(shown.append, "web01: backup: fetched", 2048, clock=lambda: next(now))
    report(1024)
    report(2048)
    assert shown == ["web01: backup: fetched 1.0 KiB of 2.0 KiB (50%) in 5 s, 204 B/s",
                     "web01: backup: fetched 2.0 KiB of 2.0 KiB (100%) in 6 s, 341 B/s"]



def test_the_fetch_reporter_says_what_it_reads_and_where_then_its_bytes():
    shown, now = [], iter([0.0, 6.0])
    files = [{"name": "a.bak", "size": 1536}, {"name": "b.xml", "size": 512}]
    report = _progress.fetch_reporter(shown.append, "web01: settings", files, "the controller",
                                      clock=lambda: next(now))
    report(2048)
    assert shown == ["web01: settings: fetching 2 file(s), 2.0 KiB, to the controller",
                     "web01: settings: fetched 2.0 KiB of 2.0 KiB (100%) in 6 s, 341 B/s"]

@pytest.fixture
def chunked_fetch(monkeypatch):
    # it imports its neighbours by their collection name, as Ansible loads it
    monkeypatch.syspath_prepend(str(COLLECTIONS))
    yield importlib.import_module("ansible_collections.entra.sync_upgrade.plugins.plugin_utils._chunked_fetch")
    for name in [name for name in sys.modules if name.startswith("ansible_collections.entra")]:
        del sys.modules[name]


def test_the_chunked_fetch_reports_the_bytes_after_each_chunk(tmp_path, chunked_fetch):
    files = [{"name": "a.bin", "size": 5}, {"name": "b.bin", "size": 3}]
    content = {"a.bin": b"12345", "b.bin": b"xyz"}

    def remote(script, request):
        return {"segments": [{"name": s["name"], "offset": s["offset"], "data": base64.b64encode(
            content[s["name"]][s["offset"]:s["offset"] + s["length"]]).decode()} for s in request["segments"]]}

    seen: list[int] = []
    done = chunked_fetch.fetch(remote, "C:\\staging", tmp_path, files, 4, seen.append)
    assert seen == [4, 8], "after each request: 4 bytes of a.bin, then a.bin's last byte with b.bin"
    assert {name: size for name, (_, size) in done.items()} == {"a.bin": 5, "b.bin": 3}
