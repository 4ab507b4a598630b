"""WMI on the twin: the classes Windows derives from the host's state, the ones a profile declares, and the
modeled rule for the rest (a product's namespace that is not there is "Invalid namespace"; an unknown class in a
namespace the lab only partly models is not simulated)."""

from __future__ import annotations

from .errors import NotSimulated

CIMV2 = "root\\cimv2"
DOMAIN_ROLES = {"standalone_workstation": 0, "member_workstation": 1, "standalone_server": 2,
                "member_server": 3, "backup_domain_controller": 4, "primary_domain_controller": 5}


class Wmi:
    def __init__(self, twin):
        self.twin = twin

    def _derived(self) -> dict:
        twin, s = self.twin, self.twin.state
        return {
            "win32_operatingsystem": lambda: [{
                "Caption": s["os"]["caption"], "Version": s["os"]["version"], "BuildNumber": str(s["os"]["build"]),
                "CSName": s["hostname"], "OSArchitecture": "64-bit",
                "ProductType": 2 if "controller" in s["domain_role"] else 3,
                "OperatingSystemSKU": s["os"].get("sku", 7), "LastBootUpTime": twin.power.last_boot_dmtf(),
            }],
            "win32_computersystem": lambda: [{
                "Name": s["hostname"], "Domain": s["domain"], "DomainRole": DOMAIN_ROLES[s["domain_role"]],
                "PartOfDomain": s["domain_role"] not in ("standalone_server", "standalone_workstation"),
                "TotalPhysicalMemory": int(s["os"].get("memory_bytes", 16 * 2**30)),
            }],
            "win32_logicaldisk": lambda: [{
                "DeviceID": s["disk"]["system_drive"] + ":", "DriveType": 3, "FileSystem": "NTFS",
                "Size": int(s["disk"]["size_bytes"]), "FreeSpace": twin.free_bytes,
            }],
        }

    def instances(self, namespace: str, class_name: str) -> list[dict] | None:
        """The class's instances in the namespace; None when the twin knows the namespace or class is not there
        (WMI's "Invalid namespace" / "Invalid class"); NotSimulated when it cannot know."""
        ns, cls = namespace.lower(), class_name.lower()
        if ns == CIMV2 and cls in self._derived():
            return self._derived()[cls]()
        declared = {name.lower(): list(items or []) for name, items in (self.twin.state.get("wmi") or {}).items()}
        found = [i for i in declared.get(cls, []) if str(i.get("__NAMESPACE", CIMV2)).lower() == ns]
        if found:
            return found
        modeled = {str(n).lower() for n in self.twin.state.get("modeled_wmi") or []}
        if ns in modeled:  # a product's namespace: only the classes a profile declares are there
            return None
        raise NotSimulated(f"WMI class {class_name} in {namespace}")
