"""Power: when the host booted, the restart shutdown.exe schedules, and what a boot does to the machine.

`shutdown.exe /r /t N` schedules a restart N seconds ahead (a second one fails with 1190 until `/a` aborts the
first). At that moment the host goes down: it takes no connections for `restart_seconds` (the lab's default is
short so tests stay fast; a profile or a test may set a real server's minutes), then it has booted again:

- a new boot time (Win32_OperatingSystem.LastBootUpTime) and boot count;
- what a restart completes is done: Session Manager runs PendingFileRenameOperations(2) and deletes the values;
  servicing's Component Based Servicing\\RebootPending and Windows Update's Auto Update\\RebootRequired keys
  go; a pending computer rename becomes the active name; a finished domain join drops Netlogon's JoinDomain and
  AvoidSpnSet; Server Manager's RestartRequired goes;
- services come back as the booted host had them while their start type is unchanged (the profile's state
  after boot, which holds the trigger-started exceptions), otherwise per their start type: automatic ones are
  started by the SCM's rules (a failure leaves them stopped, as event 7000 would tell), the others are stopped;
- LogonUI shows the logon screen and creates Winlogon\\AutoLogonChecked (win_reboot's readiness test).

The transition happens when the host is next looked at after the restart's end (Twin loads settle it), so a
host that nobody talks to still reboots on time. `availability()` tells the protocol layer whether the host
answers and which boot it is in, without building a twin.
"""

from __future__ import annotations

import time

from .errors import NotSimulated, Win32Error
from .filesystem import PROFILE_MTIME, FileSystemError

RESTART_SECONDS = 2.0  # from the start of a shutdown until WinRM answers again (a real server: minutes)
SHUTDOWN_EXE = r"C:\Windows\system32\shutdown.exe"
# the event Windows logs when a process asks for a restart (System log, Event ID 1074, source User32). Without
# /d, shutdown.exe gives no reason: UNCONFIRMED wording and code as seen in such events.
NO_REASON = ("No title for this reason could be found", "0x800000ff")

AUTO_LOGON_CHECKED = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon\AutoLogonChecked"
CBS_REBOOT_PENDING = r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending"
WU_REBOOT_REQUIRED = r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired"
SESSION_MANAGER = r"HKLM\SYSTEM\CurrentControlSet\Control\Session Manager"
PENDING_RENAMES = ("PendingFileRenameOperations", "PendingFileRenameOperations2")
COMPUTER_NAME = r"HKLM\SYSTEM\CurrentControlSet\Control\ComputerName\ComputerName"
ACTIVE_COMPUTER_NAME = r"HKLM\SYSTEM\CurrentControlSet\Control\ComputerName\ActiveComputerName"
NETLOGON = r"HKLM\SYSTEM\CurrentControlSet\Services\Netlogon"
NETLOGON_JOIN_VALUES = ("JoinDomain", "AvoidSpnSet")
SERVER_MANAGER_CACHE = r"HKLM\SOFTWARE\Microsoft\ServerManager\ServicingStorage\ServerComponentCache"

# what leaves a restart pending (the `reboot pending` fault): the evidence each source writes
PENDING_SOURCES = ("component_based_servicing", "windows_update", "pending_file_rename")


def initial(settings: dict | None = None) -> dict:
    """The power state of a host as its profile describes it: booted at the profile's fixed time, nothing
    scheduled. `settings` may set `restart_seconds`."""
    settings = dict(settings or {})
    unknown = set(settings) - {"restart_seconds"}
    if unknown:
        raise ValueError(f"power: unknown settings {sorted(unknown)}")
    seconds = float(settings.get("restart_seconds", RESTART_SECONDS))
    if seconds < 0:
        raise ValueError("power.restart_seconds must not be negative")
    return {"boot_count": 0, "last_boot": PROFILE_MTIME, "restart_seconds": seconds, "scheduled": None,
            "last_shutdown_event": None, "after_boot": {}}


def availability(state: dict, now: float | None = None) -> tuple[bool, int]:
    """(down, boot) for a host's stored state: whether it is between the start of a restart and the end of
    its boot, and the number of the boot it is in (a restart that has begun counts as the next boot)."""
    now = time.time() if now is None else now
    power = state.get("power") or {}
    scheduled = power.get("scheduled")
    boot = int(power.get("boot_count", 0))
    if not scheduled or now < scheduled["at"]:
        return False, boot
    return now < scheduled["up_at"], boot + 1


