"""WinRS shells and commands of one host: lifecycle, stdin buffering, long-polled output, quotas."""

from __future__ import annotations

import base64
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ShellSettings:
    """What a Create request sets for every command of the shell (rsp:Environment, WINRS_CODEPAGE), and the
    logon the shell runs in (how the client authenticated, and when)."""

    environment: dict = field(default_factory=dict)
    codepage: int = 437
    authentication: str = "ntlm"
    logon_time: float = field(default_factory=time.time)


# A runner gets (command, args, stdin, shell settings) and returns (stdout, stderr, rc). It may block.
Runner = Callable[[str, list[str], bytes, ShellSettings], tuple[bytes, bytes, int]]
# A fault hook gets (command, args, stdin) as the command starts and returns the injected fault that fires, or None
FaultHook = Callable[[str, list[str], bytes], dict | None]

MAX_CHUNK = 96 * 1024  # raw bytes per Receive, so each reply stays under pywinrm's MaxEnvelopeSize 153600


class UnknownShell(KeyError):
    pass


class UnknownCommand(KeyError):
    pass


class ShellQuotaExceeded(RuntimeError):
    pass


class ReceiveTimedOut(TimeoutError):
    pass


class InjectedFault(Exception):
    """The command's result meets an injected fault (lab/twin/faults.py): args[0] is the rule; the protocol
    layer applies it (drop the connection, answer 500, withhold the reply)."""


@dataclass
class Command:
    id: str
    command: str
    args: list[str]
    settings: ShellSettings
    stdin: bytearray = field(default_factory=bytearray)
    stdin_seen: bool = False
    stdin_closed: bool = False
    started: bool = False
    exit_code: int | None = None
    pending: list[tuple[str, bytes]] = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)
    fault: dict | None = None  # an injected fault that fired when the command started

    def start(self, runner: Runner) -> None:
        self.started = True
        threading.Thread(target=self._run, args=(runner,), daemon=True, name=f"cmd-{self.id[:8]}").start()

    def _run(self, runner: Runner) -> None:
        try:
            out, err, rc = runner(self.command, self.args, bytes(self.stdin), self.settings)
        except Exception as exc:  # a lab bug must surface as a failed command, not a hung client
            out, err, rc = b"", f"lab: internal error: {type(exc).__name__}: {exc}".encode(), 1
        with self.cond:
            for name, data in (("stdout", out), ("stderr", err)):
                for i in range(0, len(data), MAX_CHUNK):
                    self.pending.append((name, data[i : i + MAX_CHUNK]))
            self.exit_code = rc
            self.cond.notify_all()


@dataclass
class Shell:
    id: str
    settings: ShellSettings
    last_used: float = field(default_factory=time.monotonic)
    commands: dict[str, Command] = field(default_factory=dict)


class ShellManager:
    """The shells of one host. Thread safe: requests on several connections may touch one shell."""

    def __init__(self, runner: Runner, max_shells: int = 30, idle_timeout: float = 7200.0,
                 fault_hook: FaultHook | None = None):
        self.runner = runner
        self.fault_hook = fault_hook
        self.max_shells = max_shells
        self.idle_timeout = idle_timeout
        self._shells: dict[str, Shell] = {}
        self._lock = threading.Lock()

    def _reap(self) -> None:
        now = time.monotonic()
        for sid in [s.id for s in self._shells.values() if now - s.last_used > self.idle_timeout]:
            del self._shells[sid]

    def create(self, settings: ShellSettings) -> Shell:
        with self._lock:
            self._reap()
            if len(self._shells) >= self.max_shells:
                raise ShellQuotaExceeded(self.max_shells)
            shell = Shell(str(uuid.uuid4()).upper(), settings)
            self._shells[shell.id] = shell
            return shell

    def get(self, shell_id: str | None) -> Shell:
        with self._lock:
            self._reap()
            shell = self._shells.get(shell_id or "")
            if shell is None:
                raise UnknownShell(shell_id)
            shell.last_used = time.monotonic()
            return shell

    def delete(self, shell_id: str | None) -> None:
        with self._lock:
            if self._shells.pop(shell_id or "", None) is None:
                raise UnknownShell(shell_id)

    def clear(self) -> None:
        """Forget every shell (the WinRM service restarted with the host)."""
        with self._lock:
            self._shells.clear()

    def open_shells(self) -> int:
        with self._lock:
            return len(self._shells)

    # Commands -------------------------------------------------------------------------
    def command(self, shell_id: str | None, command: str, args: list[str]) -> Command:
        shell = self.get(shell_id)
        cmd = Command(str(uuid.uuid4()).upper(), command, args, shell.settings)
        shell.commands[cmd.id] = cmd
        return cmd

    def find(self, shell_id: str | None, command_id: str | None) -> Command:
        shell = self.get(shell_id)
        cmd = shell.commands.get(command_id or "")
        if cmd is None:
            raise UnknownCommand(command_id)
        return cmd

    def send(self, shell_id, command_id, data: bytes, end: bool) -> None:
        cmd = self.find(shell_id, command_id)
        with cmd.cond:
            cmd.stdin.extend(data)
            cmd.stdin_seen = True
            cmd.stdin_closed = cmd.stdin_closed or end
            if end and not cmd.started:
                self._start(cmd)

    def receive(self, shell_id, command_id, timeout: float) -> tuple[list[tuple[str, str]], int | None]:
        """Long-poll: wait up to `timeout` for output or completion; raise ReceiveTimedOut if none came."""
        cmd = self.find(shell_id, command_id)
        deadline = time.monotonic() + timeout
        with cmd.cond:
            # A command that never got stdin runs at its first Receive; one being fed waits for End.
            if not cmd.started and not cmd.stdin_seen:
                self._start(cmd)
            # a faulted command's result is met by its fault once it has run: wait for its end, not its output
            while cmd.exit_code is None and (cmd.fault is not None or not cmd.pending):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ReceiveTimedOut()
                cmd.cond.wait(remaining)
            if cmd.fault is not None:
                fault, cmd.fault = cmd.fault, None
                raise InjectedFault(fault)
            streams, size = [], 0
            while cmd.pending and size < MAX_CHUNK:
                name, data = cmd.pending.pop(0)
                streams.append((name, base64.b64encode(data).decode("ascii")))
                size += len(data)
            done = cmd.exit_code if not cmd.pending else None
            return streams, done

    def _start(self, cmd: Command) -> None:
        """Start a command, unless an injected `reboot` takes the host down first (it then never runs)."""
        cmd.fault = self.fault_hook(cmd.command, cmd.args, bytes(cmd.stdin)) if self.fault_hook else None
        if cmd.fault is not None and cmd.fault["kind"] == "reboot":
            cmd.started, cmd.fault = True, None  # the host went down: no output, no exit code, ever
            return
        cmd.start(self.runner)

    def signal(self, shell_id, command_id) -> None:
        shell = self.get(shell_id)
        if shell.commands.pop(command_id or "", None) is None:
            raise UnknownCommand(command_id)
