"""Windows services as the Service Control Manager knows them."""

from __future__ import annotations

STATES = {"running", "stopped", "paused"}
START_MODES = {"auto", "delayed", "manual", "disabled"}


class ServiceError(KeyError):
    pass


class Services:
    """data: {lower name: {name, display_name, state, start_mode, path, username, description, dependencies}}"""

    def __init__(self, data: dict | None = None):
        self.data: dict[str, dict] = data if data is not None else {}

    def get(self, name: str) -> dict | None:
        svc = self.data.get(name.lower())
        if svc is None:  # Get-Service accepts the display name too
            svc = next((s for s in self.data.values() if s["display_name"].lower() == name.lower()), None)
        return svc

    def all(self) -> list[dict]:
        return [self.data[k] for k in sorted(self.data)]

    def add(self, name: str, display_name: str | None = None, state: str = "stopped", start_mode: str = "manual",
            path: str = "", username: str = "LocalSystem", description: str = "", dependencies=()) -> dict:
        if state not in STATES or start_mode not in START_MODES:
            raise ServiceError(f"bad state/start mode for service {name}: {state}/{start_mode}")
        svc = {"name": name, "display_name": display_name or name, "state": state, "start_mode": start_mode,
               "path": path, "username": username, "description": description,
               "dependencies": list(dependencies)}
        self.data[name.lower()] = svc
        return svc

    def remove(self, name: str) -> bool:
        svc = self.get(name)
        if svc is None:
            return False
        del self.data[svc["name"].lower()]
        return True
