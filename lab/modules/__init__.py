"""Python twins of the Windows modules the roles use, keyed by the Script name Ansible sends.

Each module file defines `run(ctx: ModuleContext) -> dict` and returns the module's JSON result.
It must honour `ctx.check_mode` (change nothing, still report `changed`) and `ctx.diff`.
`ctx.fail(msg)` raises ModuleFailed, which the dispatcher turns into {"failed": true, "msg": ...}, rc 1.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from ..twin.environment import expand
from ..twin.host import ADMIN, Twin

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
    # the project's own module (plugins/modules/sync_file_info.ps1), as Ansible names a collection module
    "ansible_collections.entra.sync_upgrade.plugins.modules.sync_file_info.ps1": "sync_file_info",
    "ansible_collections.ansible.windows.plugins.modules.setup.ps1": "setup",
    "ansible_collections.ansible.windows.plugins.modules.win_whoami.ps1": "win_whoami",
    "ansible_collections.ansible.windows.plugins.modules.win_reboot_info.ps1": "win_reboot_info",
    "ansible_collections.community.windows.plugins.modules.win_disk_facts.ps1": "win_disk_facts",
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
    # the module process's environment: the user's block, the WinRS shell's variables, the task's environment:
    environment: dict[str, str] | None = None
    # the logon the module runs in: {"user", "authentication": ntlm|basic, "time"} (the WinRS shell's)
    logon: dict | None = None

    def __post_init__(self):
        if self.environment is None:
            self.environment = self.twin.environment()
        if self.logon is None:
            self.logon = {"user": ADMIN, "authentication": "ntlm", "time": None}

    def expand(self, text: str) -> str:
        """[Environment]::ExpandEnvironmentVariables in the module's process."""
        return expand(text, self.environment)

    def fail(self, msg: str, **extra):
        raise ModuleFailed(msg, **extra)

    def warn(self, msg: str) -> None:
        self.warnings.append(msg)


NO_LOG_KEYS = ("password", "pass", "secret", "token")

# The PEM of each certificate an HTTPS listener can present (kind -> bytes), as Cert:\LocalMachine\My holds it;
# given by the composition root (lab/server.py) when the lab starts, so that this layer never reads the lab's PKI.
LISTENER_CERTIFICATES: dict[str, bytes] = {}


def lookup(script: str):
    """The module twin for a Script name, or None when the lab does not simulate it."""
    name = SCRIPTS.get(script)
    return importlib.import_module(f"{__name__}.{name}") if name else None


def _scrub(params: dict) -> dict:
    return {k: ("VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" if any(s in k.lower() for s in NO_LOG_KEYS) else v)
            for k, v in params.items()}


def run(twin: Twin, script: str, args: dict, environment: dict[str, str],
        logon: dict | None = None) -> tuple[dict, int] | None:
    """Run a module payload as Ansible.Basic would: (the module's JSON result, rc); None if not simulated."""
    module = lookup(script)
    if module is None:
        return None
    meta = {k: v for k, v in args.items() if k.startswith("_ansible_")}
    params = {k: v for k, v in args.items() if not k.startswith("_ansible_")}
    ctx = ModuleContext(twin, params, bool(meta.get("_ansible_check_mode")), bool(meta.get("_ansible_diff")), meta,
                        environment=environment, logon=logon)
    try:
        result, rc = module.run(ctx), 0
    except ModuleFailed as exc:
        result, rc = {"failed": True, "msg": exc.msg, **exc.extra}, 1
    result.setdefault("changed", False)
    if ctx.warnings:
        result["warnings"] = ctx.warnings
    if not ctx.diff:
        result.pop("diff", None)
    if not meta.get("_ansible_no_log"):
        result["invocation"] = {"module_args": _scrub(params)}
    return result, rc
