"""Real ansible-playbook against the lab: modules, file transfer, check mode and idempotence."""

from __future__ import annotations

import hashlib
import os

import pytest

MODERN = "target-2022"


def modern_hosts(lab) -> list[str]:
    return sorted(h for h in lab.hosts if lab.twin(h).powershell_at_least("5.1"))


def test_win_ping_succeeds_on_51_and_fails_truthfully_on_legacy(lab):
    run = lab.playbook([{"hosts": "all", "gather_facts": False,
                         "tasks": [{"name": "ping", "ansible.windows.win_ping": {}}]}])
    results = run.results("ping")
    assert set(results) == set(lab.hosts)
    legacy = sorted(set(lab.hosts) - set(modern_hosts(lab)))
    assert "dirsync-2008r2" in legacy and MODERN not in legacy
    for host in modern_hosts(lab):
        assert results[host].get("ping") == "pong", (host, results[host])
    for host in legacy:
        assert results[host].get("failed") is True, host
        assert "Ansible requires PowerShell v5.1" in results[host]["msg"]


def test_file_round_trip_with_content_checked(lab, tmp_path):
    lab.reset(MODERN)
    local = tmp_path / "payload.bin"
    local.write_bytes(os.urandom(700_000))  # several put_file chunks and several fetch Receives
    sha1 = hashlib.sha1(local.read_bytes()).hexdigest()
    fetched = tmp_path / "back.bin"
    plays = [{"hosts": MODERN, "gather_facts": False, "tasks": [
        {"name": "dir", "ansible.windows.win_file": {"path": "C:\\Staging\\roundtrip", "state": "directory"}},
        {"name": "copy", "ansible.windows.win_copy": {"src": str(local), "dest": "C:\\Staging\\roundtrip\\p.bin"}},
        {"name": "stat", "ansible.windows.win_stat": {"path": "C:\\Staging\\roundtrip\\p.bin"}},
        {"name": "fetch", "ansible.builtin.fetch": {"src": "C:\\Staging\\roundtrip\\p.bin", "dest": str(fetched),
                                                   "flat": True}},
        {"name": "slurp", "ansible.builtin.slurp": {"src": "C:\\Staging\\roundtrip\\p.bin"}},
    ]}]
    run = lab.playbook(plays)
    assert not run.failures(), run.data
    assert run.results("copy")[MODERN]["changed"] is True
    stat = run.results("stat")[MODERN]["stat"]
    assert stat["exists"] and stat["size"] == 700_000 and stat["checksum"] == sha1
    assert fetched.read_bytes() == local.read_bytes()
    import base64

    assert base64.b64decode(run.results("slurp")[MODERN]["content"]) == local.read_bytes()
    assert lab.twin(MODERN).files.checksum("C:\\Staging\\roundtrip\\p.bin") == sha1


CHANGES = [{"hosts": MODERN, "gather_facts": False, "tasks": [
    {"name": "dir", "ansible.windows.win_file": {"path": "C:\\Staging", "state": "directory"}},
    {"name": "file", "ansible.windows.win_copy": {"content": "hello\r\n", "dest": "C:\\Staging\\hello.txt"}},
    {"name": "reg", "ansible.windows.win_regedit": {"path": "HKLM:\\SOFTWARE\\EntraSyncUpgrade", "name": "Stage",
                                                    "data": "staged", "type": "string"}},
    {"name": "svc", "ansible.windows.win_service": {"name": "WinRM", "start_mode": "delayed"}},
]}]


def test_check_mode_reports_changes_and_changes_nothing(lab):
    lab.reset(MODERN)
    before = lab.digest()
    run = lab.playbook(CHANGES, check=True)
    assert not run.failures(), run.data
    assert run.changed() == 4  # it tells the truth: every task would change something
    assert lab.digest() == before  # and changes nothing, on any lab host


def test_second_run_changes_nothing(lab):
    lab.reset(MODERN)
    first = lab.playbook(CHANGES)
    assert not first.failures(), first.data
    assert first.changed() == 4
    after_first = lab.digest(MODERN)
    second = lab.playbook(CHANGES)
    assert second.changed() == 0
    assert lab.digest(MODERN) == after_first
    twin = lab.twin(MODERN)
    assert twin.files.read("C:\\Staging\\hello.txt") == b"hello\r\n"
    assert twin.registry.get_value("HKLM\\SOFTWARE\\EntraSyncUpgrade", "Stage")["data"] == "staged"
    assert twin.services.get("WinRM").start_mode == "delayed"


def test_module_the_lab_does_not_simulate_fails_loudly(lab):
    run = lab.playbook([{"hosts": MODERN, "gather_facts": False, "tasks": [
        {"name": "shell", "ansible.windows.win_shell": "Get-Process"}]}])
    result = run.results("shell")[MODERN]
    assert result.get("failed") is True
    assert "lab: not simulated" in result.get("module_stderr", "") + result.get("msg", "")


@pytest.mark.parametrize("host", ["dirsync-2008r2"])
def test_raw_reaches_legacy_hosts(lab, host):
    run = lab.playbook([{"hosts": host, "gather_facts": False, "tasks": [
        {"name": "raw", "ansible.builtin.raw": "$PSVersionTable.PSVersion.ToString()"}]}])
    assert run.results("raw")[host]["stdout"].strip() == "2.0"
