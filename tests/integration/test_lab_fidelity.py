"""The lab answers as Windows does, or fails loudly: one test per finding of the fidelity review (issue 6).

Each test drives the lab the way a user would (ansible-playbook or pywinrm over real WinRM) and asserts what a
real Windows Server answers. Where the lab cannot know the answer it must say `lab: not simulated`.
"""

from __future__ import annotations

import hashlib

import pytest
import winrm

MODERN = "target-2022"
CORE = "connect-core-2022"


def tasks(host: str, *items: dict, **play) -> list[dict]:
    return [{"hosts": host, "gather_facts": False, "tasks": list(items), **play}]


def cmd_session(lab, host: str = MODERN, **kw) -> winrm.Protocol:
    target = lab.hosts[host]
    return winrm.Protocol(f"https://127.0.0.1:{target.https_port}/wsman", transport="ntlm",
                          username=lab.creds.username, password=lab.creds.password, ca_trust_path=str(lab.ca),
                          **kw)


def run_cmd(lab, command: str, args=(), env=None, codepage=437) -> tuple[bytes, bytes, int]:
    protocol = cmd_session(lab)
    shell = protocol.open_shell(env_vars=env, codepage=codepage)
    try:
        command_id = protocol.run_command(shell, command, list(args))
        out, err, rc = protocol.get_command_output(shell, command_id)
        protocol.cleanup_command(shell, command_id)
        return out, err, rc
    finally:
        protocol.close_shell(shell)


# 1. Ansible's environment: keyword and the WinRS shell environment reach what runs --------------------------
def test_task_environment_reaches_module_path_expansion(lab):
    lab.reset(MODERN)
    run = lab.playbook(tasks(MODERN, {
        "name": "stat", "ansible.windows.win_stat": {"path": "%LAB_WINDIR%\\System32", "get_size": False},
        "environment": {"LAB_WINDIR": "C:\\Windows"}}))
    stat = run.results("stat")[MODERN]["stat"]
    assert stat["exists"] is True and stat["isdir"] is True, stat


def test_task_environment_reaches_win_get_url_destination(lab):
    lab.reset(MODERN)
    run = lab.playbook(tasks(MODERN, {
        "name": "dir", "ansible.windows.win_file": {"path": "C:\\LabDownloads", "state": "directory"}}, {
        "name": "get", "ansible.windows.win_get_url": {
            "url": "https://downloads.lab.test/tools/hello.txt", "dest": "%LAB_DEST%\\hello.txt"},
        "environment": {"LAB_DEST": "C:\\LabDownloads"}}))
    assert run.results("get")[MODERN].get("dest") == "C:\\LabDownloads\\hello.txt", run.results("get")
    assert lab.twin(MODERN).files.exists("C:\\LabDownloads\\hello.txt")
    lab.reset(MODERN)


def test_task_environment_reaches_service_path(lab):
    lab.reset(MODERN)
    run = lab.playbook(tasks(MODERN, {
        "name": "svc", "ansible.windows.win_service": {"name": "LabEnvSvc", "path": "%LAB_BIN%\\cmd.exe /c exit",
                                                       "start_mode": "manual"},
        "environment": {"LAB_BIN": "C:\\Windows\\System32"}}))
    assert run.results("svc")[MODERN].get("path") == "C:\\Windows\\System32\\cmd.exe /c exit", run.results("svc")
    lab.reset(MODERN)


def test_shell_environment_reaches_cmd(lab):
    out, err, rc = run_cmd(lab, "echo", ["%LAB_ONE%", "%LAB_TWO%"], env={"LAB_ONE": "hi mom", "LAB_TWO": "there"})
    assert (out, rc) == (b"hi mom there\r\n", 0), (out, err, rc)


# 2. The base layer: what every Windows Server has, and the rule for what the lab does not model ------------
SYSTEM_FILES = ["C:\\Windows\\explorer.exe", "C:\\Windows\\System32\\cmd.exe",
                "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", "C:\\pagefile.sys"]
SYSTEM_KEYS = ["HKCU:\\Software", "HKU:\\.DEFAULT", "HKCR:\\*", "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\Tcpip"]
SYSTEM_SERVICES = ["Tcpip", "EventLog", "LanmanServer", "wuauserv", "WinRM"]


