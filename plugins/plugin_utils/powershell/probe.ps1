# entra-sync-upgrade:probe v1
# Read-only detection probe. The controller writes `$request = @{...}` (PowerShell literals, see
# plugins/plugin_utils/_evidence.py for the format) above this body; the probe gathers exactly that and
# prints ONE JSON document. It must run on Windows PowerShell 2.0 (DirSync on 2008 R2), so it uses only
# 2.0 language and cmdlets: no ConvertTo-Json, no Get-CimInstance, no [ordered], no ::new().
# Each item has its own try/catch: a failure is recorded in "errors" and never stops the other items.
# Nothing here writes: registry keys are opened read-only, SQL runs a single SELECT, cmdlets must be Get-.

$ErrorActionPreference = 'Stop'
$WarningPreference = 'SilentlyContinue'
$ProgressPreference = 'SilentlyContinue'
$ProbeErrors = New-Object System.Collections.ArrayList
$ProbeSql = @{}
$KnownSections = @('environment', 'registry', 'registry_children', 'services', 'files', 'text_files', 'wmi',
    'sql', 'cmdlets')
$RegistryKinds = @{ 'String' = 'string'; 'ExpandString' = 'expandstring'; 'MultiString' = 'multistring';
    'DWord' = 'dword'; 'QWord' = 'qword'; 'Binary' = 'binary'; 'None' = 'none'; 'Unknown' = 'unknown' }

# ---- errors ------------------------------------------------------------------------------------------------

function Add-ProbeError([string]$Section, [string]$Item, $Err) {
    $ex = Get-InnerException $Err
    if ($ex -is [System.Exception]) { $message = [string]$ex.Message } else { $message = [string]$ex }
    $message = $message.Trim()
    [void]$ProbeErrors.Add(@{ 'section' = $Section; 'item' = $Item; 'message' = $message })
    return $message
}

# ---- registry (the .NET API: no provider quirks with '*' or '[' in key names, and raw REG_EXPAND_SZ) --------

