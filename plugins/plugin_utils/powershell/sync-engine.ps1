# entra-sync-upgrade:sync-engine v1
# Reads and controls the sync engine's scheduler, cycles and run history; prints the engine's state afterwards.
# `$request` (written by the controller above): operation = status | scheduler | cycle | auto_upgrade,
# tool = connect | aadsync | dirsync, enabled (scheduler), policy = Delta | Initial (cycle),
# state = Enabled | Disabled (auto_upgrade), history = run profile results to read per connector (0 = none).
# Per tool:
#   connect  the ADSync module (CLR 4, so PowerShell 3.0+): Get-/Set-ADSyncScheduler, Start-ADSyncSyncCycle,
#            Get-ADSyncConnectorRunStatus, Get-ADSyncRunProfileResult, Get-/Set-ADSyncAutoUpgrade
#   aadsync  its scheduler is the Task Scheduler task 'Azure AD Sync Scheduler', through the Schedule.Service
#            COM object (PowerShell 2.0 and 4.0 alike; the ScheduledTasks module is 2012+ only)
#   dirsync  its scheduler is the MSOnline service (Microsoft.Online.DirSync.Scheduler.exe). Suspended = stopped
#            and disabled; its start mode and state before are kept under HKLM\SOFTWARE\EntraSyncUpgrade so the
#            scheduler comes back exactly as it was. PowerShell 2.0-safe.
#   connect, aadsync: `record` = write | remove keeps how the scheduler was before an upgrade suspended it, under
#            HKLM\SOFTWARE\EntraSyncUpgrade\Scheduler (Enabled), so a later run puts it back as it was
#   connect: pending_exports runs csexport.exe "<connector>" <file> /f:x per connector (Microsoft's staging-server
#            guide) and counts the pending export deltas by operation: add; update and replace (update);
#            delete and delete-add (delete). The file goes to %TEMP% and is removed after it is read.
# The controller decides whether anything needs to change (check mode, idempotence); this script only acts.

$ErrorActionPreference = 'Stop'
$AdSyncModule = [Environment]::ExpandEnvironmentVariables('%ProgramFiles%\Microsoft Azure AD Sync\Bin\ADSync\ADSync.psd1')
$AdSyncEngine = [Environment]::ExpandEnvironmentVariables('%ProgramFiles%\Microsoft Azure AD Sync\Bin\miiserver.exe')
$DirSyncScheduler = [Environment]::ExpandEnvironmentVariables(
    '%ProgramFiles%\Windows Azure Active Directory Sync\Microsoft.Online.DirSync.Scheduler.exe')
$AadSyncTask = 'Azure AD Sync Scheduler'
$DirSyncService = 'MSOnline'
$RecordKey = 'HKLM:\SOFTWARE\EntraSyncUpgrade\DirSyncScheduler'
$ServiceKey = 'HKLM:\SYSTEM\CurrentControlSet\Services\MSOnline'
$SchedulerRecordKey = 'HKLM:\SOFTWARE\EntraSyncUpgrade\Scheduler'
$CsExport = [Environment]::ExpandEnvironmentVariables('%ProgramFiles%\Microsoft Azure AD Sync\Bin\csexport.exe')

$tool = [string]$request['tool']
$operation = [string]$request['operation']
$out = @{ 'tool' = $tool; 'operation' = $operation; 'version' = $null; 'scheduler' = $null; 'in_progress' = $null;
    'running' = (New-Object System.Collections.ArrayList); 'auto_upgrade' = $null; 'run_history' = $null;
    'cycle' = $null; 'record' = $null; 'pending' = $null; 'error' = $null }

# how the scheduler was before the upgrade suspended it (connect, aadsync); written once, removed on resume
function Set-SchedulerRecord([string]$Action, [bool]$Enabled) {
    if ($Action -eq 'write' -and -not (Test-Path -Path $SchedulerRecordKey)) {
        [void](New-Item -Path $SchedulerRecordKey -Force)
        Set-ItemProperty -Path $SchedulerRecordKey -Name Enabled -Value ([int]$Enabled) -Type DWord
    } elseif ($Action -eq 'remove' -and (Test-Path -Path $SchedulerRecordKey)) {
        Remove-Item -Path $SchedulerRecordKey -Force
    }
}

function Read-SchedulerRecord {
    if (-not (Test-Path -Path $SchedulerRecordKey)) { return $null }
    return @{ 'enabled' = ([int](Get-ItemProperty -Path $SchedulerRecordKey).Enabled -eq 1) }
}

