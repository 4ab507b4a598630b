# entra-sync-upgrade:settings-export v1
# Finds, produces and stages a sync server's settings for the controller to read with backup-read, and checks
# settings pushed to a new server. The controller writes `$request` above (plugins/action/sync_settings.py):
#   operation stage    method json_export (newest %ProgramData%\AADConnect\Applied-SynchronizationPolicy-*.json),
#                      migrate_settings (newest %ProgramData%\AADConnect\Exported-ServerConfiguration-* folder),
#                      file (the file at `path`), export_config (Get-ADSyncServerConfiguration -Path); with
#                      collect = $false read-only (what would be staged, hashed), else copied into `folder`
#   operation migrate  write MigrateSettings.ps1 (base64 `script`) into `folder`, check its SHA-256 and that
#                      Microsoft signed it (Authenticode), then run it (it writes under %ProgramData%\AADConnect)
#   operation check    hash the files `names` below `folder` (a push target); create = $true makes the folders
#   operation remove   delete the staging folder
# It runs on Windows PowerShell 2.0.

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$WarningPreference = 'SilentlyContinue'
$StagingRoot = [Environment]::ExpandEnvironmentVariables('%ProgramData%\EntraSyncUpgrade\backup\')
$PushRoot = [Environment]::ExpandEnvironmentVariables('%ProgramData%\EntraSyncUpgrade\settings\')
$DataFolder = [Environment]::ExpandEnvironmentVariables('%ProgramData%\AADConnect')
$Module = [Environment]::ExpandEnvironmentVariables('%ProgramFiles%\Microsoft Azure AD Sync\Bin\ADSync\ADSync.psd1')
$Invariant = [System.Globalization.CultureInfo]::InvariantCulture
$MicrosoftSigner = 'O=Microsoft Corporation'

function Get-Sha256([string]$Path) {
    $stream = [System.IO.File]::Open($Path, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read,
        [System.IO.FileShare]::ReadWrite)
    try {
        $bytes = [System.Security.Cryptography.SHA256]::Create().ComputeHash($stream)
    } finally {
        $stream.Close()
    }
    return ([BitConverter]::ToString($bytes)).Replace('-', '').ToLowerInvariant()
}

function Assert-Below([string]$Path, [string]$Root) {
    if (-not $Path.StartsWith($Root, [StringComparison]::OrdinalIgnoreCase) -or $Path.Contains('..')) {
        throw ('refused: ' + $Path + ' is not below ' + $Root)
    }
}

function Get-Newest([string]$Filter, [bool]$Folders) {
    if (-not (Test-Path -LiteralPath $DataFolder)) { return $null }
    $all = @(Get-ChildItem -LiteralPath $DataFolder -Filter $Filter -Force)
    $found = @($all | Where-Object { $_.PSIsContainer -eq $Folders } | Sort-Object -Property @('LastWriteTimeUtc', 'Name'))
    if ($found.Count -eq 0) { return $null }
    return $found[$found.Count - 1]
}

function Get-FilesBelow([string]$Root) {
    $all = @(Get-ChildItem -LiteralPath $Root -Recurse -Force)
    return ,@($all | Where-Object { -not $_.PSIsContainer } | Sort-Object FullName)
}

function Get-Located([string]$Method, [string]$Path) {
    # (the source folder or file, the files below it as @{ file; name })
    $list = New-Object System.Collections.ArrayList
    if ($Method -eq 'json_export') {
        $file = Get-Newest 'Applied-SynchronizationPolicy-*.json' $false
        if ($null -eq $file) { throw ('no Applied-SynchronizationPolicy-*.json in ' + $DataFolder) }
        [void]$list.Add(@{ 'file' = $file; 'name' = $file.Name })
        return @($file.FullName, $list)
    }
    if ($Method -eq 'migrate_settings') {
        $dir = Get-Newest 'Exported-ServerConfiguration-*' $true
        if ($null -eq $dir) { throw ('no Exported-ServerConfiguration-* folder in ' + $DataFolder) }
        foreach ($file in @(Get-FilesBelow $dir.FullName)) {
            $relative = $file.FullName.Substring($dir.FullName.TrimEnd('\').Length + 1)
            [void]$list.Add(@{ 'file' = $file; 'name' = ($dir.Name + '\' + $relative) })
        }
        return @($dir.FullName, $list)
    }
    if ($Method -eq 'file') {
        $full = [Environment]::ExpandEnvironmentVariables($Path)
        if (-not (Test-Path -LiteralPath $full -PathType Leaf)) { throw ('Could not find file ''' + $full + '''.') }
        $file = Get-Item -LiteralPath $full -Force
        [void]$list.Add(@{ 'file' = $file; 'name' = $file.Name })
        return @($file.FullName, $list)
    }
    throw ('unknown method ' + $Method)
}

function New-Record($File, [string]$Name) {
    return @{ 'name' = $Name; 'source' = [string]$File.FullName; 'size' = [long]$File.Length;
        'mtime' = $File.LastWriteTimeUtc.ToString('yyyy-MM-ddTHH:mm:ssZ', $Invariant);
        'sha256' = (Get-Sha256 $File.FullName) }
}

function Invoke-ExportConfig([string]$Folder, [bool]$Collect) {
    if (-not (Test-Path -LiteralPath $Module)) { throw ('no ADSync module at ' + $Module) }
    if ($PSVersionTable.PSVersion.Major -lt 3) {
        throw ('PowerShell ' + $PSVersionTable.PSVersion.ToString() + ' cannot load the ADSync module')
    }
    Import-Module $Module -ErrorAction Stop -WarningAction SilentlyContinue
    if ($null -eq (Get-Command -Name 'Get-ADSyncServerConfiguration' -ErrorAction SilentlyContinue)) {
        throw 'this build has no Get-ADSyncServerConfiguration'
    }
    if (-not $Collect) { return }
    Get-ADSyncServerConfiguration -Path (Join-Path $Folder 'export') | Out-Null
}

$out = @{ 'operation' = $null; 'files' = @(); 'located' = $null; 'signer' = $null; 'error' = $null }
try {
    $operation = [string]$request['operation']
    if ($request['module']) { $Module = [Environment]::ExpandEnvironmentVariables([string]$request['module']) }
    $out['operation'] = $operation
    $folder = [Environment]::ExpandEnvironmentVariables([string]$request['folder'])
    if ($operation -eq 'stage') {
        $collect = [bool]$request['collect']
        Assert-Below $folder $StagingRoot
        $records = New-Object System.Collections.ArrayList
        if ([string]$request['method'] -eq 'export_config') {
            Invoke-ExportConfig $folder $collect
            if ($collect) {
                $root = Join-Path $folder 'export'
                foreach ($file in @(Get-FilesBelow $root)) {
                    [void]$records.Add((New-Record $file ('export\' + $file.FullName.Substring($root.Length + 1))))
                }
            }
            $out['located'] = 'Get-ADSyncServerConfiguration'
        } else {
            $located = Get-Located ([string]$request['method']) ([string]$request['path'])
            $out['located'] = $located[0]
            foreach ($entry in $located[1]) {
                if ($collect) {
                    $dest = Join-Path $folder $entry['name']
                    $parent = Split-Path -Parent $dest
                    if (-not (Test-Path -LiteralPath $parent)) { [void](New-Item -ItemType Directory -Path $parent -Force) }
                    [System.IO.File]::Copy($entry['file'].FullName, $dest, $true)
                    $record = New-Record (Get-Item -LiteralPath $dest -Force) $entry['name']
                    $record['source'] = $entry['file'].FullName
                } else {
                    $record = New-Record $entry['file'] $entry['name']
                }
                [void]$records.Add($record)
            }
        }
        $out['files'] = $records.ToArray()
    } elseif ($operation -eq 'migrate') {
        Assert-Below $folder $StagingRoot
        if (-not (Test-Path -LiteralPath $folder)) { [void](New-Item -ItemType Directory -Path $folder -Force) }
        $path = Join-Path $folder 'MigrateSettings.ps1'
        [System.IO.File]::WriteAllBytes($path, [Convert]::FromBase64String([string]$request['script']))
        if ((Get-Sha256 $path) -ne [string]$request['sha256']) {
            throw ('refused: ' + $path + ' does not have the SHA-256 the controller sent')
        }
        $signature = Get-AuthenticodeSignature -FilePath $path
        $subject = ''
        if ($null -ne $signature.SignerCertificate) { $subject = [string]$signature.SignerCertificate.Subject }
        $out['signer'] = @{ 'status' = [string]$signature.Status; 'subject' = $subject }
        if ([string]$signature.Status -ne 'Valid' -or $subject.IndexOf($MicrosoftSigner) -lt 0) {
            throw ('refused: ' + $path + ' is not signed by Microsoft (' + [string]$signature.Status + ', ' + $subject + ')')
        }
        & $path | Out-Null
        $located = Get-Located 'migrate_settings' ''
        $out['located'] = $located[0]
    } elseif ($operation -eq 'check') {
        Assert-Below $folder $PushRoot
        $records = New-Object System.Collections.ArrayList
        foreach ($name in @($request['names'])) {
            $name = [string]$name
            if ($name.Contains('..') -or $name.StartsWith('\')) { throw ('refused: file name ' + $name) }
            $path = Join-Path $folder $name
            $parent = Split-Path -Parent $path
            if ([bool]$request['create'] -and -not (Test-Path -LiteralPath $parent)) {
                [void](New-Item -ItemType Directory -Path $parent -Force)
            }
            $sha = $null
            if (Test-Path -LiteralPath $path -PathType Leaf) { $sha = Get-Sha256 $path }
            [void]$records.Add(@{ 'name' = $name; 'sha256' = $sha })
        }
        $out['files'] = $records.ToArray()
    } elseif ($operation -eq 'remove') {
        Assert-Below $folder $StagingRoot
        if (Test-Path -LiteralPath $folder) { Remove-Item -LiteralPath $folder -Recurse -Force }
    } else {
        throw ('unknown operation ' + $operation)
    }
} catch {
    $out['error'] = Get-ErrorText $_
}
Write-JsonLine @{ 'settings-export' = $out }
