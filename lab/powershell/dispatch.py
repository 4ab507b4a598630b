"""Route one command line to what runs it on the twin; anything unknown fails loudly."""

from __future__ import annotations

import re

from .. import modules
from ..twin.store import TwinStore
from . import ansible_payload, commandline, helpers, raw
from .result import Result, not_simulated

PROJECT_MARKER = re.compile(r"^\s*#\s*entra-sync-upgrade:(?P<name>[a-z0-9_-]+)\s+v(?P<version>\d+)", re.M)
MIN_ANSIBLE_PS = "5.1"
NO_LOG_KEYS = ("password", "pass", "secret", "token")


def _scrub(params: dict) -> dict:
    return {k: ("VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" if any(s in k.lower() for s in NO_LOG_KEYS) else v)
            for k, v in params.items()}


class Dispatcher:
    """Runs commands for one host. `project_scripts` maps a marker name to handler(twin, script, stdin)."""

    def __init__(self, host: str, store: TwinStore, user: str, project_scripts: dict | None = None):
        self.host = host
        self.store = store
        self.user = user
        self.project_scripts = project_scripts or {}
        self.last: dict = {}

    def describe(self, command: str, args: list[str]) -> dict:
        inv = commandline.parse(command, args)
        if inv.shell == "cmd":
            return {"shell": "cmd", "command": inv.text[:120]}
        marker = PROJECT_MARKER.search(inv.text)
        if marker:
            return {"shell": "powershell", "script": marker.group("name")}
        if "$input" in inv.text or "ParseInput" in inv.text:
            return {"shell": "powershell", "script": "bootstrap"}
        return {"shell": "powershell", "script": "raw", "text": inv.text.strip()[:120]}

    def __call__(self, command: str, args: list[str], stdin: bytes, env: dict) -> tuple[bytes, bytes, int]:
        result = self.run(command, args, stdin)
        return result.stdout, result.stderr, result.rc

    def run(self, command: str, args: list[str], stdin: bytes) -> Result:
        # WinRS runs the command through cmd.exe (WINRS_SKIP_CMD_SHELL=FALSE), which refuses lines over 8191
        if len(" ".join([command, *args])) > 8191:
            return Result(stdout=b"", stderr=b"The command line is too long.\r\n", rc=1)
        inv = commandline.parse(command, args)
        if inv.shell == "cmd":
            return self._raw(raw.CMD, inv.text, stdin, f"cmd: {inv.text}")
        payload = ansible_payload.parse(stdin)
        if payload is not None:
            return self._ansible(payload)
        marker = PROJECT_MARKER.search(inv.text)
        if marker:
            handler = self.project_scripts.get(marker.group("name"))
            if handler is None:
                return not_simulated(f"project script {marker.group('name')} v{marker.group('version')}")
            with self.store.session(self.host) as twin:
                result = handler(twin, inv.text, stdin)
            result.kind, result.name = "script", marker.group("name")
            return result
        return self._raw(raw.POWERSHELL, inv.text, stdin, f"powershell: {inv.text.strip()[:200]}")

    def _raw(self, table, text: str, stdin: bytes, what: str) -> Result:
        found = raw.match(table, text)
        if found is None:
            return not_simulated(what)
        handler, m, mutates = found
        if mutates:
            with self.store.session(self.host) as twin:
                return handler(twin, m, stdin)
        return handler(self.store.load(self.host), m, stdin)

    def _ansible(self, payload: ansible_payload.Payload) -> Result:
        with self.store.session(self.host) as twin:
            # bootstrap_wrapper.ps1 refuses older hosts before doing anything else
            if not twin.powershell_at_least(MIN_ANSIBLE_PS):
                return Result.json({"failed": True, "msg": "Ansible requires PowerShell v5.1"}, rc=1,
                                   kind="module", name="rejected: PowerShell " + str(twin.powershell_version))
            action = payload.action
            if set(payload.action_names) - {"module_wrapper.ps1"} - set(helpers.HELPERS):
                return not_simulated(f"Ansible exec actions {payload.action_names} (become/async)")
            if action["name"] in helpers.HELPERS:
                result = helpers.HELPERS[action["name"]](twin, action["params"], payload.input, self.user)
                result.kind, result.name = "helper", action["name"]
                return result
            script = payload.module_script
            module = modules.lookup(script or "")
            if module is None:
                return not_simulated(f"Ansible module {script}")
            return self._module(twin, module, script, payload.module_args)

    def _module(self, twin, module, script: str, args: dict) -> Result:
        meta = {k: v for k, v in args.items() if k.startswith("_ansible_")}
        params = {k: v for k, v in args.items() if not k.startswith("_ansible_")}
        ctx = modules.ModuleContext(twin, params, bool(meta.get("_ansible_check_mode")),
                                    bool(meta.get("_ansible_diff")), meta)
        name = script.rsplit(".", 2)[-2]
        try:
            result = module.run(ctx)
            rc = 0
        except modules.ModuleFailed as exc:
            result, rc = {"failed": True, "msg": exc.msg, **exc.extra}, 1
        result.setdefault("changed", False)
        if ctx.warnings:
            result["warnings"] = ctx.warnings
        if not ctx.diff:
            result.pop("diff", None)
        if not meta.get("_ansible_no_log"):
            result["invocation"] = {"module_args": _scrub(params)}
        return Result.json(result, rc=rc, kind="module", name=name)
