"""Where the lab keeps its state and which hosts it serves.

The lab inventory (inventories/lab/) is the single source of truth: every host there names its
profile (`lab_profile`) and its loopback ports (`ansible_port` for HTTPS, `lab_http_port` for HTTP); the
download server's port is `lab_download_port` in its `all: vars:`.

Two labs of one checkout can run side by side (pytest-xdist gives each worker its own, tests/labworkers.py): the
environment names another inventory (`ENTRA_LAB_INVENTORY`, the folder of its hosts.yml, with other ports) and
another home (`ENTRA_LAB_HOME`: twin state, request logs, pid file, and the content store of large file bodies,
never shared because `lab reset` drops the bodies its own twins do not hold). Both are read at each call, so
a process that sets them before it starts a lab acts on that lab. What the labs share, safely: the CA (the lab
inventory trusts it relative to itself, created once under a lock) and the built installers (deterministic bytes,
written atomically).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
DEFAULT_INVENTORY_DIR = REPO / "inventories" / "lab"
DEFAULT_HOME = REPO / ".lab"  # git-ignored: CA, twin state, request logs, pid file
PROFILES_DIR = Path(__file__).resolve().parent / "profiles"
HOME_VARIABLE = "ENTRA_LAB_HOME"
INVENTORY_VARIABLE = "ENTRA_LAB_INVENTORY"


def _from_environment(variable: str, default: Path) -> Path:
    """A folder the environment may name instead of the default (absolute; a relative one is taken relative to the
    repository, where `lab up` starts the server)."""
    value = os.environ.get(variable)
    return REPO / value if value else default


def home() -> Path:
    """This lab's folder: `ENTRA_LAB_HOME`, or the checkout's .lab."""
    return _from_environment(HOME_VARIABLE, DEFAULT_HOME)


def inventory_dir() -> Path:
    """This lab's inventory folder (hosts.yml, group_vars): `ENTRA_LAB_INVENTORY`, or inventories/lab."""
    return _from_environment(INVENTORY_VARIABLE, DEFAULT_INVENTORY_DIR)


@dataclass(frozen=True)
class LabHost:
    name: str
    profile: str
    https_port: int
    http_port: int
    address: str = "127.0.0.1"
    hostname: str | None = None  # the computer name, when several hosts share one profile


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str


class InventoryError(ValueError):
    pass


def _walk_hosts(group: dict, found: dict[str, dict]) -> None:
    for name, hostvars in (group.get("hosts") or {}).items():
        found.setdefault(name, {}).update(hostvars or {})
    for child in (group.get("children") or {}).values():
        _walk_hosts(child or {}, found)


def load_hosts(inventory: Path | None = None) -> list[LabHost]:
    inventory = inventory or inventory_dir()
    data = yaml.safe_load((inventory / "hosts.yml").read_text())
    found: dict[str, dict] = {}
    _walk_hosts(data.get("all", {}), found)
    hosts = []
    for name, hv in sorted(found.items()):
        missing = [k for k in ("lab_profile", "ansible_port", "lab_http_port") if k not in hv]
        if missing:
            raise InventoryError(f"lab host {name} lacks {', '.join(missing)} in {inventory / 'hosts.yml'}")
        if not (PROFILES_DIR / f"{hv['lab_profile']}.yml").is_file():
            raise InventoryError(f"lab host {name}: no profile lab/profiles/{hv['lab_profile']}.yml")
        hosts.append(LabHost(name, hv["lab_profile"], int(hv["ansible_port"]), int(hv["lab_http_port"]),
                             hostname=hv.get("lab_hostname")))
    ports = [p for h in hosts for p in (h.https_port, h.http_port)]
    if len(ports) != len(set(ports)):
        raise InventoryError(f"two lab hosts share a port in {inventory / 'hosts.yml'}")
    return hosts


def load_download_port(inventory: Path | None = None) -> int | None:
    """The lab download server's loopback port (`lab_download_port` in the inventory's `all: vars:`)."""
    data = yaml.safe_load(((inventory or inventory_dir()) / "hosts.yml").read_text())
    port = ((data.get("all") or {}).get("vars") or {}).get("lab_download_port")
    return None if port is None else int(port)


def load_credentials(inventory: Path | None = None) -> Credentials:
    data = yaml.safe_load(((inventory or inventory_dir()) / "group_vars" / "windows" / "winrm.yml").read_text())
    return Credentials(data["ansible_user"], data["ansible_password"])


def state_dir() -> Path:
    return home() / "state"


def log_dir() -> Path:
    return home() / "log"


def downloads_dir() -> Path:
    """The download server's built installers: shared by every lab of the checkout (the same URL always builds the
    same bytes, and each file is written whole and renamed into place)."""
    return DEFAULT_HOME / "downloads"


def pki_dir() -> Path:
    """The lab CA and the listeners' certificates: shared by every lab of the checkout, because the lab inventory
    trusts `{{ inventory_dir }}/../../.lab/pki/ca.pem` (lab/pki.py creates them once, under a lock)."""
    return DEFAULT_HOME / "pki"


def run_dir() -> Path:
    return home() / "run"


def autopilot_state() -> Path:
    """Whether the autopilot acts, and after what delay (lab/autopilot.py)."""
    return run_dir() / "autopilot.json"


def operator_log() -> Path:
    """What the operator and the autopilot did, one JSON line per note (`python -m lab log operator`)."""
    return log_dir() / "operator.jsonl"