def test_every_windows_server_has_its_system_files_keys_and_services(lab):
    items = [{"name": f"file {p}", "ansible.windows.win_stat": {"path": p, "get_checksum": False}}
             for p in SYSTEM_FILES]
    # "ensure the key exists" in check mode: unchanged means it is there (reading all of a Windows key's values
    # and subkeys is another matter: the lab knows only some, see the next test)
    items += [{"name": f"key {k}", "ansible.windows.win_regedit": {"path": k}, "check_mode": True}
              for k in SYSTEM_KEYS]
    items += [{"name": f"service {s}", "ansible.windows.win_service": {"name": s}} for s in SYSTEM_SERVICES]
    items += [{"name": "tcpip image", "ansible.windows.win_reg_stat": {
        "path": "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\Tcpip", "name": "ImagePath"}}]
    run = lab.playbook(tasks(MODERN, *items))
    assert not run.failures(), run.data
    for path in SYSTEM_FILES:
        assert run.results(f"file {path}")[MODERN]["stat"]["exists"] is True, path
    for key in SYSTEM_KEYS:
        assert run.results(f"key {key}")[MODERN]["changed"] is False, key
    for name in SYSTEM_SERVICES:
        assert run.results(f"service {name}")[MODERN]["exists"] is True, name
    tcpip = run.results("tcpip image")[MODERN]
    assert tcpip["exists"] is True and tcpip["raw_value"].lower().endswith("drivers\\tcpip.sys")


def test_server_core_has_no_explorer(lab):
    run = lab.playbook(tasks(CORE, {"name": "stat", "ansible.windows.win_stat": {"path": "C:\\Windows\\explorer.exe"}}))
    assert run.results("stat")[CORE]["stat"]["exists"] is False


def test_lookup_outside_the_model_fails_loudly_and_inside_it_is_absent(lab):
    run = lab.playbook(tasks(
        MODERN,
        {"name": "unmodeled file", "ansible.windows.win_stat": {"path": "C:\\Windows\\System32\\lab-unknown.dll"},
         "ignore_errors": True},
        {"name": "unmodeled key", "ansible.windows.win_reg_stat": {"path": "HKCU:\\Software\\Contoso Unknown Vendor"},
         "ignore_errors": True},
        {"name": "listing a partly modeled key", "ansible.windows.win_reg_stat": {"path": "HKCU:\\Software"},
         "ignore_errors": True},
        {"name": "unmodeled service", "ansible.windows.win_service": {"name": "ContosoUnknownDriver"},
         "ignore_errors": True},
        {"name": "modeled file", "ansible.windows.win_stat": {"path": "C:\\Program Files\\Microsoft Azure AD Sync"}},
        {"name": "modeled key", "ansible.windows.win_reg_stat": {"path": "HKLM:\\SOFTWARE\\Microsoft\\AD Sync"}},
        {"name": "modeled service", "ansible.windows.win_service": {"name": "ADSync"}},
    ))
    for name in ("unmodeled file", "unmodeled key", "listing a partly modeled key", "unmodeled service"):
        result = run.results(name)[MODERN]
        assert result.get("failed") is True and "lab: not simulated" in result["msg"], (name, result)
    assert run.results("modeled file")[MODERN]["stat"]["exists"] is False
    assert run.results("modeled key")[MODERN]["exists"] is False
    assert run.results("modeled service")[MODERN]["exists"] is False


# 3. A service whose program does not exist does not start ------------------------------------------------
def test_service_without_its_program_fails_to_start(lab):
    lab.reset(MODERN)
    run = lab.playbook(tasks(MODERN, {
        "name": "svc", "ansible.windows.win_service": {"name": "LabGhost", "path": "C:\\LabGhost\\ghost.exe",
                                                       "state": "started"}, "ignore_errors": True}))
    result = run.results("svc")[MODERN]
    assert result.get("failed") is True, result
    # Start-Service's error names the service, not the missing file (that is in its inner Win32 exception)
    assert result["msg"] == ("Unhandled exception while executing module: Service 'LabGhost (LabGhost)' cannot be "
                             "started due to the following error: Cannot start service LabGhost on computer '.'.")
    assert lab.twin(MODERN).services.get("LabGhost").state == "stopped"
    lab.reset(MODERN)


