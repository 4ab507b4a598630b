# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Is this the installer we may run? The checks of the sync_installer role, on the controller.

`input_problems` checks the role's input before anything changes; `file_problems` checks what
entra.sync_upgrade.sync_file_info reported for a staged file against what is required. Each problem says what was
found and what was required, so the message alone tells an operator what to fix. Standard library only.
"""

from __future__ import annotations

import re

from ._version import parse_version

SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
URL_SCHEMES = ("http://", "https://", "ftp://", "file://")


def input_problems(url: str | None, src: str | None, sha256: str | None, version: str | None,
                   signers: list | None, src_is_file: bool | None = None) -> list[str]:
    """What is wrong with the role's input (empty when nothing is)."""
    problems = []
    url, src = (url or "").strip(), (src or "").strip()
    if url and src:
        problems.append("set either sync_installer_url (the server downloads it) or sync_installer_src (the "
                        "controller pushes it), not both")
    elif not url and not src:
        problems.append("set sync_installer_url (the server downloads it) or sync_installer_src (a file on the "
                        "controller, pushed to the server)")
    if url and not url.lower().startswith(URL_SCHEMES):
        problems.append(f"sync_installer_url {url!r} is not an http(s), ftp or file URL")
    if src and src_is_file is False:
        problems.append(f"sync_installer_src {src!r} is not a file on the controller")
    if not SHA256.match(str(sha256 or "").strip()):
        problems.append(f"sync_installer_sha256 must be the installer's SHA-256, 64 hex digits; got {sha256!r}")
    if parse_version(version) is None:
        problems.append(f"sync_installer_version must be a product version such as 2.5.190.0; got {version!r}")
    if not signers or not all(isinstance(s, str) and s.strip() for s in signers):
        problems.append("sync_installer_signers must list at least one signer name, e.g. Microsoft Corporation")
    return problems


def file_problems(info: dict, sha256: str, version: str, signers: list) -> list[str]:
    """What makes a staged file unfit to run (empty when it is the required installer)."""
    if not info.get("exists"):
        return [f"no file at {info.get('path')}"]
    problems = []
    found = (info.get("sha256") or "").lower()
    if found != sha256.strip().lower():
        problems.append(f"SHA-256 {found} does not match sync_installer_sha256 {sha256.strip().lower()}")
    signature = info.get("authenticode") or {}
    status = signature.get("status")
    if status != "Valid":
        problems.append(f"Authenticode signature status is {status} (a Valid signature is required): "
                        f"{signature.get('status_message')}")
    signer = signature.get("signer_name")
    allowed = [s.strip() for s in signers]
    if signer is None:
        problems.append(f"no signer (sync_installer_signers allows: {', '.join(allowed)})")
    elif signer.strip().lower() not in (s.lower() for s in allowed):
        problems.append(f"signed by {signer!r} ({signature.get('signer_subject')}), which sync_installer_signers "
                        f"does not allow ({', '.join(allowed)})")
    msi = info.get("msi")
    if msi is None:
        problems.append(f"not a Windows Installer package: {info.get('msi_error')}")
    elif parse_version(msi.get("product_version")) != parse_version(version):
        problems.append(f"ProductVersion {msi.get('product_version')} ({msi.get('product_name')}) is not the "
                        f"required version {version} (sync_installer_version)")
    return problems


def result(info: dict, status: str, method: str, source: str, path: str | None = None, bytes_transferred: int = 0,
           replaced: str | None = None) -> dict:
    """sync_installer_result for a verified installer (status done or unchanged), from sync_file_info's answer."""
    signature = info.get("authenticode") or {}
    msi = info.get("msi") or {}
    return {"status": status, "cause": None, "path": path or info.get("path"), "sha256": info.get("sha256"),
            "size": info.get("size"), "version": msi.get("product_version"), "product_name": msi.get("product_name"),
            "signer": signature.get("signer_name"), "signature_status": signature.get("status"), "method": method,
            "source": source, "bytes_transferred": bytes_transferred, "quarantine": None, "replaced": replaced}
