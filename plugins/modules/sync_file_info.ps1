#!powershell
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Read-only facts about one file: size, SHA-256, Authenticode signature, and for an MSI its Property table.
# The decisions (is this the installer we want?) are made on the controller, not here.

#AnsibleRequires -CSharpUtil Ansible.Basic

$spec = @{
    options = @{
        path = @{ type = 'path'; required = $true }
        get_checksum = @{ type = 'bool'; default = $true }
        get_signature = @{ type = 'bool'; default = $true }
        get_msi_properties = @{ type = 'bool'; default = $true }
    }
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$path = $module.Params.path

$module.Result.path = $path
$module.Result.exists = $false
$module.Result.size = $null
$module.Result.sha256 = $null
$module.Result.authenticode = $null
$module.Result.msi = $null
$module.Result.msi_error = $null

$item = Get-Item -LiteralPath $path -Force -ErrorAction SilentlyContinue
if ($null -eq $item) {
    $module.ExitJson()
}
if ($item.PSIsContainer) {
    $module.FailJson("Path '$path' is a folder, not a file")
}
$module.Result.exists = $true
$module.Result.size = $item.Length

if ($module.Params.get_checksum) {
    # what Get-FileHash -Algorithm SHA256 computes, without needing PowerShell 4 (the project's scripts stay 2.0-safe)
    $stream = [System.IO.File]::Open($path, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read,
        [System.IO.FileShare]::Read)
    try {
        $sha256 = [System.Security.Cryptography.SHA256]::Create()
        $module.Result.sha256 = [System.BitConverter]::ToString($sha256.ComputeHash($stream)).Replace('-', '').ToLowerInvariant()
    }
    finally {
        $stream.Dispose()
    }
}

if ($module.Params.get_signature) {
    $signature = Get-AuthenticodeSignature -LiteralPath $path
    $signer = $signature.SignerCertificate
    $module.Result.authenticode = @{
        status = $signature.Status.ToString()
        status_message = $signature.StatusMessage
        signer_subject = if ($signer) { $signer.Subject } else { $null }
        # the certificate's display name (CN), which Explorer shows as the signer
        signer_name = if ($signer) { $signer.GetNameInfo([System.Security.Cryptography.X509Certificates.X509NameType]::SimpleName, $false) } else { $null }
        issuer = if ($signer) { $signer.Issuer } else { $null }
    }
}

if ($module.Params.get_msi_properties) {
    # msiOpenDatabaseModeReadOnly = 0; the view is closed and the COM objects released so the file is not locked
    $installer = $null
    $database = $null
    $view = $null
    try {
        $installer = New-Object -ComObject WindowsInstaller.Installer
        $database = $installer.GetType().InvokeMember('OpenDatabase', 'InvokeMethod', $null, $installer, @($path, 0))
        $query = "SELECT ``Property``, ``Value`` FROM ``Property`` WHERE ``Property`` = 'ProductName' OR " +
            "``Property`` = 'ProductVersion' OR ``Property`` = 'Manufacturer'"
        $view = $database.GetType().InvokeMember('OpenView', 'InvokeMethod', $null, $database, @($query))
        $null = $view.GetType().InvokeMember('Execute', 'InvokeMethod', $null, $view, $null)
        $properties = @{}
        while ($record = $view.GetType().InvokeMember('Fetch', 'InvokeMethod', $null, $view, $null)) {
            $name = $record.GetType().InvokeMember('StringData', 'GetProperty', $null, $record, 1)
            $properties[$name] = $record.GetType().InvokeMember('StringData', 'GetProperty', $null, $record, 2)
        }
        $module.Result.msi = @{
            product_name = $properties['ProductName']
            product_version = $properties['ProductVersion']
            manufacturer = $properties['Manufacturer']
        }
    }
    catch {
        $module.Result.msi_error = $_.Exception.Message
    }
    finally {
        if ($view) {
            $null = $view.GetType().InvokeMember('Close', 'InvokeMethod', $null, $view, $null)
            $null = [System.Runtime.InteropServices.Marshal]::ReleaseComObject($view)
        }
        if ($database) { $null = [System.Runtime.InteropServices.Marshal]::ReleaseComObject($database) }
        if ($installer) { $null = [System.Runtime.InteropServices.Marshal]::ReleaseComObject($installer) }
    }
}

$module.ExitJson()
