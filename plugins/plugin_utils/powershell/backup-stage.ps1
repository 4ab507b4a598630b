# entra-sync-upgrade:backup-stage v1
# Stages a configuration backup on the server, for the controller to read with backup-read. The controller
# writes `$request` above (plugins/plugin_utils/_backup_catalog.py decides the items):
#   mode plan     read-only: what each item would collect (sources, sizes, times; small files hashed), and the
#                 free space; nothing is written, no service is touched
#   mode collect  copy every item into the staging folder, then hash each staged file (SHA-256)
#   mode remove   delete the staging folder
# It runs on Windows PowerShell 2.0 (DirSync on 2008 R2). Each item has its own try/catch: one failure never
# stops the others. A service this script stops is started again in a finally block, whatever happens.

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$WarningPreference = 'SilentlyContinue'
$StagingRoot = [Environment]::ExpandEnvironmentVariables('%ProgramData%\EntraSyncUpgrade\backup\')
$Utf8 = New-Object System.Text.UTF8Encoding $false
$CommandsAllowed = @('Get-ADSyncServerConfiguration', 'Get-ADSyncScheduler')

function Get-Sha256([string]$Path) {
    $stream = [System.IO.File]::Open($Path, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read,
        [System.IO.FileShare]::ReadWrite)
    try {
        $sha = [System.Security.Cryptography.SHA256]::Create()
        $bytes = $sha.ComputeHash($stream)
    } finally {
        $stream.Close()
    }
    return ([BitConverter]::ToString($bytes)).Replace('-', '').ToLowerInvariant()
}

function New-FileRecord($File, [string]$Name, [bool]$Hash) {
    $record = @{ 'name' = $Name; 'source' = [string]$File.FullName; 'size' = [long]$File.Length;
        'mtime' = $File.LastWriteTimeUtc.ToString('yyyy-MM-ddTHH:mm:ssZ', $Invariant); 'sha256' = $null }
    if ($Hash) { $record['sha256'] = Get-Sha256 $File.FullName }
    return $record
}

function Get-OneFile($File, [bool]$Collect, [string]$Dir, [string]$Prefix, [long]$HashLimit) {
    # collect: copy the file into the item's folder and describe the copy; plan: describe the source
    if (-not $Collect) { return ,@(New-FileRecord $File ($Prefix + $File.Name) ($File.Length -le $HashLimit)) }
    $dest = Join-Path $Dir $File.Name
    [System.IO.File]::Copy($File.FullName, $dest, $true)
    $record = New-FileRecord (Get-Item -LiteralPath $dest -Force) ($Prefix + $File.Name) $true
    $record['source'] = $File.FullName
    return ,@($record)
}

function Get-TreeRecords([string]$Root, [string]$Prefix, [bool]$Hash) {
    # every file below $Root, named by its path relative to $Root under $Prefix
    $records = New-Object System.Collections.ArrayList
    foreach ($file in @(Get-ChildItem -LiteralPath $Root -Recurse -Force | Where-Object { -not $_.PSIsContainer })) {
        $relative = $file.FullName.Substring($Root.TrimEnd('\').Length + 1)
        [void]$records.Add((New-FileRecord $file ($Prefix + $relative) $Hash))
    }
    return ,$records
}

function Test-HklmKey([string]$Key) {
    if (-not $Key.StartsWith('HKLM\')) { throw ('refused: ' + $Key + ' is not under HKLM') }
    $handle = [Microsoft.Win32.Registry]::LocalMachine.OpenSubKey($Key.Substring(5), $false)
    if ($null -eq $handle) { return $false }
    $handle.Close()
    return $true
}

function Test-LocalDataSource([string]$Source) {
    $server = $Source.Split('\')[0].ToLowerInvariant()
    return ($server -eq '.' -or $server -eq '(local)' -or $server -eq 'localhost' -or
        $server -eq $env:COMPUTERNAME.ToLowerInvariant())
}

function Open-Sql([string]$Source) {
    $builder = New-Object System.Data.SqlClient.SqlConnectionStringBuilder
    $builder['Data Source'] = $Source
    $builder['Initial Catalog'] = 'master'
    $builder['Integrated Security'] = $true
    $builder['Connect Timeout'] = 15
    $connection = New-Object System.Data.SqlClient.SqlConnection $builder.ConnectionString
    $connection.Open()
    return $connection
}

function Invoke-Sql($Connection, [string]$Text) {
    $command = $Connection.CreateCommand()
    $command.CommandText = $Text
    $command.CommandTimeout = 0
    [void]$command.ExecuteNonQuery()
}

function Get-SqlBackupDirectory($Connection) {
    # the instance's default backup folder: the one place its service account may surely write
    $command = $Connection.CreateCommand()
    $command.CommandText = ("EXEC master.dbo.xp_instance_regread N'HKEY_LOCAL_MACHINE', " +
        "N'Software\Microsoft\MSSQLServer\MSSQLServer', N'BackupDirectory'")
    $reader = $command.ExecuteReader()
    try {
        if (-not $reader.Read()) { throw 'the SQL Server instance reports no default backup folder' }
        return [string]$reader.GetValue(1)
    } finally {
        $reader.Close()
    }
}

function Copy-WhenReleased([string]$Source, [string]$Dest, [int]$WaitSeconds) {
    # LocalDB releases its files some time after the sync service stops: retry while they are in use
    $deadline = [DateTime]::UtcNow.AddSeconds($WaitSeconds)
    while ($true) {
        try {
            [System.IO.File]::Copy($Source, $Dest, $true)
            return
        } catch {
            $ex = Get-InnerException $_
            if ($ex -isnot [System.IO.IOException] -or [DateTime]::UtcNow -gt $deadline) { throw }
            Start-Sleep -Seconds 5
        }
    }
}

function Invoke-Item($Item, [string]$Mode, [string]$Folder, [long]$HashLimit) {
    $id = [string]$Item['id']
    $kind = [string]$Item['kind']
    $result = @{ 'id' = $id; 'kind' = $kind; 'status' = 'present'; 'message' = $null; 'files' = @() }
    $collect = ($Mode -eq 'collect')
    $dir = Join-Path $Folder $id
    $prefix = $id + '\'
    if ($collect) { [void](New-Item -ItemType Directory -Path $dir -Force) }

    if ($kind -eq 'file') {
        $source = [Environment]::ExpandEnvironmentVariables([string]$Item['path'])
        if (-not (Test-Path -LiteralPath $source -PathType Leaf)) {
            $result['status'] = 'absent'; $result['message'] = ('no file ' + $source); return $result
        }
        $result['files'] = Get-OneFile (Get-Item -LiteralPath $source -Force) $collect $dir $prefix $HashLimit
    } elseif ($kind -eq 'newest') {
        $parent = [Environment]::ExpandEnvironmentVariables([string]$Item['folder'])
        $wantFolder = ([string]$Item['type'] -eq 'folder')
        if (-not (Test-Path -LiteralPath $parent -PathType Container)) {
            $result['status'] = 'absent'; $result['message'] = ('no folder ' + $parent); return $result
        }
        $children = @(Get-ChildItem -LiteralPath $parent -Filter ([string]$Item['filter']) -Force)
        $found = @($children | Where-Object { $_.PSIsContainer -eq $wantFolder } | Sort-Object -Property @('LastWriteTimeUtc', 'Name') -Descending)
        if ($found.Count -eq 0) {
            $result['status'] = 'absent'
            $result['message'] = ('nothing matches ' + [string]$Item['filter'] + ' in ' + $parent)
            return $result
        }
        $newest = $found[0]
        if (-not $wantFolder) {
            $result['files'] = Get-OneFile $newest $collect $dir $prefix $HashLimit
        } elseif ($collect) {
            Copy-Item -LiteralPath $newest.FullName -Destination $dir -Recurse -Force
            $result['files'] = Get-TreeRecords $dir $prefix $true
        } else {
            $result['files'] = Get-TreeRecords $newest.FullName ($prefix + $newest.Name + '\') $false
        }
    } elseif ($kind -eq 'registry') {
        $key = [string]$Item['key']
        if (-not (Test-HklmKey $key)) {
            $result['status'] = 'absent'; $result['message'] = ('no registry key ' + $key); return $result
        }
        if ($collect) {
            $dest = Join-Path $dir ($id + '.reg')
            $output = & reg.exe export $key $dest /y 2>&1
            if ($LASTEXITCODE -ne 0) { throw ('reg.exe export ' + $key + ' failed: ' + ([string]::Join(' ', @($output)))) }
            $record = New-FileRecord (Get-Item -LiteralPath $dest -Force) ($prefix + $id + '.reg') $true
            $record['source'] = $key
            $result['files'] = @($record)
        }
    } elseif ($kind -eq 'cmdlet') {
        $name = [string]$Item['command']
        if ($CommandsAllowed -notcontains $name) { throw ('refused: ' + $name + ' is not a command this script runs') }
        $module = [Environment]::ExpandEnvironmentVariables([string]$Item['module'])
        if (-not (Test-Path -LiteralPath $module)) {
            $result['status'] = 'unavailable'; $result['message'] = ('no ADSync module at ' + $module); return $result
        }
        if ($PSVersionTable.PSVersion.Major -lt 3) {
            $result['status'] = 'unavailable'
            $result['message'] = ('PowerShell ' + $PSVersionTable.PSVersion.ToString() + ' cannot load the ADSync module')
            return $result
        }
        Import-Module $module -ErrorAction Stop -WarningAction SilentlyContinue
        if ($null -eq (Get-Command -Name $name -ErrorAction SilentlyContinue)) {
            $result['status'] = 'unavailable'; $result['message'] = ('this build has no ' + $name); return $result
        }
        if ($collect -and [string]$Item['output'] -eq 'folder') {
            & $name -Path $dir | Out-Null
            $result['files'] = Get-TreeRecords $dir $prefix $true
        } elseif ($collect) {
            # one "Name=Value" line per property, ordinal order: plain text a change board can read and diff
            $lines = New-Object System.Collections.ArrayList
            foreach ($object in @(& $name)) {
                $names = @($object.PSObject.Properties | ForEach-Object { [string]$_.Name })
                [Array]::Sort($names, [System.StringComparer]::Ordinal)
                foreach ($property in $names) {
                    $value = $object.PSObject.Properties[$property].Value
                    if ($null -eq $value) { $value = '' }
                    [void]$lines.Add($property + '=' + [string]$value)
                }
            }
            $dest = Join-Path $dir ($id + '.txt')
            [System.IO.File]::WriteAllText($dest, ([string]::Join("`r`n", [string[]]$lines.ToArray([string])) + "`r`n"),
                $Utf8)
            $record = New-FileRecord (Get-Item -LiteralPath $dest -Force) ($prefix + $id + '.txt') $true
            $record['source'] = $name
            $result['files'] = @($record)
        }
    } elseif ($kind -eq 'sql_backup') {
        $source = [string]$Item['data_source']
        $database = [string]$Item['database']
        if (-not (Test-LocalDataSource $source)) {
            throw ('the database ' + $database + ' is on SQL Server ' + $source +
                ', not on this server: back it up on the SQL Server (a COPY_ONLY backup)')
        }
        $connection = Open-Sql $source
        try {
            $backupDir = Get-SqlBackupDirectory $connection
            $result['backup_directory'] = $backupDir
            if ($collect) {
                $bak = Join-Path $backupDir ($database + '-entra-sync-upgrade-' + [string]$Item['stamp'] + '.bak')
                $quotedName = $database.Replace(']', ']]')
                $quotedPath = $bak.Replace("'", "''")
                Invoke-Sql $connection ("BACKUP DATABASE [" + $quotedName + "] TO DISK = N'" + $quotedPath +
                    "' WITH COPY_ONLY, INIT, CHECKSUM")
                Invoke-Sql $connection ("RESTORE VERIFYONLY FROM DISK = N'" + $quotedPath + "' WITH CHECKSUM")
                $dest = Join-Path $dir ($database + '.bak')
                Move-Item -LiteralPath $bak -Destination $dest -Force
                $record = New-FileRecord (Get-Item -LiteralPath $dest -Force) ($prefix + $database + '.bak') $true
                $record['source'] = ('BACKUP DATABASE [' + $database + '] on ' + $source + ' WITH COPY_ONLY')
                $result['files'] = @($record)
            }
        } finally {
            $connection.Close()
        }
    } elseif ($kind -eq 'offline_copy') {
        $serviceName = [string]$Item['service']
        $sources = @()
        foreach ($path in $Item['paths']) {
            $expanded = [Environment]::ExpandEnvironmentVariables([string]$path)
            if (-not (Test-Path -LiteralPath $expanded -PathType Leaf)) { throw ('no database file ' + $expanded) }
            $sources += Get-Item -LiteralPath $expanded -Force
        }
        $service = Get-Service -Name $serviceName
        $result['service'] = @{ 'name' = $serviceName; 'before' = [string]$service.Status; 'after' = $null;
            'stopped_seconds' = $null }
        if (-not $collect) {
            $result['files'] = @($sources | ForEach-Object { New-FileRecord $_ ($prefix + $_.Name) $false })
            $result['service']['after'] = [string]$service.Status
            return $result
        }
        $wasRunning = ($service.Status -eq 'Running')
        $stoppedAt = [DateTime]::UtcNow
        $records = New-Object System.Collections.ArrayList
        try {
            if ($wasRunning) { Stop-Service -Name $serviceName }
            foreach ($file in $sources) {
                $dest = Join-Path $dir $file.Name
                Copy-WhenReleased $file.FullName $dest ([int]$Item['lock_wait_seconds'])
                $record = New-FileRecord (Get-Item -LiteralPath $dest -Force) ($prefix + $file.Name) $false
                $record['source'] = $file.FullName
                [void]$records.Add($record)
            }
        } catch {
            $result['status'] = 'failed'
            $result['message'] = Get-ErrorText $_
        } finally {
            if ($wasRunning) {
                try { Start-Service -Name $serviceName } catch { $result['restart_error'] = Get-ErrorText $_ }
            }
            $result['service']['after'] = [string](Get-Service -Name $serviceName).Status
            $result['service']['stopped_seconds'] = [int]([DateTime]::UtcNow - $stoppedAt).TotalSeconds
        }
        if ($result['status'] -eq 'failed') { return $result }
        # hashed after the service is back: sync waits only for the copy
        foreach ($record in $records) { $record['sha256'] = Get-Sha256 (Join-Path $Folder $record['name']) }
        $result['files'] = $records
    } else {
        throw ('refused: item kind ' + $kind)
    }
    if ($collect) { $result['status'] = 'collected' }
    return $result
}

# ---- the request -------------------------------------------------------------------------------------------

$out = @{ 'mode' = $null; 'folder' = $null; 'free_bytes' = $null; 'items' = @{}; 'error' = $null;
    'powershell' = $PSVersionTable.PSVersion.ToString() }
try {
    $mode = [string]$request['mode']
    $folder = [Environment]::ExpandEnvironmentVariables([string]$request['folder'])
    $out['mode'] = $mode
    $out['folder'] = $folder
    # the staging folder is always a folder of its own below the project's staging root
    if (-not $folder.StartsWith($StagingRoot, [StringComparison]::OrdinalIgnoreCase) -or
        $folder.Length -le $StagingRoot.Length -or $folder.Contains('..')) {
        throw ('refused: staging folder ' + $folder + ' is not below ' + $StagingRoot)
    }
    if ($mode -eq 'remove') {
        if (Test-Path -LiteralPath $folder) { Remove-Item -LiteralPath $folder -Recurse -Force }
        # the folders above it go too when nothing else is in them: the server is left as it was
        foreach ($parent in @($StagingRoot, [System.IO.Path]::GetDirectoryName($StagingRoot.TrimEnd('\')))) {
            if ((Test-Path -LiteralPath $parent) -and @(Get-ChildItem -LiteralPath $parent -Force).Count -eq 0) {
                Remove-Item -LiteralPath $parent -Force
            }
        }
    } elseif ($mode -eq 'plan' -or $mode -eq 'collect') {
        if ($mode -eq 'collect') { [void](New-Item -ItemType Directory -Path $folder -Force) }
        foreach ($item in $request['items']) {
            try {
                $out['items'][[string]$item['id']] = Invoke-Item $item $mode $folder ([long]$request['hash_limit'])
            } catch {
                $out['items'][[string]$item['id']] = @{ 'id' = [string]$item['id']; 'kind' = [string]$item['kind'];
                    'status' = 'failed'; 'message' = (Get-ErrorText $_); 'files' = @() }
            }
        }
    } else {
        throw ('refused: mode ' + $mode)
    }
    $drive = New-Object System.IO.DriveInfo ($StagingRoot.Substring(0, 1))
    $out['free_bytes'] = [long]$drive.AvailableFreeSpace
} catch {
    $out['error'] = Get-ErrorText $_
}
Write-JsonLine @{ 'backup-stage' = $out }
