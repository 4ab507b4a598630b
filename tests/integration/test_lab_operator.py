"""The lab's operator and autopilot on the running lab: what they do is what detection (sync_facts over WinRM)
then reports. The handoff note is written into the twin directly here (the run's note writer is tested apart)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from lab import config
from lab.twin import labmsi
from lab.twin.handoffnote import path_of
from lab.wsman import requestlog
from tests.labfixture import REPO, env

MSI = r"C:\ProgramData\EntraSyncUpgrade\installer\AzureADConnect.msi"
NEW = "2.5.190.0"
CONNECT = "connect23-2019"
TARGET = "target-2022"


def note(step: str, host: str, issued: str, **params: str) -> bytes:
    lines = ["entra-sync-upgrade handoff v1", f"Step: {step}", f"Host: {host} (X)", f"Issued: {issued}",
             *(f"{k}: {v}" for k, v in params.items()), "", "What to do:", "1. Run the package.",
             "When it is done, the run sees:", "- the new version", ""]
    return "\r\n".join(lines).encode("ascii")


def leave(lab, host: str, step: str, issued: str, **params: str) -> None:
    def change(twin):
        twin.files.write(MSI, labmsi.build(8192, NEW))
        twin.files.write(path_of(step), note(step, host, issued, **params))
    lab.edit(host, change)


def lab_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lab", *args], cwd=REPO, env=env(), capture_output=True, text=True,
                          timeout=120)


def detect(lab, host: str) -> dict:
    run = lab.playbook([{"hosts": host, "gather_facts": False,
                         "tasks": [{"name": "Detect", "entra.sync_upgrade.sync_facts": {}}]}])
    assert not run.failures(), run.data
    return run.results("Detect")[host]["ansible_facts"]["sync"]


@pytest.fixture
def hosts(lab):
    lab.reset(CONNECT, TARGET)
    yield lab
    lab_cli("autopilot", "off")
    lab.reset(CONNECT, TARGET)


def test_the_operator_upgrades_and_detection_sees_the_packages_version(hosts):
    lab = hosts
    assert detect(lab, CONNECT)["version"] == "2.3.20.0"
    leave(lab, CONNECT, "upgrade", "2026-03-01T10:00:00Z", Installer=MSI)
    done = lab_cli("operator", CONNECT)
    assert done.returncode == 0, done.stderr
    assert "step upgrade (issued 2026-03-01T10:00:00Z): upgraded connect 2.3.20.0 to" in done.stdout
    sync = detect(lab, CONNECT)
    assert (sync["tool"], sync["version"]) == ("connect", NEW)
    assert sync["scheduler"]["enabled"] is True and sync["services"]


def test_without_a_note_the_operator_says_so_and_fails(hosts):
    done = lab_cli("operator", CONNECT)
    assert done.returncode == 1 and "no handoff note" in done.stderr


def test_the_autopilot_installs_a_staging_target_after_its_delay(hosts):
    lab = hosts
    assert "autopilot off" in lab_cli("status").stdout  # the default after lab up
    assert lab_cli("autopilot", "on", "--delay", "1").returncode == 0
    assert "autopilot on (delay 1 s)" in lab_cli("status").stdout
    issued = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    leave(lab, TARGET, "install_manual", issued, Installer=MSI, Source=CONNECT, Staging="on")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not lab.twin(TARGET).state.get("sync"):
        time.sleep(0.25)
    entries = [e for e in requestlog.read(config.operator_log()) if e["host"] == TARGET and e["issued"] == issued]
    assert [(e["step"], e["source"], e["ok"]) for e in entries] == [("install_manual", "autopilot", True)]
    sync = detect(lab, TARGET)
    assert (sync["tool"], sync["version"], sync["staging_mode"]) == ("connect", NEW, True)
    assert {c["name"] for c in sync["connectors"]} == {"corp.contoso.com", "contoso.onmicrosoft.com - AAD"}


def test_wizard_files_alone_are_no_sync_engine(hosts):
    lab = hosts
    leave(lab, TARGET, "wizard_files", "2026-03-01T10:00:00Z", Installer=MSI)
    assert lab_cli("operator", TARGET, "wizard_files").returncode == 0
    assert detect(lab, TARGET)["tool"] == "none"
