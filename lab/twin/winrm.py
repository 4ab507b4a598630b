"""The WinRM service's own configuration on the host: which certificate its HTTPS listener presents, and
whether it accepts the account the lab's clients log on with (a changed password or a locked-out account makes
Windows refuse every logon with 401)."""

from __future__ import annotations

CERTIFICATES = ("lab", "wrong_name", "other_ca", "expired")  # lab: issued by the lab CA for 127.0.0.1/localhost
AUTH = ("accept", "refuse")
DEFAULTS = {"certificate": "lab", "auth": "accept"}


def listener(state: dict) -> dict:
    """The listener settings a twin's state holds, defaults filled in."""
    return {**DEFAULTS, **(state.get("winrm") or {})}


def check(settings: dict) -> dict:
    """The settings, or ValueError naming what is wrong."""
    unknown = set(settings) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"winrm: unknown settings {sorted(unknown)}")
    merged = {**DEFAULTS, **settings}
    if merged["certificate"] not in CERTIFICATES:
        raise ValueError(f"winrm.certificate must be one of {CERTIFICATES}, not {merged['certificate']!r}")
    if merged["auth"] not in AUTH:
        raise ValueError(f"winrm.auth must be one of {AUTH}, not {merged['auth']!r}")
    return merged
