# entra-sync-upgrade:services v1
# Reads Windows services and, when asked, sets their start mode and state; prints each one afterwards.
# `$request`: services = list of @{ name; start_mode = auto | delayed | manual | disabled (optional);
# state = running | stopped (optional) }, apply = $true to change, $false to read only. Services are changed in
# the order given (the caller stops a scheduler before its engine, and starts them the other way round).
# Win32_Service and Set-Service/Start-Service/Stop-Service exist on PowerShell 2.0 (Windows Server 2008 R2), which
# the legacy sync servers run; the ansible.windows modules need 5.1. The controller decides what must change.

$ErrorActionPreference = 'Stop'
$out = @{ 'services' = (New-Object System.Collections.ArrayList); 'error' = $null }

function Read-Service([string]$Name) {
    $svc = Get-WmiObject -Class Win32_Service -Filter ("Name='" + $Name.Replace("'", "''") + "'")
    if ($null -eq $svc) { return @{ 'name' = $Name; 'exists' = $false; 'state' = $null; 'start_mode' = $null } }
    $mode = ([string]$svc.StartMode).ToLower()
    if ($mode -eq 'auto') {
        $key = 'HKLM:\SYSTEM\CurrentControlSet\Services\' + [string]$svc.Name
        $delayed = (Get-ItemProperty -Path $key -ErrorAction SilentlyContinue).DelayedAutostart
        if ($delayed -eq 1) { $mode = 'delayed' }
    }
    return @{ 'name' = [string]$svc.Name; 'exists' = $true; 'state' = ([string]$svc.State).ToLower(); 'start_mode' = $mode }
}

function Set-StartMode([string]$Name, [string]$Mode) {
    $key = 'HKLM:\SYSTEM\CurrentControlSet\Services\' + $Name
    if ($Mode -eq 'delayed') {
        Set-Service -Name $Name -StartupType Automatic
        Set-ItemProperty -Path $key -Name DelayedAutostart -Value 1 -Type DWord
    } elseif ($Mode -eq 'auto') {
        Set-Service -Name $Name -StartupType Automatic
        if ($null -ne (Get-ItemProperty -Path $key -ErrorAction SilentlyContinue).DelayedAutostart) {
            Set-ItemProperty -Path $key -Name DelayedAutostart -Value 0 -Type DWord
        }
    } else {
        Set-Service -Name $Name -StartupType $Mode
    }
}

try {
    $apply = [bool]$request['apply']
    foreach ($wanted in @($request['services'])) {
        $name = [string]$wanted['name']
        $now = Read-Service $name
        if ($apply -and $now['exists']) {
            $mode = [string]$wanted['start_mode']
            $state = [string]$wanted['state']
            # stop before disabling, enable before starting: a disabled service cannot start
            if ($state -eq 'stopped' -and $now['state'] -ne 'stopped') { Stop-Service -Name $name }
            if ($mode -ne '' -and $mode -ne $now['start_mode']) { Set-StartMode $name $mode }
            if ($state -eq 'running' -and $now['state'] -ne 'running') { Start-Service -Name $name }
            $now = Read-Service $name
        }
        [void]$out['services'].Add($now)
    }
} catch {
    $out['error'] = Get-ErrorText $_
}
Write-JsonLine @{ 'services' = $out }