class Power:
    def __init__(self, twin):
        self.twin = twin

    @property
    def state(self) -> dict:
        return self.twin.state.setdefault("power", initial())

    # reads --------------------------------------------------------------------------------------------------
    @property
    def last_boot(self) -> float:
        """The boot time, seconds since the epoch (UTC)."""
        return float(self.state["last_boot"])

    def last_boot_dmtf(self) -> str:
        """LastBootUpTime as WMI writes a datetime (the lab's hosts keep UTC)."""
        return time.strftime("%Y%m%d%H%M%S", time.gmtime(self.last_boot)) + f".{int(self.last_boot % 1 * 1e6):06d}+000"

    @property
    def boot_count(self) -> int:
        return int(self.state["boot_count"])

    @property
    def scheduled(self) -> dict | None:
        return self.state.get("scheduled")

    @property
    def last_shutdown_event(self) -> dict | None:
        """The latest Event 1074 (a process asked for a shutdown or restart), or None when the System log has
        none from this boot's restart (a profile's host was started cold)."""
        return self.state.get("last_shutdown_event")

    def down(self, now: float | None = None) -> bool:
        return availability(self.twin.state, now)[0]

    # shutdown.exe -------------------------------------------------------------------------------------------
    def schedule_restart(self, delay: float, comment: str, user: str, now: float | None = None) -> None:
        """shutdown.exe /r /t <delay> /c <comment> run by `user`; Win32Error 1190 when one is already scheduled."""
        now = time.time() if now is None else now
        if self.scheduled is not None:
            raise Win32Error(1190, "A system shutdown has already been scheduled.")
        at = now + max(0.0, float(delay))
        self.state["scheduled"] = {"at": at, "up_at": at + float(self.state["restart_seconds"]),
                                   "comment": comment, "user": user}
        reason, code = NO_REASON
        hostname = self.twin.state["hostname"]
        self.state["last_shutdown_event"] = {
            "time": now, "process": f"{SHUTDOWN_EXE} ({hostname})", "computer": hostname, "reason": reason,
            "reason_code": code, "type": "restart", "comment": comment, "user": user}

    def restart_now(self, reason: str, now: float | None = None) -> None:
        """The host restarts at once, not asked by shutdown.exe (the `reboot` fault: a crash, a power cycle, an
        update's forced restart): no Event 1074, whatever was scheduled is overtaken."""
        now = time.time() if now is None else now
        self.state["scheduled"] = {"at": now, "up_at": now + float(self.state["restart_seconds"]),
                                   "comment": reason, "user": "SYSTEM"}

    def abort(self, now: float | None = None) -> None:
        """shutdown.exe /a: Win32Error 1116 when nothing is scheduled (1115 once the shutdown has begun)."""
        now = time.time() if now is None else now
        if self.scheduled is None:
            raise Win32Error(1116, "Unable to abort the system shutdown because no shutdown was in progress.")
        if now >= self.scheduled["at"]:
            raise Win32Error(1115, "A system shutdown is in progress.")
        self.state["scheduled"] = None

    # boot ---------------------------------------------------------------------------------------------------
    def settle(self, now: float | None = None) -> bool:
        """Complete a restart whose boot has ended by `now`; True if the host booted."""
        now = time.time() if now is None else now
        scheduled = self.scheduled
        if scheduled is None or now < scheduled["up_at"]:
            return False
        self.boot(scheduled["up_at"])
        return True

    def boot(self, at: float) -> None:
        self.state.update(boot_count=self.boot_count + 1, last_boot=at, scheduled=None)
        self._finish_pending_work()
        self._restart_services()
        self.twin.registry.create_key(AUTO_LOGON_CHECKED)

    def remember_services_after_boot(self) -> None:
        """Record how the booted host runs its services (called once the profile is built)."""
        self.state["after_boot"] = {svc.name.lower(): [svc.start_mode, svc.state]
                                    for svc in self.twin.services.known()}

    def _finish_pending_work(self) -> None:
        reg = self.twin.registry
        for name in PENDING_RENAMES:
            value = reg.peek_value(SESSION_MANAGER, name)
            if value is not None:
                self._run_renames(value.get("data") or [])
                reg.delete_value(SESSION_MANAGER, name)
        for key in (CBS_REBOOT_PENDING, WU_REBOOT_REQUIRED):
            if reg.peek_key(key):
                reg.delete_key(key)
        pending_name = reg.peek_value(COMPUTER_NAME, "ComputerName")
        if pending_name and pending_name.get("data"):
            reg.set_value(ACTIVE_COMPUTER_NAME, "ComputerName", "string", pending_name["data"])
            self.twin.state["hostname"] = str(pending_name["data"])
        for name in NETLOGON_JOIN_VALUES:
            if reg.peek_value(NETLOGON, name) is not None:
                reg.delete_value(NETLOGON, name)
        if reg.peek_value(SERVER_MANAGER_CACHE, "RestartRequired") is not None:
            reg.delete_value(SERVER_MANAGER_CACHE, "RestartRequired")

    def _run_renames(self, entries: list) -> None:
        """Session Manager's pairs (source, target): an empty target deletes the source, '!' lets the target be
        replaced; a pair that fails is skipped, as at boot. Paths are NT paths (\\??\\C:\\...)."""
        files = self.twin.files
        for source, target in zip(entries[0::2], entries[1::2], strict=False):  # an odd last entry is ignored
            source, replace = _win32_path(source), str(target).startswith("!")
            target = _win32_path(str(target).lstrip("!"))
            try:
                if not files.exists(source):
                    continue
                if not target:
                    files.remove(source)
                elif replace or not files.exists(target):
                    files.copy(source, target)
                    files.remove(source)
            except (NotSimulated, FileSystemError):
                continue  # UNCONFIRMED which failures smss reports; the lab skips the pair like any failed one

    def _restart_services(self) -> None:
        scm, after_boot = self.twin.services, self.state.get("after_boot") or {}
        known = scm.known()
        for svc in known:  # every service stops with the old boot; drivers load before services start
            booted = after_boot.get(svc.name.lower())
            if booted and booted[0] == svc.start_mode:
                scm.runtime[svc.name.lower()] = booted[1]
            elif svc.is_driver:
                scm.runtime[svc.name.lower()] = "running" if svc.start_mode in ("boot", "system", "auto") \
                    else "stopped"
            else:
                scm.runtime[svc.name.lower()] = "stopped"
        for svc in known:
            booted = after_boot.get(svc.name.lower())
            if svc.is_driver or (booted and booted[0] == svc.start_mode):
                continue
            if svc.start_mode in ("auto", "delayed"):
                try:
                    scm.start(svc.name)
                except (Win32Error, NotSimulated):
                    scm.runtime[svc.name.lower()] = "stopped"

    # faults -------------------------------------------------------------------------------------------------
    def require_restart(self, *sources: str) -> None:
        """Leave a restart pending, as servicing, Windows Update or an installer replacing a file in use
        would (the lab's `reboot pending` fault); all three sources when none is named."""
        reg = self.twin.registry
        for source in sources or PENDING_SOURCES:
            if source == "component_based_servicing":
                reg.create_key(CBS_REBOOT_PENDING)
            elif source == "windows_update":
                reg.create_key(WU_REBOOT_REQUIRED)
            elif source == "pending_file_rename":
                marker = r"C:\ProgramData\LabPendingRename\replaced.dll"
                self.twin.files.write(marker, b"in use until the restart")
                current = reg.peek_value(SESSION_MANAGER, PENDING_RENAMES[0])
                entries = list((current or {}).get("data") or []) + ["\\??\\" + marker, ""]
                reg.set_value(SESSION_MANAGER, PENDING_RENAMES[0], "multistring", entries)
            else:
                raise ValueError(f"reboot pending: unknown source {source!r}; one of {PENDING_SOURCES}")


def _win32_path(nt_path: str) -> str:
    """'\\??\\C:\\x' -> 'C:\\x' (the Win32 name of an NT object path)."""
    text = str(nt_path or "")
    return text[4:] if text.startswith("\\??\\") else text
