"""Route one command line to what runs it on the twin; anything unknown fails loudly.

A command runs in a process whose environment is the user's block with the WinRS shell's variables on top,
and whose console code page is the shell's. An Ansible module runs with its task's `environment:` on top of
that (module_wrapper.ps1 sets it before the module starts).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..twin.errors import NotSimulated
from ..twin.store import TwinStore
from . import ansible_payload, commandline, helpers, raw, restart
from .result import Result, not_simulated

PROJECT_MARKER = re.compile(r"^\s*#\s*entra-sync-upgrade:(?P<name>[a-z0-9_-]+)\s+v(?P<version>\d+)", re.M)
MIN_ANSIBLE_PS = "5.1"
MAX_COMMAND_LINE = 8191  # cmd.exe's limit: WinRS runs every command through cmd (WINRS_SKIP_CMD_SHELL=FALSE)

# run_module(twin, script name, module args, environment block, logon=) -> (result dict, rc); None if not
# simulated. The logon is the shell's: {"user", "authentication" (ntlm or basic), "time"}
ModuleRunner = Callable[..., tuple[dict, int] | None]


class Dispatcher:
    """Runs commands for one host. `project_scripts` maps a marker name to handler(twin, script, stdin, env);
    `run_module` runs an Ansible module payload on a module twin (lab/modules; injected, so this layer does not
    import it)."""

    def __init__(self, host: str, store: TwinStore, user: str, project_scripts: dict | None = None,
                 run_module: ModuleRunner | None = None):
        self.host = host
        self.store = store
        self.user = user
        self.project_scripts = project_scripts or {}
        self.run_module = run_module

    def describe(self, command: str, args: list[str]) -> dict:
        try:
            inv = commandline.parse(command, args)
        except (commandline.CommandLineError, NotSimulated):
            return {"shell": "powershell", "script": "invalid"}
        if inv.shell == "cmd":
            return {"shell": "cmd", "command": inv.text[:120]}
        marker = PROJECT_MARKER.search(inv.text)
        if marker:
            return {"shell": "powershell", "script": marker.group("name")}
        if "$input" in inv.text or "ParseInput" in inv.text:
            return {"shell": "powershell", "script": "bootstrap"}
        return {"shell": "powershell", "script": "raw", "text": inv.text.strip()[:120]}

    def asked(self, command: str, args: list[str], stdin: bytes) -> tuple[list[str], str]:
        """What the host is asked, as injected faults match it: (names, text). Names: the project script's marker
        name (from stdin for the stdin bootstrap), the Ansible module's or helper's name; text: the command line."""
        line = commandline.command_line(command, args)
        try:
            inv = commandline.parse(command, args)
        except (commandline.CommandLineError, NotSimulated):
            return [], line
        names = []
        payload = ansible_payload.parse(stdin) if inv.shell == "powershell" and stdin else None
        if payload is not None:
            script = payload.module_script
            names.append(script.rsplit(".", 2)[-2] if script else payload.action["name"])
        for text in (stdin.decode("utf-8", "replace") if stdin and payload is None else "", inv.text):
            marker = PROJECT_MARKER.search(text)
            if marker:
                names.append(marker.group("name"))
                break
        return names, inv.text

    def fire_fault(self, command: str, args: list[str], stdin: bytes) -> dict | None:
        """The injected fault that fires as this command starts (a WinRS fault hook), or None."""
        return self.store.fire_fault(self.host, "command", *self.asked(command, args, stdin))

    def __call__(self, command: str, args: list[str], stdin: bytes, shell) -> tuple[bytes, bytes, int]:
        """The WinRS runner: `shell` carries the shell's `environment` and `codepage`."""
        logon = {"user": self.user, "authentication": getattr(shell, "authentication", "ntlm"),
                 "time": getattr(shell, "logon_time", None)}
        result = self.run(command, args, stdin, getattr(shell, "environment", None) or {},
                          getattr(shell, "codepage", 437), logon)
        return result.stdout, result.stderr, result.rc

    def run(self, command: str, args: list[str], stdin: bytes, environment: dict | None = None,
            codepage: int = 437, logon: dict | None = None) -> Result:
        line = commandline.command_line(command, args)
        if len(line) > MAX_COMMAND_LINE:
            return Result(stdout=b"", stderr=b"The command line is too long.\r\n", rc=1)
        try:
            inv = commandline.parse(command, args)
        except commandline.CommandLineError as exc:
            return Result(b"", f"{exc}\r\n".encode(), 1)
        except NotSimulated as exc:
            return not_simulated(exc.what)
        if inv.shell == "cmd":
            return self._in_process(environment, codepage, stdin, lambda proc: raw.run_cmd(proc, inv.text),
                                    mutates=False, failure=lambda what: raw.cmd_failure(what))
        payload = ansible_payload.parse(stdin)
        if payload is not None:
            return self._ansible(payload, environment or {}, logon)
        marker = PROJECT_MARKER.search(inv.text)
        if marker:
            return self._project_script(marker, inv.text, stdin, environment or {})
        found = raw.match_powershell(inv.text) or restart.match(raw.script_body(inv.text))
        if found is None:
            return not_simulated(f"powershell: {inv.text.strip()[:200]}")
        handler, m, mutates = found
        return self._in_process(environment, codepage, stdin, lambda proc: handler(proc, m), mutates, not_simulated)

    def _in_process(self, environment, codepage, stdin, body, mutates: bool, failure) -> Result:
        """Run body(Process) against the twin (written back if it changed it); NotSimulated fails loudly."""
        try:
            if mutates:
                with self.store.session(self.host) as twin:
                    return body(self._process(twin, environment, codepage, stdin))
            return body(self._process(self.store.load(self.host), environment, codepage, stdin))
        except NotSimulated as exc:
            return failure(exc.what)
        except ValueError as exc:  # a code page the lab does not know
            return failure(str(exc))

    def _process(self, twin, environment, codepage, stdin) -> raw.Process:
        return raw.Process(twin, twin.environment(self.user, environment), codepage, stdin)

    def _project_script(self, marker: re.Match, text: str, stdin: bytes, environment: dict) -> Result:
        handler = self.project_scripts.get(marker.group("name"))
        if handler is None:
            return not_simulated(f"project script {marker.group('name')} v{marker.group('version')}")
        with self.store.session(self.host) as twin:
            try:
                result = handler(twin, text, stdin, twin.environment(self.user, environment))
            except NotSimulated as exc:
                return not_simulated(exc.what)
        result.kind, result.name = "script", marker.group("name")
        return result

    def _ansible(self, payload: ansible_payload.Payload, shell_environment: dict, logon: dict | None) -> Result:
        with self.store.session(self.host) as twin:
            # bootstrap_wrapper.ps1 refuses older hosts before doing anything else
            if not twin.powershell_at_least(MIN_ANSIBLE_PS):
                return Result.json({"failed": True, "msg": "Ansible requires PowerShell v5.1"}, rc=1,
                                   kind="module", name="rejected: PowerShell " + str(twin.powershell_version))
            action = payload.action
            if set(payload.action_names) - {"module_wrapper.ps1"} - set(helpers.HELPERS):
                return not_simulated(f"Ansible exec actions {payload.action_names} (become/async)")
            environment = twin.environment(self.user, shell_environment)
            try:
                if action["name"] in helpers.HELPERS:
                    result = helpers.HELPERS[action["name"]](twin, action["params"], payload.input, environment)
                    result.kind, result.name = "helper", action["name"]
                    return result
                script = payload.module_script or ""
                # module_wrapper.ps1 sets the task's environment: in its process before the module runs
                task_environment = action["params"].get("Environment") or {}
                block = twin.environment(self.user, {**shell_environment, **task_environment})
                outcome = (self.run_module(twin, script, payload.module_args, block, logon=logon)
                           if self.run_module else None)
            except NotSimulated as exc:
                return not_simulated(exc.what)
            if outcome is None:
                return not_simulated(f"Ansible module {script}")
            result, rc = outcome
            return Result.json(result, rc=rc, kind="module", name=script.rsplit(".", 2)[-2])
