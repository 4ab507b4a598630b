"""The machine under Windows: firmware (SMBIOS), processors, memory, network adapters and the clock's time zone,
as a profile's `machine:` declares them (the base layer: a typical Hyper-V VM). Only Ansible's setup facts read
them; a twin built before the lab modeled the machine has none, and every lookup is then not simulated."""

from __future__ import annotations

from .errors import NotSimulated

SECTIONS = ("bios", "processor", "memory", "network", "time_zone")


def check(spec: dict) -> dict:
    """The profile's `machine:` mapping, or ValueError naming what is wrong."""
    unknown = set(spec) - set(SECTIONS)
    if unknown:
        raise ValueError(f"machine: unknown sections {sorted(unknown)}")
    return spec


class Machine:
    def __init__(self, twin):
        self.twin = twin

    def _section(self, name: str):
        found = (self.twin.state.get("machine") or {}).get(name)
        if found is None:
            raise NotSimulated(f"the machine's {name.replace('_', ' ')} (no machine.{name} in the profile)")
        return found

    @property
    def bios(self) -> dict:
        """SMBIOS: manufacturer, model, version, release_date (YYYY-MM-DD), serial, uuid."""
        return self._section("bios")

    @property
    def processor(self) -> dict:
        """sockets, cores (per socket), threads_per_core."""
        return self._section("processor")

    @property
    def logical_processors(self) -> int:
        p = self.processor
        return int(p["sockets"]) * int(p["cores"]) * int(p["threads_per_core"])

    @property
    def memory(self) -> dict:
        """in_use_bytes, pagefile_bytes, pagefile_free_bytes (the total is os.memory_bytes)."""
        return self._section("memory")

    @property
    def adapters(self) -> list[dict]:
        """Network adapters as NetworkInterface reports them (loopback and tunnels are not listed)."""
        return list(self._section("network"))

    @property
    def time_zone(self) -> dict:
        """id (TimeZoneInfo.Local.Id) and offset_minutes from UTC (no daylight saving modeled)."""
        return self._section("time_zone")
