"""Python twins of the Windows modules the roles use, keyed by the Script name Ansible sends.

Each module file defines `run(ctx: ModuleContext) -> dict` and returns the module's JSON result.
It must honour `ctx.check_mode` (change nothing, still report `changed`) and `ctx.diff`.
`ctx.fail(msg)` raises ModuleFailed, which the dispatcher turns into {"failed": true, "msg": ...}, rc 1.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from ..twin.host import Twin

# Script name (manifest actions[-1].params.Script) -> module file in this package
SCRIPTS = {
    "ansible_collections.ansible.windows.plugins.modules.win_ping.ps1": "win_ping",
    "ansible_collections.ansible.windows.plugins.modules.win_stat.ps1": "win_stat",
    "ansible_collections.ansible.windows.plugins.modules.win_file.ps1": "win_file",
    "ansible_collections.ansible.windows.plugins.modules.win_copy.ps1": "win_copy",
    "ansible_collections.ansible.windows.plugins.modules.win_get_url.ps1": "win_get_url",
    "ansible_collections.ansible.windows.plugins.modules.win_service.ps1": "win_service",
    "ansible_collections.ansible.windows.plugins.modules.win_regedit.ps1": "win_regedit",
    "ansible_collections.ansible.windows.plugins.modules.win_reg_stat.ps1": "win_reg_stat",
    "ansible_collections.ansible.windows.plugins.modules.win_package.ps1": "win_package",
    "ansible_collections.ansible.windows.plugins.modules.slurp.ps1": "slurp",
}


class ModuleFailed(Exception):
    def __init__(self, msg: str, **extra):
        super().__init__(msg)
        self.msg = msg
        self.extra = extra


@dataclass
class ModuleContext:
    twin: Twin
    params: dict  # the module's arguments, `_ansible_*` keys removed (a copy is in `meta`)
    check_mode: bool = False
    diff: bool = False
    meta: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def fail(self, msg: str, **extra):
        raise ModuleFailed(msg, **extra)

    def warn(self, msg: str) -> None:
        self.warnings.append(msg)


def lookup(script: str):
    """The module twin for a Script name, or None when the lab does not simulate it."""
    name = SCRIPTS.get(script)
    return importlib.import_module(f"{__name__}.{name}") if name else None
