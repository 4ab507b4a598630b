"""One simulated Windows host: the state a real server keeps, built from a profile."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import yaml

from .filesystem import FileSystem
from .registry import Registry
from .services import Services

PS_ENGINE_KEYS = (
    r"HKLM\SOFTWARE\Microsoft\PowerShell\3\PowerShellEngine",
    r"HKLM\SOFTWARE\Microsoft\PowerShell\1\PowerShellEngine",
)
DOMAIN_ROLES = {"standalone_workstation": 0, "member_workstation": 1, "standalone_server": 2,
                "member_server": 3, "backup_domain_controller": 4, "primary_domain_controller": 5}


STANDARD_DIRS = ("%SystemRoot%\\System32", "%ProgramFiles%", "%ProgramFiles(x86)%", "%ProgramData%", "%TEMP%",
                 "%SystemRoot%\\Temp")


class ProfileError(ValueError):
    pass


def deep_merge(base: dict, extra: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def load_profile(name: str, profiles_dir: Path, _seen: tuple = ()) -> dict:
    """Read lab/profiles/<name>.yml, merging the fragments it `extends` first (later ones win)."""
    if name in _seen:
        raise ProfileError(f"profile cycle: {' -> '.join(_seen + (name,))}")
    path = profiles_dir / f"{name}.yml"
    if not path.is_file():
        raise ProfileError(f"no profile {path}")
    data = yaml.safe_load(path.read_text()) or {}
    merged: dict = {}
    for parent in data.pop("extends", []) or []:
        merged = deep_merge(merged, load_profile(parent, profiles_dir, _seen + (name,)))
    return deep_merge(merged, data)


def _registry_value(value) -> tuple[str, object]:
    if isinstance(value, dict):
        return value["type"], value.get("data")
    if isinstance(value, bool):
        return "dword", int(value)
    if isinstance(value, int):
        return "dword", value
    if isinstance(value, list):
        return "multistring", [str(v) for v in value]
    return "string", "" if value is None else str(value)


class Twin:
    """The persistent state of one host. `to_dict()` is what the lab stores and snapshots."""

    def __init__(self, state: dict):
        self.state = state
        self.registry = Registry(state.setdefault("registry", {}))
        self.files = FileSystem(state.setdefault("files", {}))
        self.services = Services(state.setdefault("services", {}))

    # construction -------------------------------------------------------------------------
    @classmethod
    def from_profile(cls, host: str, profile: str, profiles_dir: Path) -> Twin:
        spec = load_profile(profile, profiles_dir)
        unknown = set(spec) - {"description", "hostname", "domain", "domain_role", "os", "disk", "registry",
                               "services", "files", "wmi", "sql", "sync", "web", "installers", "users"}
        if unknown:
            raise ProfileError(f"profile {profile}: unknown keys {sorted(unknown)}")
        os_ = spec.get("os") or {}
        for key in ("caption", "version", "build", "edition", "installation_type"):
            if key not in os_:
                raise ProfileError(f"profile {profile}: os.{key} is required")
        twin = cls({
            "host": host,
            "profile": profile,
            "description": spec.get("description", ""),
            "hostname": spec.get("hostname", host.upper()[:15]),
            "domain": spec.get("domain", "WORKGROUP"),
            "domain_role": spec.get("domain_role", "member_server"),
            "os": os_,
            "disk": {"system_drive": "C", "size_bytes": 127 * 2**30, "free_bytes": 60 * 2**30,
                     **(spec.get("disk") or {})},
            "wmi": spec.get("wmi") or {},
            "sql": spec.get("sql") or {},
            "sync": spec.get("sync") or {},
            "web": spec.get("web") or {},
            "installers": spec.get("installers") or {},
            "boot_count": 0,
        })
        if twin.state["domain_role"] not in DOMAIN_ROLES:
            raise ProfileError(f"profile {profile}: domain_role must be one of {sorted(DOMAIN_ROLES)}")
        for path in STANDARD_DIRS:  # what every Windows install has; Ansible's temp dirs go under TEMP
            twin.files.mkdir(twin.expand_env(path))
        twin.apply(spec)
        if twin.powershell_version is None:
            raise ProfileError(f"profile {profile}: no PowerShellEngine registry key, so no PowerShell version")
        return twin

    def apply(self, fragment: dict) -> None:
        """Write the registry keys, services and files a profile-style fragment declares (profiles, installers)."""
        for key, values in (fragment.get("registry") or {}).items():
            self.registry.create_key(key)
            for name, value in (values or {}).items():
                vtype, data = _registry_value(value)
                self.registry.set_value(key, "" if name == "(default)" else name, vtype, data)
        for name, svc in (fragment.get("services") or {}).items():
            self.services.add(name, **(svc or {}))
        for path, f in (fragment.get("files") or {}).items():
            f = f or {}
            if f.get("type") == "dir":
                self.files.mkdir(path)
            elif "content" in f:
                self.files.write(path, str(f["content"]).encode("utf-8"), version=f.get("version"))
            else:  # a placeholder of known size: the lab never needs its bytes
                self.files.write(path, b"", version=f.get("version"))
                entry = self.files.get(path)
                entry.pop("content_b64")
                entry["size"] = int(f.get("size", 0))

    @classmethod
    def from_dict(cls, state: dict) -> Twin:
        return cls(state)

    def to_dict(self) -> dict:
        return self.state

    def canonical(self) -> str:
        return json.dumps(self.state, sort_keys=True, separators=(",", ":"))

    # derived facts: read from the registry, as Windows itself reports them ------------------
    @property
    def name(self) -> str:
        return self.state["host"]

    @property
    def powershell_version(self) -> str | None:
        for key in PS_ENGINE_KEYS:
            value = self.registry.get_value(key, "PowerShellVersion")
            if value:
                return str(value["data"])
        return None

    def powershell_at_least(self, version: str) -> bool:
        have = tuple(int(x) for x in (self.powershell_version or "0").split("."))
        want = tuple(int(x) for x in version.split("."))
        return have >= want

    def environment(self, user: str = "labadmin") -> dict[str, str]:
        profile = f"C:\\Users\\{user}"
        return {
            "SYSTEMDRIVE": "C:", "SYSTEMROOT": "C:\\Windows", "WINDIR": "C:\\Windows",
            "PROGRAMDATA": "C:\\ProgramData", "ALLUSERSPROFILE": "C:\\ProgramData",
            "PROGRAMFILES": "C:\\Program Files", "PROGRAMFILES(X86)": "C:\\Program Files (x86)",
            "USERPROFILE": profile, "TEMP": profile + "\\AppData\\Local\\Temp",
            "TMP": profile + "\\AppData\\Local\\Temp", "COMPUTERNAME": self.state["hostname"],
            "USERNAME": user,
        }

    def expand_env(self, text: str, user: str = "labadmin") -> str:
        """[Environment]::ExpandEnvironmentVariables: %NAME% is replaced when NAME is defined."""
        env = self.environment(user)
        return re.sub(r"%([^%]+)%", lambda m: env.get(m.group(1).upper(), m.group(0)), text)

    @property
    def free_bytes(self) -> int:
        disk = self.state["disk"]
        return max(0, int(disk["free_bytes"]) - self.files.used_bytes(disk["system_drive"]))

    def wmi_instances(self, class_name: str) -> list[dict] | None:
        """Instances of a WMI class; None when the class does not exist on this host."""
        s = self.state
        derived = {
            "win32_operatingsystem": lambda: [{
                "Caption": s["os"]["caption"], "Version": s["os"]["version"], "BuildNumber": str(s["os"]["build"]),
                "CSName": s["hostname"], "OSArchitecture": "64-bit", "ProductType": 3 if "controller" not in
                s["domain_role"] else 2, "OperatingSystemSKU": s["os"].get("sku", 7),
                "LastBootUpTime": f"boot-{s['boot_count']}",
            }],
            "win32_computersystem": lambda: [{
                "Name": s["hostname"], "Domain": s["domain"], "DomainRole": DOMAIN_ROLES[s["domain_role"]],
                "PartOfDomain": s["domain_role"] not in ("standalone_server", "standalone_workstation"),
                "TotalPhysicalMemory": int(s["os"].get("memory_bytes", 16 * 2**30)),
            }],
            "win32_logicaldisk": lambda: [{
                "DeviceID": s["disk"]["system_drive"] + ":", "DriveType": 3, "FileSystem": "NTFS",
                "Size": int(s["disk"]["size_bytes"]), "FreeSpace": self.free_bytes,
            }],
        }
        if class_name.lower() in derived:
            return derived[class_name.lower()]()
        for name, instances in s["wmi"].items():
            if name.lower() == class_name.lower():
                return instances
        return None