# 4. cmd's echo expands variables; redirection and chaining are refused, not ignored -----------------------
def test_cmd_echo_expands_variables(lab):
    out, _, rc = run_cmd(lab, "echo %COMPUTERNAME% %LAB_UNDEFINED%")
    assert (out, rc) == (lab.twin(MODERN).state["hostname"].encode() + b" %LAB_UNDEFINED%\r\n", 0)


@pytest.mark.parametrize("line", ["echo hi > C:\\lab.txt", "echo hi & hostname", "echo hi | more",
                                  "echo hi && hostname", "echo hi 2>nul"])
def test_cmd_operators_are_not_simulated(lab, line):
    before = lab.digest(MODERN)
    out, err, rc = run_cmd(lab, line)
    assert rc != 0 and b"lab: not simulated" in err, (out, err, rc)
    assert not err.startswith(b"#< CLIXML")
    assert lab.digest(MODERN) == before


# 5. Smaller findings --------------------------------------------------------------------------------------
def test_win_get_url_takes_a_local_checksum_file(lab):
    lab.reset(MODERN)
    body = lab.twin(MODERN).state["web"]["https://downloads.lab.test/tools/hello.txt"]["content"].encode()
    sums = f"{hashlib.sha256(body).hexdigest()}  hello.txt\n"
    run = lab.playbook(tasks(
        MODERN,
        {"name": "dir", "ansible.windows.win_file": {"path": "C:\\LabDownloads", "state": "directory"}},
        {"name": "sums", "ansible.windows.win_copy": {"content": sums, "dest": "C:\\LabDownloads\\SHA256SUMS"}},
        {"name": "get", "ansible.windows.win_get_url": {
            "url": "https://downloads.lab.test/tools/hello.txt", "dest": "C:\\LabDownloads\\hello.txt",
            "checksum_algorithm": "sha256", "checksum_url": "C:\\LabDownloads\\SHA256SUMS"}}))
    result = run.results("get")[MODERN]
    assert result.get("changed") is True and not result.get("failed"), result
    lab.reset(MODERN)


@pytest.mark.parametrize("option,value", [("failure_reset_period_sec", "0xFFFFFFFF"),
                                          ("pre_shutdown_timeout_ms", "0xFFFFFFFF"),
                                          ("pre_shutdown_timeout_ms", 180000)])
def test_win_service_uint32_options_are_refused_as_not_simulated(lab, option, value):
    run = lab.playbook(tasks(MODERN, {"name": "svc", "ansible.windows.win_service": {"name": "WinRM", option: value},
                                      "ignore_errors": True}))
    result = run.results("svc")[MODERN]
    assert result.get("failed") is True and result["msg"] == f"lab: not simulated: win_service option {option}"


def test_win_service_uint32_option_out_of_range_is_a_conversion_error(lab):
    run = lab.playbook(tasks(MODERN, {"name": "svc", "ansible.windows.win_service": {
        "name": "WinRM", "pre_shutdown_timeout_ms": -1}, "ignore_errors": True}))
    msg = run.results("svc")[MODERN]["msg"]
    assert "pre_shutdown_timeout_ms" in msg and "UInt32" in msg, msg


def test_unknown_cmd_command_answers_as_cmd(lab):
    out, err, rc = run_cmd(lab, "labnosuchprogram")
    assert rc == 9009 and not err.startswith(b"#< CLIXML"), (out, err, rc)
    assert b"lab: not simulated" in err


def test_quoted_arguments_keep_their_spaces(lab):
    out, _, rc = run_cmd(lab, "echo", ['"two  spaces"', "x"])
    assert (out, rc) == (b'"two  spaces" x\r\n', 0)


def test_reset_is_deterministic(lab):
    lab.reset(MODERN)
    first = lab.digest(MODERN)
    lab.reset(MODERN)
    assert lab.digest(MODERN) == first
