"""The Service Control Manager: service configuration lives in the registry, run state in the SCM's table.

As on Windows, a service is a key under HKLM\\SYSTEM\\CurrentControlSet\\Services with a `Type` value; the SCM
reads its configuration there (ImagePath, Start, DelayedAutostart, ObjectName, DisplayName, Description,
DependOnService, ErrorControl) and writes it back when the configuration changes. Only whether a service is
running lives outside the registry. Lookups follow the modeled rule (lab/twin/modeled.py): the Services key
names the services the twin models as absent, and a name outside them is not simulated.

Rules the SCM enforces: a disabled service does not start (1058); a dependency that is missing (1075) or
disabled (1068) stops the start; a service whose program file does not exist fails with 2 ("The system cannot
find the file specified."); stopping a service with running dependents needs the caller to stop those first.
Dependents are found among the services the twin knows: a real server may have more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import NotSimulated, Win32Error
from .faults import SERVICE_ERRORS

SERVICES_KEY = r"HKLM\SYSTEM\CurrentControlSet\Services"
STATES = ("running", "stopped", "paused")
START = {"boot": 0, "system": 1, "auto": 2, "manual": 3, "disabled": 4}  # delayed = auto + DelayedAutostart
START_MODES = (*START, "delayed")
TYPES = {"kernel_driver": 1, "file_system_driver": 2, "own_process": 0x10, "share_process": 0x20}
DRIVER_TYPES = ("kernel_driver", "file_system_driver")
CONFIG_VALUES = ("Type", "Start", "DelayedAutostart", "ErrorControl", "ImagePath", "DisplayName", "Description",
                 "ObjectName", "DependOnService")


@dataclass(frozen=True)
class Service:
    """One service as QueryServiceConfig and QueryServiceStatus report it."""

    name: str
    display_name: str
    type: str
    start_mode: str
    image_path: str  # as stored (REG_EXPAND_SZ)
    path: str  # as the SCM reports it: environment variables expanded, a driver's relative path under \SystemRoot
    username: str | None
    description: str
    dependencies: list[str] = field(default_factory=list)
    error_control: int = 1
    state: str = "stopped"

    @property
    def is_driver(self) -> bool:
        return self.type in DRIVER_TYPES


def program_of(path: str) -> str:
    """The executable a service command line starts (CreateProcess: a quoted path, else up to the first space
    that ends an existing name; the lab takes the text up to '.exe')."""
    text = path.strip()
    if text.startswith('"'):
        return text[1:].split('"', 1)[0]
    m = re.match(r"(?i)(.+?\.exe)(?:\s|$)", text)
    return m.group(1) if m else text.split(" ", 1)[0]


class ServiceControlManager:
    """The services of one twin. `runtime` is the persisted {lower name: state} table."""

    def __init__(self, twin, runtime: dict):
        self.twin = twin
        self.registry = twin.registry
        self.runtime = runtime

    def _key(self, name: str) -> str:
        return f"{SERVICES_KEY}\\{name}"

    # reads --------------------------------------------------------------------------------------------------
    def get(self, name: str) -> Service | None:
        """The service by its service name (OpenService); None if the twin knows there is none."""
        if not name or "\\" in name or "/" in name:
            return None
        if not self.registry.key_exists(self._key(name)):  # the modeled rule, for names the twin lacks
            return None
        return self.peek(name)

    def peek(self, name: str) -> Service | None:
        """The service if the twin holds it, whatever it models (for builders, not for lookups). A key without
        a Type value is not a service (for example the parent of an event log source)."""
        values = self.registry.peek_values(self._key(name))
        if not any(v.lower() == "type" for v in values):
            return None
        return self._service(self.registry.key_path(self._key(name)).rsplit("\\", 1)[-1], values)

    def find(self, name: str) -> Service | None:
        """Get-Service -Name: a service name, else a display name (only among services the twin knows, so an
        unknown name still meets the modeled rule)."""
        known = self.known()
        for match in (lambda s: s.name.lower() == name.lower(), lambda s: s.display_name.lower() == name.lower()):
            svc = next((s for s in known if match(s)), None)
            if svc is not None:
                return svc
        return self.get(name)

    def known(self) -> list[Service]:
        """Every service the twin knows (on a real server there may be more)."""
        return [svc for svc in map(self.peek, self.registry.peek_subkeys(SERVICES_KEY)) if svc is not None]

    def dependents(self, name: str) -> list[Service]:
        return [s for s in self.known() if name.lower() in (d.lower() for d in s.dependencies)]

    def _service(self, name: str, values: dict) -> Service:
        def value(key, default=None):
            found = next((v for n, v in values.items() if n.lower() == key.lower()), None)
            return default if found is None or found.get("data") is None else found["data"]

        type_code = _int(value("Type"), 0x10)
        vtype = next((t for t, code in TYPES.items() if code == type_code & 0x3F), "own_process")
        start = _int(value("Start"), 3)
        mode = next((m for m, code in START.items() if code == start), "manual")
        if mode == "auto" and _int(value("DelayedAutostart"), 0) == 1:
            mode = "delayed"
        image = str(value("ImagePath", ""))
        deps = value("DependOnService", [])
        return Service(
            name=name, display_name=str(value("DisplayName") or name), type=vtype, start_mode=mode,
            image_path=image, path=self._reported_path(image, vtype), username=None if vtype in DRIVER_TYPES
            else str(value("ObjectName") or "LocalSystem"), description=str(value("Description", "")),
            dependencies=[str(d) for d in (deps if isinstance(deps, list) else [deps]) if d],
            error_control=_int(value("ErrorControl"), 1), state=self.runtime.get(name.lower(), "stopped"))

    def _reported_path(self, image: str, vtype: str) -> str:
        if vtype in DRIVER_TYPES and image and not re.match(r"(?i)^([a-z]:|\\)", image):
            return "\\SystemRoot\\" + image
        return self.twin.expand_env(image)

    def program_path(self, svc: Service) -> str:
        path = program_of(svc.path)
        if path.lower().startswith("\\systemroot\\"):
            path = self.twin.expand_env("%SystemRoot%") + path[len("\\SystemRoot"):]
        return path

    # configuration ------------------------------------------------------------------------------------------
    def create(self, name: str, path: str, display_name: str | None = None, start_mode: str = "auto",
               type: str = "own_process", username: str | None = "LocalSystem", description: str = "",
               dependencies=(), error_control: int = 1) -> Service:
        """CreateService (the program file is not checked until the service starts)."""
        if self.peek(name) is not None:
            raise Win32Error(1073, "The specified service already exists.")
        self.registry.create_key(self._key(name))
        self.configure(name, type=type, start_mode=start_mode, path=path, display_name=display_name or name,
                       username=None if type in DRIVER_TYPES else username, description=description,
                       dependencies=list(dependencies), error_control=error_control)
        return self.get(name)

    def configure(self, name: str, **changes) -> Service:
        """ChangeServiceConfig (+ description, delayed start): write the given fields to the service key."""
        key = self._key(name)
        for fname, value in changes.items():
            if fname == "start_mode":
                if value not in START_MODES:
                    raise ValueError(f"service {name}: start_mode {value!r} is not one of {START_MODES}")
                self.registry.set_value(key, "Start", "dword", START["auto" if value == "delayed" else value])
                if value in ("auto", "delayed") or self._has(key, "DelayedAutostart"):
                    self.registry.set_value(key, "DelayedAutostart", "dword", int(value == "delayed"))
            elif fname == "type":
                if value not in TYPES:
                    raise ValueError(f"service {name}: type {value!r} is not one of {sorted(TYPES)}")
                self.registry.set_value(key, "Type", "dword", TYPES[value])
            elif fname == "path":
                self.registry.set_value(key, "ImagePath", "expandstring", value)
            elif fname == "display_name":
                self.registry.set_value(key, "DisplayName", "string", value)
            elif fname == "description":
                self.registry.set_value(key, "Description", "string", value or "")
            elif fname == "username":
                if value is not None:
                    self.registry.set_value(key, "ObjectName", "string", value)
            elif fname == "dependencies":
                self.registry.set_value(key, "DependOnService", "multistring", list(value or []))
            elif fname == "error_control":
                self.registry.set_value(key, "ErrorControl", "dword", int(value))
            else:
                raise ValueError(f"service {name}: unknown setting {fname}")
        return self.get(name)

    def _has(self, key: str, value: str) -> bool:
        return self.registry.peek_value(key, value) is not None

    def delete(self, name: str) -> None:
        """DeleteService (on a stopped service: the key goes at once)."""
        self.registry.delete_key(self._key(name))
        self.runtime.pop(name.lower(), None)

    # run state ----------------------------------------------------------------------------------------------
    def set_state(self, name: str, state: str) -> None:
        """What a profile says a service is doing at boot (no rules: the profile describes a running host)."""
        if state not in STATES:
            raise ValueError(f"service {name}: state {state!r} is not one of {STATES}")
        self.runtime[name.lower()] = state

    def start(self, name: str) -> list[Service]:
        """StartService, dependencies first; returns the services it started. Raises Win32Error."""
        svc = self.get(name)
        if svc is None:
            raise Win32Error(1060, "The specified service does not exist as an installed service.")
        if svc.state == "running":
            return []
        if svc.start_mode == "disabled":
            raise Win32Error(1058, "The service cannot be started, either because it is disabled or because it has "
                                   "no enabled devices associated with it.")
        started = []
        for dep in svc.dependencies:
            other = self.get(dep)
            if other is None:
                raise Win32Error(1075, "The dependency service does not exist or has been marked for deletion.")
            if other.start_mode == "disabled":
                raise Win32Error(1068, "The dependency service or group failed to start.")
            started += self.start(other.name)
        if svc.is_driver:
            raise NotSimulated(f"starting the driver {svc.name}")
        if not self.twin.files.exists(self.program_path(svc)):
            raise Win32Error(2, "The system cannot find the file specified.")
        fault = self.twin.faults.service_start(svc.name)  # the `service_start_fails` fault
        if fault is not None:
            raise Win32Error(int(fault["error"]), SERVICE_ERRORS[int(fault["error"])])
        self.runtime[svc.name.lower()] = "running"
        return started + [self.get(svc.name)]

    def stop(self, name: str) -> None:
        """ControlService(STOP): refused while a dependent runs (the caller stops dependents first)."""
        svc = self.get(name)
        if svc is None:
            raise Win32Error(1060, "The specified service does not exist as an installed service.")
        if svc.is_driver:
            raise NotSimulated(f"stopping the driver {svc.name}")
        if any(d.state != "stopped" for d in self.dependents(svc.name)):
            raise Win32Error(1051, "A stop control has been sent to a service that other running services are "
                                   "dependent on.")
        self.runtime[svc.name.lower()] = "stopped"

    def pause(self, name: str) -> None:
        self.runtime[self.get(name).name.lower()] = "paused"


def _int(value, default: int) -> int:
    """A DWORD as the SCM reads it; anything else (odd state) reads as the default."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
