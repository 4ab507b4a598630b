"""win_reboot's commands on a twin (lab/powershell/restart.py), sent by the real ansible.windows reboot code.

`reboot_host` (ansible.windows plugins/plugin_utils/_reboot.py) runs here against a connection that hands each
command line to the lab's dispatcher, with a clock the test moves: its back-off sleeps advance the host's time,
so a restart, its outage and the boot happen in the order and at the moments win_reboot would see them.
"""

from __future__ import annotations

import base64
import json

import pytest
from ansible.errors import AnsibleConnectionFailure
from ansible_collections.ansible.windows.plugins.plugin_utils import _reboot

from lab.config import PROFILES_DIR
from lab.powershell.dispatch import Dispatcher
from lab.twin import power
from lab.twin.store import TwinStore
from tests.twins import build_twin

TRAILER = ("; If (-not $?) { If (Get-Variable LASTEXITCODE -ErrorAction SilentlyContinue) { exit $LASTEXITCODE } "
           "Else { exit 1 } }")


class Clock:
    def __init__(self, now: float):
        self.now = now

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class LabConnection:
    """The parts of a connection plugin reboot_host uses; a restarting host fails like a reset connection."""

    def __init__(self, store: TwinStore, host: str):
        self.store, self.host = store, host
        self.dispatcher = Dispatcher(host, store, "labadmin")
        self.commands: list[str] = []

    def exec_command(self, cmd, in_data=None, sudoable=False):
        if self.store.availability(self.host)[0]:
            raise AnsibleConnectionFailure("winrm connection error: Connection reset by peer")
        self.commands.append(base64.b64decode(cmd.rsplit(" ", 1)[1]).decode("utf-16-le"))
        result = self.dispatcher.run(cmd, [], b"")
        return result.rc, result.stdout, result.stderr

    def get_option(self, name):
        raise KeyError(name)

    def close(self):
        pass

    def reset(self):
        pass


@pytest.fixture
def lab(tmp_path, monkeypatch):
    clock = Clock(1_000_000.0)
    monkeypatch.setattr(power.time, "time", clock.time)
    monkeypatch.setattr(_reboot.time, "sleep", clock.sleep)
    store = TwinStore(tmp_path, PROFILES_DIR)
    store.save("t", build_twin({"hostname": "T"}))
    return store, clock


def run(store, script: str):
    line = "PowerShell -NoProfile -EncodedCommand " + base64.b64encode((script + TRAILER).encode("utf-16-le")).decode()
    return Dispatcher("t", store, "labadmin").run(line, [], b"")


def test_win_reboot_restarts_the_twin(lab):
    store, clock = lab
    conn = LabConnection(store, "t")
    result = _reboot.reboot_host("ansible.windows.win_reboot", conn, reboot_timeout=60)
    assert (result["failed"], result["rebooted"], result["changed"]) == (False, True, True), result
    twin = store.load("t")
    assert twin.power.boot_count == 1
    assert twin.power.last_boot > 1_000_000.0
    assert twin.registry.key_exists(power.AUTO_LOGON_CHECKED)
    assert twin.power.last_shutdown_event["comment"] == "Reboot initiated by Ansible"
    assert any("shutdown.exe /r /t 2" in c for c in conn.commands)
    assert conn.commands[-1].startswith("Get-Item -LiteralPath")


def test_the_boot_time_is_a_filetime_that_changes_with_a_boot(lab):
    store, _ = lab
    command = _reboot._DEFAULT_BOOT_TIME_COMMAND
    before = int(run(store, command).stdout)
    assert before == (1767225600 + 11644473600) * 10**7  # the profile's boot: 2026-01-01T00:00:00Z
    twin = store.load("t")
    twin.power.boot(1767225700.25)
    store.save("t", twin)
    assert int(run(store, command).stdout) == before + 100_2500000


def test_a_scheduled_restart_is_reported_as_1190_and_aborted(lab):
    store, _ = lab
    twin = store.load("t")
    twin.power.schedule_restart(600, "someone else's", "T\\admin")
    store.save("t", twin)
    report = run(store, _reboot_command())
    assert report.rc == 0
    assert json.loads(report.stdout) == {"stdout": "", "rc": 1190,
                                         "stderr": "A system shutdown has already been scheduled.(1190)"}
    abort = run(store, r"C:\Windows\System32\shutdown.exe /a")
    assert (abort.rc, store.load("t").power.scheduled) == (0, None)
    again = run(store, r"C:\Windows\System32\shutdown.exe /a")
    assert again.rc == 1116
    assert b"no shutdown was in progress.(1116)" in again.stderr


def test_the_readiness_test_fails_until_logonui_ran(lab):
    store, _ = lab
    command = f"Get-Item -LiteralPath 'HKLM:{power.AUTO_LOGON_CHECKED[4:]}' -ErrorAction Stop; 'success-1'"
    assert run(store, command).stdout.endswith(b"success-1\r\n")
    twin = store.load("t")
    twin.registry.delete_key(power.AUTO_LOGON_CHECKED)
    store.save("t", twin)
    failed = run(store, command)
    assert failed.rc == 1 and b"because it does not exist" in failed.stderr


def _reboot_command() -> str:
    """reboot_host's restart script for its default options (test_command unset, 2 s delay, default msg)."""
    recorded: list[str] = []

    class Stop(Exception):
        pass

    class Capture:
        def exec_command(self, cmd, in_data=None, sudoable=False):
            script = base64.b64decode(cmd.rsplit(" ", 1)[1]).decode("utf-16-le")
            if "shutdown.exe /r" in script:
                recorded.append(script.removesuffix(TRAILER))
                raise Stop()
            return 0, b"1", b""

        def get_option(self, name):
            raise KeyError(name)

    result = _reboot.reboot_host("win_reboot", Capture(), reboot_timeout=1)
    assert recorded, result
    return recorded[0]