function Get-FileVersion([string]$Path) {
    if (-not (Test-Path -LiteralPath $Path)) { return $null }
    return [string](Get-Item -LiteralPath $Path).VersionInfo.FileVersion
}

function Get-AadSyncTask {
    $service = New-Object -ComObject Schedule.Service
    $service.Connect()
    return $service.GetFolder('\').GetTask($AadSyncTask)
}

function Get-DirSyncService {
    $svc = Get-WmiObject -Class Win32_Service -Filter ("Name='" + $DirSyncService + "'")
    if ($null -eq $svc) { throw ('the service ' + $DirSyncService + ' does not exist') }
    $mode = [string]$svc.StartMode
    if ($mode -eq 'Auto') {
        $delayed = (Get-ItemProperty -Path $ServiceKey -ErrorAction SilentlyContinue).DelayedAutostart
        if ($delayed -eq 1) { $mode = 'Delayed' }
    }
    return @{ 'state' = [string]$svc.State; 'start_mode' = $mode }
}

function Read-AdSyncState([int]$History) {
    $scheduler = Get-ADSyncScheduler
    $out['scheduler'] = @{ 'enabled' = [bool]$scheduler.SyncCycleEnabled; 'suspended' = [bool]$scheduler.SchedulerSuspended;
        'staging' = [bool]$scheduler.StagingModeEnabled }
    $out['in_progress'] = [bool]$scheduler.SyncCycleInProgress
    foreach ($status in @(Get-ADSyncConnectorRunStatus)) {
        if ($null -ne $status) { [void]$out['running'].Add([string]$status.ConnectorName) }
    }
    if ($null -ne (Get-Command -Name Get-ADSyncAutoUpgrade -ErrorAction SilentlyContinue)) {
        $out['auto_upgrade'] = [string](Get-ADSyncAutoUpgrade)
    }
    if ($History -gt 0) {
        $runs = New-Object System.Collections.ArrayList
        foreach ($connector in @(Get-ADSyncConnector)) {
            foreach ($run in @(Get-ADSyncRunProfileResult -ConnectorId $connector.Identifier -NumberRequested $History)) {
                if ($null -eq $run) { continue }
                [void]$runs.Add(@{ 'id' = [string]$run.RunHistoryId; 'connector' = [string]$run.ConnectorName;
                    'connector_id' = [string]$run.ConnectorId; 'run_profile' = [string]$run.RunProfileName;
                    'result' = [string]$run.Result; 'start' = (ConvertTo-PlainValue $run.StartDate);
                    'end' = (ConvertTo-PlainValue $run.EndDate) })
            }
        }
        $out['run_history'] = $runs
    }
}

# csexport's XML streamed (a connector space can be large): each cs-object's unapplied-export delta, by operation
function Read-PendingExports {
    $pending = New-Object System.Collections.ArrayList
    foreach ($connector in @(Get-ADSyncConnector)) {
        $file = Join-Path $env:TEMP ('entra-sync-upgrade-pending-' + [string]$connector.Identifier + '.xml')
        & $CsExport ([string]$connector.Name) $file '/f:x' | Out-Null
        if ($LASTEXITCODE -ne 0) { throw ('csexport failed for ' + [string]$connector.Name + ' (exit ' + $LASTEXITCODE + ')') }
        $counts = @{ 'connector' = [string]$connector.Name; 'add' = 0; 'update' = 0; 'delete' = 0 }
        $reader = [System.Xml.XmlReader]::Create($file)
        try {
            $inExport = $false
            while ($reader.Read()) {
                if ($reader.NodeType -eq [System.Xml.XmlNodeType]::Element -and $reader.Name -eq 'unapplied-export') {
                    $inExport = -not $reader.IsEmptyElement
                } elseif ($reader.NodeType -eq [System.Xml.XmlNodeType]::EndElement -and $reader.Name -eq 'unapplied-export') {
                    $inExport = $false
                } elseif ($inExport -and $reader.NodeType -eq [System.Xml.XmlNodeType]::Element -and $reader.Name -eq 'delta') {
                    $op = [string]$reader.GetAttribute('operation')
                    if ($op -eq 'add') { $counts['add'] += 1 }
                    elseif ($op -eq 'update' -or $op -eq 'replace') { $counts['update'] += 1 }
                    elseif ($op -eq 'delete' -or $op -eq 'delete-add') { $counts['delete'] += 1 }
                }
            }
        } finally {
            $reader.Close()
            Remove-Item -LiteralPath $file -Force -ErrorAction SilentlyContinue
        }
        [void]$pending.Add($counts)
    }
    return $pending
}

try {
    if ($tool -eq 'connect') {
        $out['version'] = Get-FileVersion $AdSyncEngine
        Import-Module $AdSyncModule -ErrorAction Stop -WarningAction SilentlyContinue
        if ($operation -eq 'scheduler') {
            Set-SchedulerRecord ([string]$request['record']) ([bool](Get-ADSyncScheduler).SyncCycleEnabled)
            Set-ADSyncScheduler -SyncCycleEnabled ([bool]$request['enabled'])
        } elseif ($operation -eq 'cycle') {
            $started = Start-ADSyncSyncCycle -PolicyType ([string]$request['policy'])
            $out['cycle'] = [string]$started.Result
        } elseif ($operation -eq 'auto_upgrade') {
            Set-ADSyncAutoUpgrade -AutoUpgradeState ([string]$request['state'])
        } elseif ($operation -eq 'pending_exports') {
            $out['pending'] = Read-PendingExports
        }
        Read-AdSyncState ([int]$request['history'])
        $out['record'] = Read-SchedulerRecord
    } elseif ($tool -eq 'aadsync') {
        $out['version'] = Get-FileVersion $AdSyncEngine
        $task = Get-AadSyncTask
        if ($operation -eq 'scheduler') {
            Set-SchedulerRecord ([string]$request['record']) ([bool]$task.Enabled)
            $task.Enabled = [bool]$request['enabled']
            $task = Get-AadSyncTask
        } elseif ($operation -ne 'status') {
            throw ('operation ' + $operation + ' is not run on Azure AD Sync')
        }
        # TASK_STATE: 1 disabled, 3 ready, 4 running
        $out['scheduler'] = @{ 'enabled' = [bool]$task.Enabled; 'suspended' = $null; 'staging' = $null }
        $out['in_progress'] = ([int]$task.State -eq 4)
        $out['record'] = Read-SchedulerRecord
    } elseif ($tool -eq 'dirsync') {
        $out['version'] = Get-FileVersion $DirSyncScheduler
        if ($operation -eq 'scheduler') {
            if ([bool]$request['enabled']) {
                $record = Get-ItemProperty -Path $RecordKey -ErrorAction SilentlyContinue
                $mode = 'Automatic'
                $state = 'Running'
                if ($null -ne $record) { $mode = [string]$record.StartMode; $state = [string]$record.State }
                if ($mode -eq 'Delayed') {
                    Set-Service -Name $DirSyncService -StartupType Automatic
                    Set-ItemProperty -Path $ServiceKey -Name DelayedAutostart -Value 1 -Type DWord
                } else {
                    if ($mode -eq 'Auto') { $mode = 'Automatic' }
                    Set-Service -Name $DirSyncService -StartupType $mode
                }
                if ($state -eq 'Running') { Start-Service -Name $DirSyncService }
                if ($null -ne $record) { Remove-Item -Path $RecordKey -Force }
            } else {
                if (-not (Test-Path -Path $RecordKey)) {
                    # the first suspension records the scheduler as it was; a repeated one keeps that record
                    $before = Get-DirSyncService
                    [void](New-Item -Path $RecordKey -Force)
                    Set-ItemProperty -Path $RecordKey -Name StartMode -Value $before['start_mode'] -Type String
                    Set-ItemProperty -Path $RecordKey -Name State -Value $before['state'] -Type String
                }
                Stop-Service -Name $DirSyncService
                Set-Service -Name $DirSyncService -StartupType Disabled
            }
        } elseif ($operation -ne 'status') {
            throw ('operation ' + $operation + ' is not run on DirSync')
        }
        $svc = Get-DirSyncService
        $out['scheduler'] = @{ 'enabled' = ($svc['state'] -eq 'Running' -and $svc['start_mode'] -ne 'Disabled');
            'suspended' = [bool](Test-Path -Path $RecordKey); 'staging' = $false; 'service' = $svc }
        if (Test-Path -Path $RecordKey) { $out['record'] = @{ 'enabled' = ([string](Get-ItemProperty -Path $RecordKey).State -eq 'Running') } }
    } else {
        throw ('unknown tool ' + $tool)
    }
} catch {
    $out['error'] = Get-ErrorText $_
}
Write-JsonLine @{ 'sync-engine' = $out }
