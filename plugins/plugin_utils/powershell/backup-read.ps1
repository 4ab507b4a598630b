# entra-sync-upgrade:backup-read v1
# Reads byte ranges of files in a staging folder that backup-stage filled, base64-encoded in one JSON document,
# so the controller can fetch a backup over raw WinRM from PowerShell 2.0 servers (Ansible's fetch needs 5.1).
# `$request` (written by the controller above): folder, segments = @(@{ name; offset; length }, ...).
# Read-only. A name must stay inside the folder.

$ErrorActionPreference = 'Stop'
$StagingRoot = [Environment]::ExpandEnvironmentVariables('%ProgramData%\EntraSyncUpgrade\backup\')

$out = @{ 'segments' = (New-Object System.Collections.ArrayList); 'error' = $null }
try {
    $folder = [Environment]::ExpandEnvironmentVariables([string]$request['folder'])
    if (-not $folder.StartsWith($StagingRoot, [StringComparison]::OrdinalIgnoreCase) -or $folder.Contains('..')) {
        throw ('refused: ' + $folder + ' is not below ' + $StagingRoot)
    }
    foreach ($segment in $request['segments']) {
        $name = [string]$segment['name']
        if ($name.Contains('..') -or $name.StartsWith('\')) { throw ('refused: file name ' + $name) }
        $length = [int]$segment['length']
        $buffer = New-Object byte[] $length
        $stream = [System.IO.File]::Open((Join-Path $folder $name), [System.IO.FileMode]::Open,
            [System.IO.FileAccess]::Read, [System.IO.FileShare]::Read)
        try {
            [void]$stream.Seek([long]$segment['offset'], [System.IO.SeekOrigin]::Begin)
            $filled = 0
            while ($filled -lt $length) {
                $n = $stream.Read($buffer, $filled, $length - $filled)
                if ($n -le 0) { break }
                $filled += $n
            }
        } finally {
            $stream.Close()
        }
        [void]$out['segments'].Add(@{ 'name' = $name; 'offset' = [long]$segment['offset'];
            'data' = [Convert]::ToBase64String($buffer, 0, $filled) })
    }
} catch {
    $out['error'] = Get-ErrorText $_
}
Write-JsonLine @{ 'backup-read' = $out }
