"""One simulated Windows host: its persisted state and the models that own its behaviour."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from . import machine, modeled, power, profile, winrm
from .accounts import Accounts
from .blobs import BlobStore
from .environment import Environment, expand, overlay
from .faults import Faults
from .filesystem import FileSystem
from .machine import Machine
from .power import Power
from .products import Products
from .registry import Registry
from .services import ServiceControlManager
from .sql import SqlServer
from .storage import Storage
from .syncengine import SyncEngine
from .web import Web
from .wmi import DOMAIN_ROLES, Wmi

PS_ENGINE_KEYS = (
    r"HKLM\SOFTWARE\Microsoft\PowerShell\3\PowerShellEngine",
    r"HKLM\SOFTWARE\Microsoft\PowerShell\1\PowerShellEngine",
)
NDP4_FULL = r"HKLM\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full"
COMPUTER_NAME_KEYS = (power.COMPUTER_NAME, power.ACTIVE_COMPUTER_NAME)
ADMIN = "labadmin"  # the account the lab's WinRM listeners accept (inventories/lab)
# the admin's profile folders that a fresh logon has and that the lab models completely (they start empty)
EMPTY_PROFILE_DIRS = ("AppData\\Local\\Temp", "Desktop", "Documents", "Downloads")

ProfileError = profile.ProfileError  # raised while building a twin from a profile


class Twin:
    """The persistent state of one host (`to_dict()` is what the lab stores and snapshots) and its models."""

    def __init__(self, state: dict, blobs: BlobStore | None = None):
        self.state = state
        self.registry = Registry(state.setdefault("registry", {}))
        self.files = FileSystem(state.setdefault("files", {}), blobs, free_space=lambda: self.free_bytes)
        self.services = ServiceControlManager(self, state.setdefault("services", {}))
        self.env = Environment(self)
        self.wmi = Wmi(self)
        self.sql = SqlServer(self)
        self.adsync = SyncEngine(self)
        self.products = Products(self)
        self.web = Web(self)
        self.accounts = Accounts(self)
        self.storage = Storage(self)
        self.power = Power(self)
        self.faults = Faults(self)
        self.machine = Machine(self)
        self.power.settle()  # time has passed since the state was stored: a restart that ended has booted

    # construction -------------------------------------------------------------------------------------------
    @classmethod
    def from_profile(cls, host: str, name: str, profiles_dir: Path, hostname: str | None = None,
                     blobs: BlobStore | None = None) -> Twin:
        return cls.from_fragments(host, name, profile.fragments(name, profiles_dir), hostname, blobs)

    @classmethod
    def from_fragments(cls, host: str, name: str, fragment_list: list[tuple[str, dict]],
                       hostname: str | None = None, blobs: BlobStore | None = None) -> Twin:
        """A twin built from a profile's fragments (profile.fragments), in order; `hostname` overrides the
        profile's computer name; large bodies go to `blobs` (the store of the lab it is built for)."""
        spec = profile.merge(fragment_list)
        if hostname:
            spec["hostname"] = hostname
        os_ = spec.get("os") or {}
        for key in ("caption", "version", "build", "edition", "installation_type"):
            if key not in os_:
                raise ProfileError(f"profile {name}: os.{key} is required")
        twin = cls({
            "host": host, "profile": name, "description": spec.get("description", ""),
            "hostname": spec.get("hostname", host.upper()[:15]), "domain": spec.get("domain", "WORKGROUP"),
            "domain_role": spec.get("domain_role", "member_server"), "os": os_,
            "disk": {"system_drive": "C", "size_bytes": 127 * 2**30, "free_bytes": 60 * 2**30,
                     **(spec.get("disk") or {})},
            "wmi": spec.get("wmi") or {}, "sql": spec.get("sql") or {}, "sync": spec.get("sync") or {},
            "web": spec.get("web") or {}, "installers": spec.get("installers") or {},
            "groups": {str(g): [str(m) for m in (members or [])] for g, members in (spec.get("groups") or {}).items()},
        }, blobs)
        try:
            twin.state["winrm"] = winrm.check(spec.get("winrm") or {})
            twin.state["power"] = power.initial(spec.get("power"))
            twin.state["machine"] = machine.check(spec.get("machine") or {})
        except ValueError as exc:
            raise ProfileError(f"profile {name}: {exc}") from None
        if twin.state["domain_role"] not in DOMAIN_ROLES:
            raise ProfileError(f"profile {name}: domain_role must be one of {sorted(DOMAIN_ROLES)}")
        profile.build(twin, fragment_list)
        with twin.building(modeled.BASE):  # the admin's profile, as its first logon left it
            home = twin.expand_env("%USERPROFILE%")
            for sub in EMPTY_PROFILE_DIRS:
                twin.files.model(f"{home}\\{sub}", "*")
            for key in COMPUTER_NAME_KEYS:  # the computer name, pending and active
                twin.registry.set_value(key, "ComputerName", "string", twin.state["hostname"])
        twin.power.remember_services_after_boot()
        if twin.powershell_version is None:
            raise ProfileError(f"profile {name}: no PowerShellEngine registry key, so no PowerShell version")
        return twin

    @contextlib.contextmanager
    def building(self, mode: str):
        """Create nodes as the base layer, a profile or a run does (lab/twin/modeled.py)."""
        saved = self.registry.mode, self.files.mode
        self.registry.mode = self.files.mode = mode
        try:
            yield self
        finally:
            self.registry.mode, self.files.mode = saved

    @classmethod
    def from_dict(cls, state: dict, blobs: BlobStore | None = None) -> Twin:
        return cls(state, blobs)

    def to_dict(self) -> dict:
        return self.state

    def canonical(self) -> str:
        return json.dumps(self.state, sort_keys=True, separators=(",", ":"))

    # derived facts: read from the registry, as Windows itself reports them ----------------------------------
    @property
    def name(self) -> str:
        return self.state["host"]

    @property
    def powershell_version(self) -> str | None:
        for key in PS_ENGINE_KEYS:
            value = self.registry.peek_value(key, "PowerShellVersion")
            if value and value.get("data"):
                return str(value["data"])
        return None

    def powershell_at_least(self, version: str) -> bool:
        def parts(text: str) -> tuple[int, ...]:
            return tuple(int(x) if x.isdigit() else 0 for x in str(text).split("."))
        return parts(self.powershell_version or "0") >= parts(version)

    @property
    def powershell_clr(self) -> str:
        """The CLR that powershell.exe loads: 2.0 for Windows PowerShell 2.0, 4.0 from 3.0 on."""
        return "4.0" if self.powershell_at_least("3.0") else "2.0"

    @property
    def dotnet_release(self) -> int | None:
        """The .NET Framework 4.5+ Release DWORD; None without .NET 4.5+ (or when the value is not a DWORD)."""
        value = self.registry.peek_value(NDP4_FULL, "Release")
        if value is None or value["type"] != "dword" or not isinstance(value.get("data"), int):
            return None
        return value["data"]

    def groups_of(self, user: str) -> list[str]:
        """The local groups an account is a member of (by its name, with or without this computer's name)."""
        short = user.split("\\")[-1].lower()
        return sorted(g for g, members in (self.state.get("groups") or {}).items()
                      if short in (m.split("\\")[-1].lower() for m in members))

    def language_mode(self, environment: dict[str, str]) -> str:
        """PowerShell's language mode for a process with this environment: __PSLockdownPolicy=4 in the system
        environment locks PowerShell into ConstrainedLanguage (as AppLocker or WDAC script enforcement does)."""
        return "ConstrainedLanguage" if environment.get("__PSLOCKDOWNPOLICY", "").strip() == "4" else "FullLanguage"

    def environment(self, user: str = ADMIN, extra: dict | None = None) -> dict[str, str]:
        """The environment block of the user's process (names upper-case), with `extra` set on top."""
        return overlay(self.env.block(user), extra)

    def expand_env(self, text: str, user: str = ADMIN, extra: dict | None = None) -> str:
        """[Environment]::ExpandEnvironmentVariables in that process."""
        return expand(text, self.environment(user, extra))

    def fault(self, name: str):
        """A fault a test injected (state `faults`, e.g. backup_read_corrupt); None when there is none."""
        return (self.state.get("faults") or {}).get(name)

    @property
    def free_bytes(self) -> int:
        disk = self.state["disk"]
        free = max(0, int(disk["free_bytes"]) - self.files.used_bytes(disk["system_drive"]))
        cap = self.faults.free_bytes_cap()  # the `disk_full` fault
        return free if cap is None else min(free, cap)
