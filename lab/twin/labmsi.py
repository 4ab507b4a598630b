"""The lab's installer files: bytes that stand in for a signed Windows Installer package.

A lab convention, not real Authenticode or a real MSI database. A lab installer is:

    [payload: OLE compound-file magic + deterministic pseudo-random bytes]
    [properties block: PROPERTIES_MAGIC + JSON {"ProductName", "ProductVersion", "Manufacturer"}]
    [signature block:  SIGNATURE_MAGIC  + JSON {"subject", "issuer", "chain", "sha256"}]   (absent when unsigned)

The signature's `sha256` covers every byte before the signature block, as an Authenticode digest covers the
file outside its signature. What Windows would report for such a file (Get-AuthenticodeSignature's Status and
signer, the MSI Property table) is read here, by the model, so every module twin reads it the same way.
"""

from __future__ import annotations

import hashlib
import json
import random

OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")  # every MSI database is an OLE compound file
PROPERTIES_MAGIC = b"\r\nLAB-MSI-PROPERTY-TABLE\0"
SIGNATURE_MAGIC = b"\r\nLAB-AUTHENTICODE-SIGNATURE\0"
MICROSOFT = "CN=Microsoft Corporation, O=Microsoft Corporation, L=Redmond, S=Washington, C=US"
MICROSOFT_CA = "CN=Microsoft Code Signing PCA 2011, O=Microsoft Corporation, L=Redmond, S=Washington, C=US"
CONTOSO = "CN=Contoso Ltd, O=Contoso Ltd, L=Seattle, S=Washington, C=US"
PRODUCT_NAME = "Microsoft Entra Connect Sync"  # UNCONFIRMED: the real package's ProductName
VARIANTS = ("signed", "unsigned", "tampered", "wrong_signer", "untrusted")

# Get-AuthenticodeSignature's StatusMessage per Status (the path is the file's)
STATUS_MESSAGES = {
    "Valid": "Signature verified.",
    "NotSigned": "The file {path} is not digitally signed. You cannot run this script on the current system. For "
                 "more information about running scripts and setting execution policy, see about_Execution_Policies "
                 "at https://go.microsoft.com/fwlink/?LinkID=135170.",
    "HashMismatch": "The contents of file {path} might have been changed by an unauthorized user or process, because "
                    "the hash of the file does not match the hash stored in the digital signature. The script cannot "
                    "run on the specified system. For more information, run Get-Help about_Signing.",
    "UnknownError": "A certificate chain processed, but terminated in a root certificate which is not trusted by the "
                    "trust provider.",
}


def build(size: int, version: str, variant: str = "signed", product_name: str = PRODUCT_NAME) -> bytes:
    """A lab installer of exactly `size` bytes (at least 1 KiB): the same arguments always give the same bytes."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown installer variant {variant!r}; one of {', '.join(VARIANTS)}")
    properties = PROPERTIES_MAGIC + json.dumps(
        {"ProductName": product_name, "ProductVersion": version, "Manufacturer": "Microsoft Corporation"},
        sort_keys=True).encode() + b"\0"
    signer = {"signed": MICROSOFT, "tampered": MICROSOFT, "untrusted": MICROSOFT, "wrong_signer": CONTOSO}.get(variant)
    signature_len = len(_signature(b"", signer, variant)) if signer else 0
    payload_len = size - len(properties) - signature_len
    if payload_len < len(OLE_MAGIC) + 256:
        raise ValueError(f"a lab installer needs at least {size - payload_len + len(OLE_MAGIC) + 256} bytes")
    seed = hashlib.sha256(f"{version}|{product_name}|{size}".encode()).digest()
    payload = OLE_MAGIC + random.Random(seed).randbytes(payload_len - len(OLE_MAGIC))
    signed_part = payload + properties
    if signer is None:
        return signed_part
    body = signed_part + _signature(signed_part, signer, variant)
    if variant == "tampered":  # altered after signing: one payload byte flipped
        middle = len(payload) // 2
        body = body[:middle] + bytes([body[middle] ^ 0xFF]) + body[middle + 1:]
    return body


def sign(data: bytes, subject: str = MICROSOFT) -> bytes:
    """Any file (a script the product ships, say) with a lab signature block appended, as `build` signs."""
    return data + _signature(data, subject, "signed")


def _signature(signed_part: bytes, subject: str, variant: str) -> bytes:
    block = {"subject": subject, "issuer": MICROSOFT_CA if subject == MICROSOFT else "CN=Contoso Code Signing CA",
             "chain": "untrusted" if variant == "untrusted" else "trusted",
             "sha256": hashlib.sha256(signed_part).hexdigest()}
    return SIGNATURE_MAGIC + json.dumps(block, sort_keys=True).encode()


def authenticode(data: bytes, path: str) -> dict:
    """What Get-AuthenticodeSignature reports: status, status_message, signer_subject, signer_name (the
    certificate's simple name, GetNameInfo SimpleName), issuer; the signer is there even when the hash
    does not match, as Windows shows it."""
    at = data.rfind(SIGNATURE_MAGIC)
    if at < 0:
        return {"status": "NotSigned", "status_message": STATUS_MESSAGES["NotSigned"].format(path=path),
                "signer_subject": None, "signer_name": None, "issuer": None}
    block = json.loads(data[at + len(SIGNATURE_MAGIC):])
    if hashlib.sha256(data[:at]).hexdigest() != block["sha256"]:
        status = "HashMismatch"
    else:
        status = "Valid" if block["chain"] == "trusted" else "UnknownError"
    return {"status": status, "status_message": STATUS_MESSAGES[status].format(path=path),
            "signer_subject": block["subject"], "signer_name": _simple_name(block["subject"]),
            "issuer": block["issuer"]}


def msi_properties(data: bytes) -> dict | None:
    """ProductName, ProductVersion, Manufacturer from the Property table; None when the file is no MSI database."""
    if not data.startswith(OLE_MAGIC):
        return None
    end = data.rfind(SIGNATURE_MAGIC)
    end = len(data) if end < 0 else end
    at = data.rfind(PROPERTIES_MAGIC, 0, end)
    if at < 0:
        return None
    return json.loads(data[at + len(PROPERTIES_MAGIC):end].rstrip(b"\0"))


def _simple_name(subject: str) -> str:
    for part in subject.split(","):
        key, _, value = part.strip().partition("=")
        if key.upper() == "CN":
            return value
    return subject
