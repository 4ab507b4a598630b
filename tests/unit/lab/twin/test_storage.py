"""The system disk (lab/twin/storage.py): the system drive is the twin's disk, the rest is stable placeholder."""

from __future__ import annotations

from lab.twin.storage import GPT_TYPES, MIB
from tests.twins import build_twin


def test_the_system_drive_is_the_twins_disk_and_free_space():
    twin = build_twin({"hostname": "S", "disk": {"size_bytes": 100 * 2**30, "free_bytes": 40 * 2**30}})
    disk = twin.storage.disk()
    system = next(p for p in disk["partitions"] if p["drive_letter"] == "C")
    assert system["volume"]["size"] == 100 * 2**30 and system["volume"]["size_remaining"] == twin.free_bytes
    twin.files.write(r"C:\ProgramData\LabBig\file.bin", None, size=2**30)
    assert twin.storage.disk()["partitions"][2]["volume"]["size_remaining"] == system["volume"]["size_remaining"] - 2**30
    assert [p["gpt_type"] for p in disk["partitions"]] == [GPT_TYPES[k] for k in ("System", "Reserved", "Basic",
                                                                                  "Recovery")]
    offsets = [(p["offset"], p["size"]) for p in disk["partitions"]]
    assert all(a + size == b for (a, size), (b, _) in zip(offsets, offsets[1:], strict=False))
    assert disk["size"] == offsets[-1][0] + offsets[-1][1] + MIB


def test_identifiers_are_stable_per_host():
    one, again = build_twin({"hostname": "S"}).storage.disk(), build_twin({"hostname": "S"}).storage.disk()
    other = build_twin({"hostname": "T"}).storage.disk()
    assert one["guid"] == again["guid"] != other["guid"]