function Open-ProbeRegistryKey([string]$Path) {
    $i = $Path.IndexOf('\')
    if ($i -lt 0) { $hive = $Path; $sub = '' } else { $hive = $Path.Substring(0, $i); $sub = $Path.Substring($i + 1) }
    $root = $null
    switch ($hive.TrimEnd(':').ToUpperInvariant()) {
        'HKLM' { $root = [Microsoft.Win32.Registry]::LocalMachine }
        'HKEY_LOCAL_MACHINE' { $root = [Microsoft.Win32.Registry]::LocalMachine }
        'HKCU' { $root = [Microsoft.Win32.Registry]::CurrentUser }
        'HKEY_CURRENT_USER' { $root = [Microsoft.Win32.Registry]::CurrentUser }
        'HKCR' { $root = [Microsoft.Win32.Registry]::ClassesRoot }
        'HKEY_CLASSES_ROOT' { $root = [Microsoft.Win32.Registry]::ClassesRoot }
        'HKU' { $root = [Microsoft.Win32.Registry]::Users }
        'HKEY_USERS' { $root = [Microsoft.Win32.Registry]::Users }
    }
    if ($null -eq $root) { throw ('not a registry path: ' + $Path) }
    if ($sub -eq '') { return $root }
    return $root.OpenSubKey($sub, $false)
}

function ConvertTo-ProbeRegistryData([string]$Kind, $Data) {
    # DWORD/QWORD come back signed from .NET; report them unsigned, as regedit shows them
    if ($Kind -eq 'dword') { return [System.BitConverter]::ToUInt32([System.BitConverter]::GetBytes([int]$Data), 0) }
    if ($Kind -eq 'qword') { return [System.BitConverter]::ToUInt64([System.BitConverter]::GetBytes([long]$Data), 0) }
    if ($Kind -eq 'string' -or $Kind -eq 'expandstring') { return [string]$Data }
    if ($null -eq $Data) { return ,@() }
    return ,@($Data)
}

function Read-ProbeRegistryValues($Key, $Names) {
    $present = @{}
    foreach ($n in $Key.GetValueNames()) { $present[$n] = $n }
    if ($null -eq $Names) { $Names = $Key.GetValueNames() }
    $values = @{}
    foreach ($n in $Names) {
        $actual = $present[[string]$n]
        if ($null -ne $actual) {
            $kind = $RegistryKinds[[string]$Key.GetValueKind($actual)]
            $data = $Key.GetValue($actual, $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
            $values[$actual] = @{ 'type' = $kind; 'data' = (ConvertTo-ProbeRegistryData $kind $data) }
        }
    }
    return $values
}

function Get-ProbeSubKeyNames($Key) {
    $names = [string[]]$Key.GetSubKeyNames()
    [Array]::Sort($names, [System.StringComparer]::Ordinal)
    return ,$names
}

# ---- WMI and SQL helpers ------------------------------------------------------------------------------------

function Get-ProbeWmiStatus($Err) {
    # "Invalid namespace" / "Invalid class" mean the product is absent, which is evidence, not an error
    $ex = $Err
    if ($Err -is [System.Management.Automation.ErrorRecord]) { $ex = $Err.Exception }
    $depth = 0
    while ($null -ne $ex -and $depth -lt 10) {
        if ($ex.GetType().FullName -eq 'System.Management.ManagementException') { return [string]$ex.ErrorCode }
        if ($ex -is [System.Management.Automation.ActionPreferenceStopException] -and $null -ne $ex.ErrorRecord) {
            $ex = $ex.ErrorRecord.Exception
        } else {
            $ex = $ex.InnerException
        }
        $depth++
    }
    return ''
}

function Get-ProbeSqlTarget([string]$KeyPath) {
    # One connection per Parameters key, opened once; a failure is remembered for the other queries.
    if ($ProbeSql.ContainsKey($KeyPath)) { return $ProbeSql[$KeyPath] }
    $target = @{ 'key_exists' = $false; 'data_source' = $null; 'database' = $null; 'connection' = $null;
        'error' = $null }
    $ProbeSql[$KeyPath] = $target
    $key = $null
    try {
        $key = Open-ProbeRegistryKey $KeyPath
        if ($null -ne $key) {
            $target['key_exists'] = $true
            $server = [string]$key.GetValue('Server')
            $instance = [string]$key.GetValue('SQLInstance')
            $database = [string]$key.GetValue('DBName')
            # Server '' = this computer; LocalDB is Server '(localdb)' + SQLInstance '.\ADSync2019'
            if ($server -eq '') { $server = '.' }
            $source = $server
            if ($instance -ne '') { $source = $server + '\' + $instance }
            $target['data_source'] = $source
            if ($database -eq '') { throw ('no DBName value in ' + $KeyPath) }
            $target['database'] = $database
            Add-Type -AssemblyName System.Data
            $builder = New-Object System.Data.SqlClient.SqlConnectionStringBuilder
            $builder.DataSource = $source
            $builder.InitialCatalog = $database
            $builder.IntegratedSecurity = $true
            $builder.ConnectTimeout = 10
            $builder.ApplicationName = 'entra-sync-upgrade probe'
            $connection = New-Object System.Data.SqlClient.SqlConnection ($builder.ConnectionString)
            $connection.Open()
            $target['connection'] = $connection
        }
    } catch {
        $target['error'] = $_
    } finally {
        if ($null -ne $key) { $key.Close() }
    }
    return $target
}

# ---- the sections, in a fixed order (the lab answers in the same order) ------------------------------------

$out = @{ 'probe' = 1; 'host' = @{}; 'environment' = @{}; 'registry' = @{}; 'registry_children' = @{};
    'services' = @{}; 'files' = @{}; 'text_files' = @{}; 'wmi' = @{}; 'sql' = @{}; 'cmdlets' = $null;
    'errors' = $ProbeErrors }

if ($request -isnot [System.Collections.IDictionary]) {
    [void](Add-ProbeError 'request' '' 'no $request hashtable above the probe body')
    $request = @{}
}
$unknown = New-Object System.Collections.ArrayList
foreach ($entry in $request.GetEnumerator()) {
    if ($KnownSections -notcontains [string]$entry.Key) { [void]$unknown.Add([string]$entry.Key) }
}
$unknownNames = [string[]]$unknown.ToArray([string])
[Array]::Sort($unknownNames, [System.StringComparer]::Ordinal)
foreach ($name in $unknownNames) { [void](Add-ProbeError 'request' $name 'unknown request section') }

try {
    $out['host'] = @{ 'computer_name' = $env:COMPUTERNAME; 'powershell_version' = $PSVersionTable.PSVersion.ToString();
        'process_64bit' = ([IntPtr]::Size -eq 8) }
} catch { [void](Add-ProbeError 'host' '' $_) }

if ($null -ne $request['environment']) {
    foreach ($name in $request['environment']) {
        try { $out['environment'][[string]$name] = [Environment]::GetEnvironmentVariable([string]$name) }
        catch { [void](Add-ProbeError 'environment' $name $_) }
    }
}

if ($null -ne $request['registry']) {
    foreach ($item in $request['registry']) {
        $path = [string]$item['path']
        $entry = @{ 'exists' = $false }
        $key = $null
        try {
            $key = Open-ProbeRegistryKey $path
            if ($null -ne $key) {
                $entry = @{ 'exists' = $true; 'values' = (Read-ProbeRegistryValues $key $item['values']) }
                if ($item['subkeys']) { $entry['subkeys'] = (Get-ProbeSubKeyNames $key) }
            }
        } catch {
            $entry = @{ 'error' = (Add-ProbeError 'registry' $path $_) }
        } finally {
            if ($null -ne $key) { $key.Close() }
        }
        $out['registry'][$path] = $entry
    }
}

if ($null -ne $request['registry_children']) {
    foreach ($item in $request['registry_children']) {
        $path = [string]$item['path']
        $entry = @{ 'exists' = $false }
        $key = $null
        try {
            $key = Open-ProbeRegistryKey $path
            if ($null -ne $key) {
                $children = @{}
                foreach ($name in (Get-ProbeSubKeyNames $key)) {
                    $child = $null
                    try {
                        $child = $key.OpenSubKey($name, $false)
                        if ($null -ne $child) { $children[$name] = @{ 'values' = (Read-ProbeRegistryValues $child $item['values']) } }
                    } catch {
                        $children[$name] = @{ 'error' = (Add-ProbeError 'registry_children' ($path + '\' + $name) $_) }
                    } finally {
                        if ($null -ne $child) { $child.Close() }
                    }
                }
                $entry = @{ 'exists' = $true; 'children' = $children }
            }
        } catch {
            $entry = @{ 'error' = (Add-ProbeError 'registry_children' $path $_) }
        } finally {
            if ($null -ne $key) { $key.Close() }
        }
        $out['registry_children'][$path] = $entry
    }
}

if ($null -ne $request['services']) {
    try {
        $all = @{}
        $serviceProperties = @('Name', 'DisplayName', 'State', 'StartMode', 'StartName', 'PathName')
        foreach ($svc in @(Get-WmiObject -Class Win32_Service -Property $serviceProperties)) {
            $all[[string]$svc.Name] = $svc
        }
        foreach ($name in $request['services']) {
            $svc = $all[[string]$name]
            if ($null -eq $svc) {
                $out['services'][[string]$name] = @{ 'exists' = $false }
            } else {
                $out['services'][[string]$name] = @{ 'exists' = $true; 'name' = [string]$svc.Name;
                    'display_name' = [string]$svc.DisplayName; 'state' = [string]$svc.State;
                    'start_mode' = [string]$svc.StartMode; 'account' = [string]$svc.StartName;
                    'path' = [string]$svc.PathName }
            }
        }
    } catch {
        $message = Add-ProbeError 'services' '*' $_
        foreach ($name in $request['services']) { $out['services'][[string]$name] = @{ 'error' = $message } }
    }
}

if ($null -ne $request['files']) {
    foreach ($path in $request['files']) {
        $entry = @{ 'exists' = $false }
        try {
            $full = [Environment]::ExpandEnvironmentVariables([string]$path)
            if (Test-Path -LiteralPath $full) {
                $file = Get-Item -LiteralPath $full -Force
                if ($file.PSIsContainer) {
                    $entry = @{ 'exists' = $true; 'type' = 'dir'; 'size' = $null; 'version' = $null }
                } else {
                    $version = [System.Diagnostics.FileVersionInfo]::GetVersionInfo($file.FullName).FileVersion
                    if ($version) { $version = ([string]$version).Trim() } else { $version = $null }
                    $entry = @{ 'exists' = $true; 'type' = 'file'; 'size' = [long]$file.Length; 'version' = $version }
                }
            }
        } catch {
            $entry = @{ 'error' = (Add-ProbeError 'files' $path $_) }
        }
        $out['files'][[string]$path] = $entry
    }
}

if ($null -ne $request['text_files']) {
    foreach ($item in $request['text_files']) {
        $path = [string]$item['path']
        $entry = @{ 'exists' = $false }
        try {
            $full = [Environment]::ExpandEnvironmentVariables($path)
            if (Test-Path -LiteralPath $full -PathType Leaf) {
                $size = [long](Get-Item -LiteralPath $full -Force).Length
                if ($size -gt [long]$item['max_bytes']) {
                    $entry = @{ 'exists' = $true; 'size' = $size; 'text' = $null; 'truncated' = $true }
                } else {
                    $entry = @{ 'exists' = $true; 'size' = $size; 'text' = [System.IO.File]::ReadAllText($full);
                        'truncated' = $false }
                }
            }
        } catch {
            $entry = @{ 'error' = (Add-ProbeError 'text_files' $path $_) }
        }
        $out['text_files'][$path] = $entry
    }
}

if ($null -ne $request['wmi']) {
    foreach ($item in $request['wmi']) {
        $id = [string]$item['id']
        $properties = [string[]]@($item['properties'])
        try {
            $query = @{ 'Namespace' = [string]$item['namespace']; 'Class' = [string]$item['class'];
                'Property' = $properties; 'ErrorAction' = 'Stop' }
            if ($item['filter']) { $query['Filter'] = [Environment]::ExpandEnvironmentVariables([string]$item['filter']) }
            $instances = New-Object System.Collections.ArrayList
            foreach ($object in @(Get-WmiObject @query)) {
                $instance = @{}
                foreach ($property in $properties) { $instance[$property] = ConvertTo-PlainValue ($object.$property) }
                [void]$instances.Add($instance)
            }
            $entry = @{ 'exists' = $true; 'instances' = $instances }
        } catch {
            $status = Get-ProbeWmiStatus $_
            if ($status -eq 'InvalidNamespace' -or $status -eq 'InvalidClass') {
                $entry = @{ 'exists' = $false; 'instances' = @() }
            } else {
                $entry = @{ 'error' = (Add-ProbeError 'wmi' $id $_) }
            }
        }
        $out['wmi'][$id] = $entry
    }
}

if ($null -ne $request['sql']) {
    foreach ($item in $request['sql']) {
        $id = [string]$item['id']
        $entry = @{ 'key_exists' = $false; 'data_source' = $null; 'database' = $null; 'value' = $null }
        try {
            $text = [string]$item['query']
            if ($text -notmatch '^\s*SELECT\s' -or $text.Contains(';')) { throw 'refused: the probe runs a single SELECT only' }
            $target = Get-ProbeSqlTarget ([string]$item['parameters_key'])
            $entry['key_exists'] = $target['key_exists']
            $entry['data_source'] = $target['data_source']
            $entry['database'] = $target['database']
            if ($null -ne $target['error']) {
                $entry['error'] = Add-ProbeError 'sql' $id $target['error']
            } elseif ($null -ne $target['connection']) {
                $command = $target['connection'].CreateCommand()
                $command.CommandText = $text
                $command.CommandTimeout = 60
                $entry['value'] = ConvertTo-PlainValue ($command.ExecuteScalar())
            }
        } catch {
            $entry['error'] = Add-ProbeError 'sql' $id $_
        }
        $out['sql'][$id] = $entry
    }
}
foreach ($pair in $ProbeSql.GetEnumerator()) {
    if ($null -ne $pair.Value['connection']) { try { $pair.Value['connection'].Close() } catch { } }
}

if ($null -ne $request['cmdlets']) {
    $spec = $request['cmdlets']
    $entry = @{ 'module' = [string]$spec['module']; 'module_exists' = $false; 'imported' = $false; 'results' = @{} }
    $out['cmdlets'] = $entry
    try {
        $modulePath = [Environment]::ExpandEnvironmentVariables([string]$spec['module'])
        $entry['module_exists'] = [bool](Test-Path -LiteralPath $modulePath)
        if ($entry['module_exists']) {
            Import-Module $modulePath -ErrorAction Stop -WarningAction SilentlyContinue
            $entry['imported'] = $true
        }
    } catch {
        [void](Add-ProbeError 'cmdlets' ([string]$spec['module']) $_)
    }
    if ($entry['imported'] -and $null -ne $spec['commands']) {
        foreach ($command in $spec['commands']) {
            $id = [string]$command['id']
            $name = [string]$command['name']
            $result = @{ 'available' = $false; 'objects' = $null }
            try {
                if ($name -notmatch '^Get-[A-Za-z0-9]+\z') { throw ('refused: ' + $name + ' is not a Get- command') }
                if ($null -ne (Get-Command -Name $name -ErrorAction SilentlyContinue)) {
                    $result['available'] = $true
                    $objects = New-Object System.Collections.ArrayList
                    foreach ($object in @(& $name -ErrorAction Stop)) {
                        if ($null -eq $command['properties']) {
                            [void]$objects.Add((ConvertTo-PlainValue $object))
                        } else {
                            $record = @{}
                            foreach ($property in $command['properties']) {
                                $member = $object.PSObject.Properties[[string]$property]
                                if ($null -eq $member) { $record[[string]$property] = $null }
                                else { $record[[string]$property] = ConvertTo-PlainValue ($member.Value) }
                            }
                            [void]$objects.Add($record)
                        }
                    }
                    $result['objects'] = $objects
                }
            } catch {
                $result['error'] = Add-ProbeError 'cmdlets' $id $_
            }
            $entry['results'][$id] = $result
        }
    }
}

Write-JsonLine $out
