# entra-sync-upgrade:handoff-note v1
# Writes, reads or removes a handoff note (plugins/plugin_utils/_handoff.py): the text file that tells the operator
# which wizard step to perform, in a folder every operator sees (the all-users desktop, %PUBLIC%\Desktop).
# `$request` (written by the controller above): action (write|read|remove), folder (may hold %VARS%), name (the
# note's file name, entra-sync-upgrade-<step>.txt), lines (write: printable ASCII). Written as ASCII with CRLF
# line ends, so Notepad on every Windows version shows it as it is; a missing folder is created.

$ErrorActionPreference = 'Stop'
$out = @{ 'path' = $null; 'existed' = $false; 'written' = $false; 'removed' = $false; 'text' = $null;
    'error' = $null }
try {
    $action = [string]$request['action']
    $folder = [Environment]::ExpandEnvironmentVariables([string]$request['folder'])
    $name = [string]$request['name']
    if ($name -notmatch '^entra-sync-upgrade-[A-Za-z0-9_-]+\.txt$') { throw ('refused: note name ' + $name) }
    $path = [System.IO.Path]::Combine($folder, $name)
    $out['path'] = $path
    $out['existed'] = [System.IO.File]::Exists($path)
    if ($action -eq 'read') {
        if ($out['existed']) { $out['text'] = [System.IO.File]::ReadAllText($path, [System.Text.Encoding]::ASCII) }
    } elseif ($action -eq 'write') {
        if (-not [System.IO.Directory]::Exists($folder)) { [void][System.IO.Directory]::CreateDirectory($folder) }
        $text = [string]::Join("`r`n", [string[]]@($request['lines'])) + "`r`n"
        [System.IO.File]::WriteAllText($path, $text, [System.Text.Encoding]::ASCII)
        $out['written'] = $true
    } elseif ($action -eq 'remove') {
        if ($out['existed']) {
            [System.IO.File]::Delete($path)
            $out['removed'] = $true
        }
    } else {
        throw ('unknown action ' + $action)
    }
} catch {
    $out['error'] = Get-ErrorText $_
}
Write-JsonLine @{ 'handoff-note' = $out }
