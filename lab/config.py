"""Where the lab keeps its state and which hosts it serves.

The lab inventory (inventories/lab/) is the single source of truth: every host there names its
profile (`lab_profile`) and its loopback ports (`ansible_port` for HTTPS, `lab_http_port` for HTTP); the
download server's port is `lab_download_port` in its `all: vars:`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
INVENTORY_DIR = REPO / "inventories" / "lab"
HOME = REPO / ".lab"  # git-ignored: CA, twin state, request logs, pid file
PROFILES_DIR = Path(__file__).resolve().parent / "profiles"


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


def load_hosts(inventory_dir: Path = INVENTORY_DIR) -> list[LabHost]:
    data = yaml.safe_load((inventory_dir / "hosts.yml").read_text())
    found: dict[str, dict] = {}
    _walk_hosts(data.get("all", {}), found)
    hosts = []
    for name, hv in sorted(found.items()):
        missing = [k for k in ("lab_profile", "ansible_port", "lab_http_port") if k not in hv]
        if missing:
            raise InventoryError(f"lab host {name} lacks {', '.join(missing)} in {inventory_dir / 'hosts.yml'}")
        if not (PROFILES_DIR / f"{hv['lab_profile']}.yml").is_file():
            raise InventoryError(f"lab host {name}: no profile lab/profiles/{hv['lab_profile']}.yml")
        hosts.append(LabHost(name, hv["lab_profile"], int(hv["ansible_port"]), int(hv["lab_http_port"]),
                             hostname=hv.get("lab_hostname")))
    ports = [p for h in hosts for p in (h.https_port, h.http_port)]
    if len(ports) != len(set(ports)):
        raise InventoryError("two lab hosts share a port in inventories/lab/hosts.yml")
    return hosts


def load_download_port(inventory_dir: Path = INVENTORY_DIR) -> int | None:
    """The lab download server's loopback port (`lab_download_port` in the inventory's `all: vars:`)."""
    data = yaml.safe_load((inventory_dir / "hosts.yml").read_text())
    port = ((data.get("all") or {}).get("vars") or {}).get("lab_download_port")
    return None if port is None else int(port)


def load_credentials(inventory_dir: Path = INVENTORY_DIR) -> Credentials:
    data = yaml.safe_load((inventory_dir / "group_vars" / "windows" / "winrm.yml").read_text())
    return Credentials(data["ansible_user"], data["ansible_password"])


def state_dir() -> Path:
    return HOME / "state"


def log_dir() -> Path:
    return HOME / "log"


def downloads_dir() -> Path:
    return HOME / "downloads"


def pki_dir() -> Path:
    return HOME / "pki"


def run_dir() -> Path:
    return HOME / "run"


def autopilot_state() -> Path:
    """Whether the autopilot acts, and after what delay (lab/autopilot.py)."""
    return run_dir() / "autopilot.json"


def operator_log() -> Path:
    """What the operator and the autopilot did, one JSON line per note (`python -m lab log operator`)."""
    return log_dir() / "operator.jsonl"
