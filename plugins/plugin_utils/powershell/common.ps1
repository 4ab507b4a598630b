# The entra-sync-upgrade shared functions, placed above every project script on stdin (see _script.py).
# PowerShell 2.0-safe: the exception behind an error record, and a JSON writer (PowerShell 2.0 has no
# ConvertTo-Json) whose output equals Python's json.dumps(sort_keys=True, separators=(',', ':'),
# ensure_ascii=True), so the lab's answers and the real host's are byte-for-byte comparable.

$Invariant = [System.Globalization.CultureInfo]::InvariantCulture

function Get-InnerException($Err) {
    # PowerShell 2.0 may wrap the real exception in ActionPreferenceStopException or MethodInvocationException
    $ex = $Err
    if ($Err -is [System.Management.Automation.ErrorRecord]) { $ex = $Err.Exception }
    if ($ex -is [System.Management.Automation.ActionPreferenceStopException] -and $null -ne $ex.ErrorRecord) {
        $ex = $ex.ErrorRecord.Exception
    }
    if ($ex -is [System.Management.Automation.MethodInvocationException] -and $null -ne $ex.InnerException) {
        $ex = $ex.InnerException
    }
    return $ex
}

function Get-ErrorText($Err) {
    $ex = Get-InnerException $Err
    if ($ex -is [System.Exception]) { return ([string]$ex.Message).Trim() }
    return ([string]$ex).Trim()
}

# ---- values and the JSON writer ----------------------------------------------------------------------------

function Test-IsNumber($Value) {
    return ($Value -is [System.Int32] -or $Value -is [System.Int64] -or $Value -is [System.UInt32] -or
        $Value -is [System.UInt64] -or $Value -is [System.Int16] -or $Value -is [System.UInt16] -or
        $Value -is [System.Byte] -or $Value -is [System.SByte] -or $Value -is [System.Double] -or
        $Value -is [System.Single] -or $Value -is [System.Decimal])
}

function ConvertTo-PlainValue($Value) {
    # .NET objects -> what the JSON writer knows: null, string, bool, number, hashtable, list
    if ($null -eq $Value -or $Value -is [System.DBNull]) { return $null }
    if ($Value -is [string] -or $Value -is [bool] -or (Test-IsNumber $Value)) { return $Value }
    if ($Value -is [System.DateTime]) { return $Value.ToString('o', $Invariant) }
    if ($Value -is [System.TimeSpan] -or $Value -is [System.Guid] -or $Value -is [System.Enum]) {
        return $Value.ToString()
    }
    if ($Value -is [System.Collections.IDictionary]) {
        $table = @{}
        foreach ($entry in $Value.GetEnumerator()) { $table[[string]$entry.Key] = ConvertTo-PlainValue ($entry.Value) }
        return $table
    }
    if ($Value -is [System.Collections.IEnumerable]) {
        $list = New-Object System.Collections.ArrayList
        foreach ($item in $Value) { [void]$list.Add((ConvertTo-PlainValue $item)) }
        return ,$list
    }
    return [string]$Value
}

function Add-JsonString([System.Text.StringBuilder]$Sb, [string]$Text) {
    # Escapes as Python's json.dumps(ensure_ascii=True) does, so the output is pure ASCII: the console code
    # page of a remote powershell.exe would otherwise mangle non-ASCII characters.
    [void]$Sb.Append('"')
    $quick = $Text.Replace('\', '\\').Replace('"', '\"')
    if ($quick -cmatch '^[ -~]*\z') {
        [void]$Sb.Append($quick)
    } else {
        foreach ($ch in $Text.ToCharArray()) {
            $code = [int]$ch
            if ($code -eq 34) { [void]$Sb.Append('\"') }
            elseif ($code -eq 92) { [void]$Sb.Append('\\') }
            elseif ($code -eq 10) { [void]$Sb.Append('\n') }
            elseif ($code -eq 13) { [void]$Sb.Append('\r') }
            elseif ($code -eq 9) { [void]$Sb.Append('\t') }
            elseif ($code -eq 8) { [void]$Sb.Append('\b') }
            elseif ($code -eq 12) { [void]$Sb.Append('\f') }
            elseif ($code -lt 32 -or $code -gt 126) { [void]$Sb.Append(('\u{0:x4}' -f $code)) }
            else { [void]$Sb.Append($ch) }
        }
    }
    [void]$Sb.Append('"')
}

function Add-Json([System.Text.StringBuilder]$Sb, $Value) {
    if ($null -eq $Value -or $Value -is [System.DBNull]) { [void]$Sb.Append('null'); return }
    if ($Value -is [string] -or $Value -is [char]) { Add-JsonString $Sb ([string]$Value); return }
    if ($Value -is [bool]) {
        if ($Value) { [void]$Sb.Append('true') } else { [void]$Sb.Append('false') }
        return
    }
    if ($Value -is [System.Double] -or $Value -is [System.Single]) {
        [void]$Sb.Append($Value.ToString('R', $Invariant)); return
    }
    if (Test-IsNumber $Value) { [void]$Sb.Append($Value.ToString($Invariant)); return }
    if ($Value -is [System.Collections.IDictionary]) {
        # keys in ordinal order: the output is deterministic and equal to the lab's (json sort_keys)
        $names = New-Object System.Collections.ArrayList
        foreach ($entry in $Value.GetEnumerator()) { [void]$names.Add([string]$entry.Key) }
        $keys = [string[]]$names.ToArray([string])
        [Array]::Sort($keys, [System.StringComparer]::Ordinal)
        [void]$Sb.Append('{')
        $first = $true
        foreach ($key in $keys) {
            if (-not $first) { [void]$Sb.Append(',') }
            $first = $false
            Add-JsonString $Sb $key
            [void]$Sb.Append(':')
            Add-Json $Sb ($Value[$key])
        }
        [void]$Sb.Append('}')
        return
    }
    if ($Value -is [System.Collections.IEnumerable]) {
        [void]$Sb.Append('[')
        $first = $true
        foreach ($item in $Value) {
            if (-not $first) { [void]$Sb.Append(',') }
            $first = $false
            Add-Json $Sb $item
        }
        [void]$Sb.Append(']')
        return
    }
    Add-JsonString $Sb ([string]$Value)
}

function Write-JsonLine($Value) {
    # the script's one answer: a single line of JSON on stdout
    $sb = New-Object System.Text.StringBuilder
    Add-Json $sb $Value
    [Console]::Out.WriteLine($sb.ToString())
}
