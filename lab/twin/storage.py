"""Storage: the host's disk, its partitions and volumes, as the Storage cmdlets (Get-Disk, Get-Partition,
Get-Volume) show them.

The lab knows one disk per host: a GPT system disk holding a UEFI installation of Windows Server (EFI system
partition, Microsoft reserved partition, the Windows partition that is the system drive, a recovery partition).
The system drive's size and free space are the twin's (`disk:`, free space less what the twin's files take),
the same numbers Win32_LogicalDisk reports. Everything else is a placeholder of the lab's own, stable per host:
identifiers, the small partitions' sizes and the hardware strings (a Hyper-V virtual disk's). UNCONFIRMED:
partition order and sizes of a default install, and the hardware strings.
"""

from __future__ import annotations

import hashlib
import uuid

MIB = 1024 * 1024
# GPT partition types (the UEFI specification's and Microsoft's well-known GUIDs)
GPT_TYPES = {"System": "{c12a7328-f81f-11d2-ba4b-00a0c93ec93b}", "Reserved": "{e3c9e316-0b5c-4db8-817d-f92df00215ae}",
             "Basic": "{ebd0a0a2-b9e5-4433-87c0-68b6b72699c7}", "Recovery": "{de94bba4-06d1-4d40-a16a-bfd50179d6ac}"}
# (type, size in MiB, file system) of the partitions around the Windows partition
BEFORE = (("System", 100, "FAT32"), ("Reserved", 16, None))
AFTER = (("Recovery", 600, "NTFS"),)
LEADING_GAP = MIB  # partitions start 1 MiB into the disk
ALLOCATION_UNIT = {"NTFS": 4096, "FAT32": 4096}


class Storage:
    def __init__(self, twin):
        self.twin = twin

    def _guid(self, what: str) -> str:
        digest = hashlib.sha256(f"{self.twin.state['hostname']}/{what}".encode()).digest()
        return "{" + str(uuid.UUID(bytes=digest[:16])) + "}"

    def partitions(self) -> list[dict]:
        """The system disk's partitions in order, each with its volume (None for the reserved partition)."""
        disk = self.twin.state["disk"]
        layout = [(kind, size * MIB, fs) for kind, size, fs in BEFORE]
        layout.append(("Basic", int(disk["size_bytes"]), "NTFS"))
        layout += [(kind, size * MIB, fs) for kind, size, fs in AFTER]
        out, offset = [], LEADING_GAP
        for number, (kind, size, fs) in enumerate(layout, start=1):
            windows = kind == "Basic"
            volume_guid = self._guid(f"volume{number}")
            volume = None if fs is None else {
                "size": size, "size_remaining": self.twin.free_bytes if windows else size // 2,
                "file_system": fs, "label": "", "health_status": "Healthy", "drive_type": "Fixed",
                "path": f"\\\\?\\Volume{volume_guid}\\", "allocation_unit_size": ALLOCATION_UNIT[fs],
                "object_id": (f"{{1}}\\\\{self.twin.state['hostname']}\\root/Microsoft/Windows/Storage/"
                              f"Providers_v2\\WSP_Volume.ObjectId=\"{volume_guid}:VO:\\\\?\\Volume{volume_guid}\\\"")}
            letter = disk["system_drive"].upper() if windows else None
            out.append({
                "number": number, "type": kind, "size": size, "offset": offset, "drive_letter": letter,
                "hidden": kind in ("System", "Reserved", "Recovery"), "guid": self._guid(f"partition{number}"),
                "gpt_type": GPT_TYPES[kind], "no_default_driveletter": not windows,
                "access_paths": ([f"{letter}:\\"] if letter else []) + ([volume["path"]] if volume else []),
                "volume": volume})
            offset += size
        return out

    def disk(self) -> dict:
        parts = self.partitions()
        last = parts[-1]
        return {
            "number": 0, "size": last["offset"] + last["size"] + MIB, "partition_style": "GPT",
            "partition_count": len(parts), "bus_type": "SAS", "friendly_name": "Msft Virtual Disk",
            "operational_status": "Online", "sector_size": 4096, "read_only": False, "bootable": True,
            "system_disk": True, "clustered": False, "manufacturer": "Msft", "model": "Virtual Disk",
            "firmware_version": "1.0", "location": "Integrated : Adapter 0 : Port 0 : Target 0 : LUN 0",
            "serial_number": "", "unique_id": "60022480" + hashlib.sha256(
                self.twin.state["hostname"].encode()).hexdigest()[:24].upper(),
            "guid": self._guid("disk"),
            "path": "\\\\?\\scsi#disk&ven_msft&prod_virtual_disk#5&lab&0&000000#{53f56307-b6bf-11d0-94f2-00a0c91efb8b}",
            "partitions": parts,
        }
