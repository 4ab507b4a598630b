"""pywinrm's own integration tests (shipped in the installed package as winrm/tests/test_integration_*.py),
run unmodified against a lab host, as a peer suite: they were written for a real Windows host.

Each test's outcome is recorded below, per transport. The build fails when any outcome changes: a test that
starts to pass means the lab answers something it did not before (check that it answers as Windows would);
a test that starts to fail is a regression. Tests that need a command the lab does not simulate fail loudly
(the lab's answer is `lab: not simulated`), never pass by accident.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import winrm

HOST = "target-2022"
SUITE = ["test_integration_protocol.py", "test_integration_session.py"]
TRANSPORTS = {  # name -> (scheme, WINRM_TRANSPORT)
    "ntlm-https": ("https", "ntlm"),  # certificate validated against the lab CA
    "basic-https": ("https", "basic"),
    "ntlm-http-encrypted": ("http", "ntlm"),  # pywinrm encrypts NTLM messages over HTTP (message_encryption=auto)
}
EXPECTED = {
    "test_integration_protocol.py::test_unicode_roundtrip": "passed",
    "test_integration_protocol.py::test_open_shell_and_close_shell": "passed",
    # runs `ipconfig /all` but only checks the shell and command ids and the cleanup, which the lab simulates;
    # the command itself never runs, because the test never asks for its output
    "test_integration_protocol.py::test_run_command_with_arguments_and_cleanup_command": "passed",
    "test_integration_protocol.py::test_run_command_without_arguments_and_cleanup_command": "passed",
    "test_integration_protocol.py::test_run_command_with_env": "passed",
    # `ipconfig /all` is not simulated: cmd's answer is exit code 9009 and `lab: not simulated` on stderr
    "test_integration_protocol.py::test_get_command_output": "failed",
    "test_integration_protocol.py::test_run_command_taking_more_than_operation_timeout_sec": "passed",
    # marked xfail (NotImplementedError) by pywinrm itself
    "test_integration_protocol.py::test_set_timeout": "xfailed",
    "test_integration_protocol.py::test_set_max_env_size": "xfailed",
    "test_integration_protocol.py::test_set_locale": "xfailed",
    "test_integration_session.py::test_run_cmd": "xfailed",
}
FAILURE_REASONS = {"test_integration_protocol.py::test_get_command_output": "assert 9009 == 0"}


def outcomes(junit: Path) -> dict[str, tuple[str, str]]:
    """{file::test: (outcome, failure text)} from pytest's JUnit XML."""
    found = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        module = case.get("classname", "").rsplit(".", 1)[-1] + ".py"
        outcome, text = "passed", ""
        for child in case:
            if child.tag in ("failure", "error"):
                outcome, text = "failed", (child.get("message") or "") + (child.text or "")
            elif child.tag == "skipped":
                outcome = "xfailed" if child.get("type") == "pytest.xfail" else "skipped"
        found[f"{module}::{case.get('name')}"] = (outcome, text)
    return found


@pytest.mark.parametrize("transport", sorted(TRANSPORTS))
def test_pywinrm_integration_suite_outcomes(lab, tmp_path, transport):
    tests_dir = Path(winrm.__file__).parent / "tests"
    scheme, auth = TRANSPORTS[transport]
    target = lab.hosts[HOST]
    port = target.https_port if scheme == "https" else target.http_port
    env = {**os.environ,
           "WINRM_ENDPOINT": f"{scheme}://127.0.0.1:{port}/wsman", "WINRM_TRANSPORT": auth,
           "WINRM_USERNAME": lab.creds.username, "WINRM_PASSWORD": lab.creds.password,
           # pywinrm's default ca_trust_path reads the CA bundle from here, and validates by default
           "REQUESTS_CA_BUNDLE": str(lab.ca)}
    junit = tmp_path / "junit.xml"
    lab.clear_log(HOST)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", os.devnull, "--rootdir", str(tests_dir), "-p", "no:cacheprovider",
         "-q", f"--junitxml={junit}", *(str(tests_dir / name) for name in SUITE)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert junit.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    found = outcomes(junit)
    assert {name: outcome for name, (outcome, _) in found.items()} == EXPECTED, proc.stdout[-3000:]
    for name, reason in FAILURE_REASONS.items():
        assert reason in found[name][1], found[name][1]
    # the commands really reached the lab over this transport
    commands = [e for e in lab.log(HOST) if e.get("op") == "Command"]
    assert {e["scheme"] for e in commands} == {scheme}
    assert any(e.get("command", "").startswith("ipconfig /all") for e in commands)
