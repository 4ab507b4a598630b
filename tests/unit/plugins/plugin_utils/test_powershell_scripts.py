"""Every project script stays PowerShell 2.0-safe (tests/ps2check.py) and small enough for the stdin transport.

Legacy sync servers run Windows PowerShell 2.0 on CLR 2; a script sent to them on stdin travels in one WinRM Send,
and Windows Server 2008 R2 accepts at most 150 KB per envelope. The check is a denylist over the syntax tree:
these tests prove it catches what it must and lets pass what PowerShell 2.0 runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from plugins.plugin_utils import _backup_catalog as catalog
from plugins.plugin_utils import _evidence as ev
from plugins.plugin_utils import _script
from tests.ps2check import violations
from tests.unit.plugins.plugin_utils.test_backup_catalog import facts_of

REPO = Path(__file__).resolve().parents[4]
PLUGIN_SCRIPTS = sorted((REPO / "plugins").rglob("*.ps1"))
WINRM_2008R2_ENVELOPE = 150 * 1024


def test_there_are_scripts_to_check():
    names = {p.name for p in PLUGIN_SCRIPTS}
    assert {"probe.ps1", "common.ps1", "backup-stage.ps1", "backup-read.ps1", "settings-export.ps1",
            "handoff-note.ps1", "sync-engine.ps1"} <= names


@pytest.mark.parametrize("path", PLUGIN_SCRIPTS, ids=lambda p: str(p.relative_to(REPO)))
def test_every_plugin_script_parses_and_is_powershell_2_safe(path):
    assert violations(path.read_bytes()) == []


def test_the_shared_functions_carry_no_marker_so_the_lab_routes_by_the_script_s_own():
    # the lab routes a script by the first marker in it; common.ps1 comes before the script's body
    assert "entra-sync-upgrade:" not in _script.COMMON_PATH.read_text()


def _largest_requests():
    """The biggest request each script gets: the full evidence catalog, every backup item with the database, a
    backup-read request at its largest (many small files in one chunk)."""
    yield "probe", ev.build_request()
    for profile in ("dirsync_2008r2", "connect_2_3_2019", "connect_2_4_fullsql_2019", "aadsync_2012r2"):
        items = catalog.items(facts_of(profile), True, "20261203T120000Z")
        yield "backup-stage", catalog.request("collect", "%ProgramData%\\EntraSyncUpgrade\\backup\\x", items)
    names = [f"server_configuration\\SynchronizationRules\\SynchronizationRule_{{{i:08d}-0000-0000-0000-000000000000}}"
             ".xml" for i in range(400)]
    yield "backup-read", {"folder": "%ProgramData%\\EntraSyncUpgrade\\backup\\x",
                          "segments": [{"name": n, "offset": 0, "length": 9000} for n in names]}
    # settings-export at its largest: MigrateSettings.ps1 (about 15 KB) sent base64-encoded
    yield "settings-export", {"operation": "migrate", "folder": "%ProgramData%\\EntraSyncUpgrade\\backup\\x",
                              "script": "A" * (16 * 1024 * 4 // 3), "sha256": "0" * 64}
    yield "settings-export", {"operation": "check", "folder": "C:\\ProgramData\\EntraSyncUpgrade\\settings\\x",
                              "names": names, "create": True}
    # a long handoff note: every line of it travels in the request
    yield "handoff-note", {"action": "write", "folder": "%PUBLIC%\\Desktop", "name": "entra-sync-upgrade-upgrade.txt",
                           "lines": ["x" * 200] * 100}
    for tool in ("connect", "aadsync", "dirsync"):
        yield "sync-engine", {"operation": "scheduler", "tool": tool, "history": 10, "enabled": True,
                              "policy": "Initial", "state": "Disabled"}


@pytest.mark.parametrize("name,request_", list(_largest_requests()), ids=lambda x: x if isinstance(x, str) else "")
def test_every_built_script_is_powershell_2_safe_and_well_under_the_2008_r2_envelope(name, request_):
    script = _script.build(name, request_)
    assert violations(script.encode()) == []
    assert len(script.encode("utf-8")) < WINRM_2008R2_ENVELOPE * 2 // 3, len(script)


def test_build_refuses_a_script_over_the_limit():
    huge = {"folder": "x", "segments": [{"name": "n" * 200, "offset": 0, "length": 1}] * 1000}
    with pytest.raises(ValueError, match="limit"):
        _script.build("backup-read", huge)


@pytest.mark.parametrize("snippet", [
    # PowerShell 3+
    "$o | ConvertTo-Json", "ConvertFrom-Json $s", "Get-CimInstance -ClassName Win32_Service", "$h = [ordered]@{}",
    "$o = [pscustomobject]@{ a = 1 }", "$sb = [System.Text.StringBuilder]::new()", "if ($a -in $b) { }",
    "if ($a -notin $b) { }", "$x = $list.Where({ $_ })", "$list.ForEach({ $_ })", "class Foo { }",
    "Get-ChildItem | ForEach-Object { $PSItem }", "Compress-Archive -Path a -DestinationPath b",
    "Invoke-RestMethod -Uri $u", "$s = $using:value", "$p = $PSScriptRoot", "Get-Item (",
    "Get-Content -Raw $p", "gc $p -Raw", "Get-ChildItem -File", "Get-ChildItem | Where-Object Name -eq 'x'",
    "Get-ChildItem | ? Name -eq 'x'", "$x | ForEach-Object Name", "Get-FileHash $p -Algorithm SHA256",
    # .NET 4 members CLR 2 lacks
    "[string]::IsNullOrWhiteSpace($x)",
    "$k = [Microsoft.Win32.RegistryKey]::OpenBaseKey('LocalMachine', 'Registry64')",
    "$v = [Microsoft.Win32.RegistryView]::Registry64", "[Environment]::Is64BitProcess", "$flags.HasFlag($x)",
    "[System.IO.File]::ReadLines($p)", "$sb = New-Object System.Text.StringBuilder\n$sb.Clear()",
    "function f([System.Text.StringBuilder]$Sb) { [void]$Sb.Clear() }",
    "$in = [System.IO.File]::OpenRead($p)\n$in.CopyTo($out)",
])
def test_the_denylist_catches_powershell_3_and_dotnet_4_features(snippet):
    assert violations(snippet.encode()), snippet


@pytest.mark.parametrize("snippet", [
    "$list = New-Object System.Collections.ArrayList\n$list.Clear()", "$h = @{}; $h.Clear()",
    "$bytes.CopyTo($other, 0)", "Get-Content $p", "Get-ChildItem | Where-Object { $_.Name -eq 'x' }",
    "$x | ForEach-Object -Process { $_ }", "[string]::IsNullOrEmpty($x)",
    "$k = [Microsoft.Win32.Registry]::LocalMachine.OpenSubKey('SOFTWARE', $false)",
    "# a comment may say Get-Content -Raw or IsNullOrWhiteSpace\n$x = 1",
])
def test_the_denylist_lets_pass_what_powershell_2_runs(snippet):
    assert violations(snippet.encode()) == []
