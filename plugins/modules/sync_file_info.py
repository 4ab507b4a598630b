#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation stub: the module is sync_file_info.ps1, beside this file.

DOCUMENTATION = r"""
module: sync_file_info
short_description: Read-only facts about a file on Windows, for checking an installer before it is used
description:
  - Returns a file's size and SHA-256 (as C(Get-FileHash) computes it), its Authenticode signature (C(Get-AuthenticodeSignature)
    status, status message, signer subject and simple name, issuer) and, for a Windows Installer package, the
    C(ProductName), C(ProductVersion) and C(Manufacturer) of its Property table (read through the
    C(WindowsInstaller.Installer) COM object, database opened read-only).
  - It decides nothing; compare the values with what you require on the controller.
  - A missing file is not an error (C(exists=false)). A file that is not an MSI database gives C(msi=null) and
    the reason in C(msi_error).
version_added: 0.2.0
options:
  path:
    description: The file to read.
    type: path
    required: true
  get_checksum:
    description: Compute the SHA-256 (reads the whole file).
    type: bool
    default: true
  get_signature:
    description: Read the Authenticode signature.
    type: bool
    default: true
  get_msi_properties:
    description: Read ProductName, ProductVersion and Manufacturer from the MSI Property table.
    type: bool
    default: true
attributes:
  check_mode: {support: full, description: Read-only; runs the same in check mode.}
  diff_mode: {support: none, description: Nothing changes, so there is no diff.}
  platform: {platforms: windows}
notes:
  - Needs PowerShell 5.1 (Ansible's module wrapper).
seealso:
  - module: ansible.windows.win_stat
author: [entra-sync-upgrade developers]
"""

EXAMPLES = r"""
- name: Read the staged installer
  entra.sync_upgrade.sync_file_info:
    path: C:\ProgramData\EntraSyncUpgrade\installer\AzureADConnect.msi
  register: __installer

- name: Require Microsoft's signature
  ansible.builtin.assert:
    that:
      - __installer.authenticode.status == 'Valid'
      - __installer.authenticode.signer_name == 'Microsoft Corporation'
"""

RETURN = r"""
path:
  description: The path as given (environment variables expanded).
  returned: always
  type: str
exists:
  description: Whether the file exists.
  returned: always
  type: bool
size:
  description: Size in bytes; null when the file does not exist.
  returned: always
  type: int
sha256:
  description: Lower-case hex SHA-256 of the file; null when not asked for or the file does not exist.
  returned: always
  type: str
authenticode:
  description: The Authenticode signature; null when not asked for or the file does not exist.
  returned: always
  type: dict
  contains:
    status:
      description: C(Valid), C(NotSigned), C(HashMismatch), C(NotTrusted), C(UnknownError), ... (SignatureStatus).
      type: str
    status_message:
      description: Windows' own explanation of the status.
      type: str
    signer_subject:
      description: The signing certificate's subject; null when unsigned.
      type: str
    signer_name:
      description: The signing certificate's simple name (its CN), e.g. C(Microsoft Corporation); null when unsigned.
      type: str
    issuer:
      description: The signing certificate's issuer; null when unsigned.
      type: str
msi:
  description: From the MSI Property table; null when not asked for, the file does not exist or is no MSI database.
  returned: always
  type: dict
  contains:
    product_name: {description: ProductName, type: str}
    product_version: {description: ProductVersion, type: str}
    manufacturer: {description: Manufacturer, type: str}
msi_error:
  description: Why the Property table could not be read (the COM error); null otherwise.
  returned: always
  type: str
"""
