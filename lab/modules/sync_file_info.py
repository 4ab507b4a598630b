"""Twin of entra.sync_upgrade.sync_file_info (plugins/modules/sync_file_info.ps1): size, SHA-256, and what
Get-AuthenticodeSignature and the MSI Property table say, read from the file's bytes by the lab's installer
format (lab/twin/labmsi.py)."""

import hashlib

from ..twin import labmsi
from ..twin.errors import NotSimulated
from ._basic import parse_args
from ._failures import twin_errors
from ._paths import abspath

OPTIONS = {
    "path": {"type": "path", "required": True},
    "get_checksum": {"type": "bool", "default": True},
    "get_signature": {"type": "bool", "default": True},
    "get_msi_properties": {"type": "bool", "default": True},
}
# what the module's catch reports when OpenDatabase refuses a file that is no MSI database (UNCONFIRMED wording)
NOT_A_DATABASE = 'Exception calling "InvokeMember" with "5" argument(s): "OpenDatabase,DatabasePath,OpenMode"'


@twin_errors
def run(ctx):
    p = parse_args(ctx, "sync_file_info", OPTIONS)
    fs = ctx.twin.files
    path = abspath(ctx, p["path"])
    result = {"changed": False, "path": p["path"], "exists": False, "size": None, "sha256": None,
              "authenticode": None, "msi": None, "msi_error": None}
    entry = fs.get(path)
    if entry is None:
        return result
    if entry["type"] == "dir":
        ctx.fail(f"Path '{p['path']}' is a folder, not a file", **{k: v for k, v in result.items() if k != "changed"})
    data = fs.read(path)
    result.update(exists=True, size=fs.size(path))
    if p["get_checksum"]:
        result["sha256"] = hashlib.sha256(data).hexdigest()
    placeholder = "blob" not in entry and "content_b64" not in entry
    if placeholder and (p["get_signature"] or p["get_msi_properties"]):
        raise NotSimulated(f"signature and MSI properties of {path}: the lab holds only its size")
    if p["get_signature"]:
        result["authenticode"] = labmsi.authenticode(data, path)
    if p["get_msi_properties"]:
        properties = labmsi.msi_properties(data)
        if properties is None:
            result["msi_error"] = NOT_A_DATABASE
        else:
            result["msi"] = {"product_name": properties.get("ProductName"),
                             "product_version": properties.get("ProductVersion"),
                             "manufacturer": properties.get("Manufacturer")}
    return result
