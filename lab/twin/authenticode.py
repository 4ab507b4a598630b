"""Authenticode signatures of script files, as Get-AuthenticodeSignature reports them.

A signed PowerShell script ends with a signature block (`# SIG # Begin signature block` ... `# SIG # End
signature block`). The lab's block carries the signer's subject and the SHA-256 of the text before it in place
of a PKCS#7 blob: the status is Valid when the text is unchanged, HashMismatch when it changed, NotSigned without
a block, as Windows reports them.
"""

from __future__ import annotations

import hashlib
import re

BEGIN, END = "# SIG # Begin signature block", "# SIG # End signature block"
MICROSOFT = "CN=Microsoft Corporation, O=Microsoft Corporation, L=Redmond, S=Washington, C=US"
_BLOCK = re.compile(rb"\r\n" + re.escape(BEGIN.encode()) + rb"\r\n# lab-signer: (?P<subject>[^\r\n]*)\r\n"
                    rb"# lab-sha256: (?P<sha>[0-9a-f]{64})\r\n" + re.escape(END.encode()) + rb"\r\n\Z")


def sign(body: bytes, subject: str = MICROSOFT) -> bytes:
    """`body` with a lab signature block by `subject`."""
    digest = hashlib.sha256(body).hexdigest()
    return body + f"\r\n{BEGIN}\r\n# lab-signer: {subject}\r\n# lab-sha256: {digest}\r\n{END}\r\n".encode()


def signature(data: bytes) -> tuple[str, str | None]:
    """(Status, the signer certificate's subject or None)."""
    found = _BLOCK.search(data)
    if found is None:
        return ("NotSigned", None) if BEGIN.encode() not in data else ("UnknownError", None)
    body = data[:found.start()]
    subject = found.group("subject").decode("utf-8", "replace")
    if hashlib.sha256(body).hexdigest() != found.group("sha").decode():
        return "HashMismatch", subject
    return "Valid", subject


def body(data: bytes) -> bytes:
    """The text before a signature block (all of it when there is none)."""
    found = _BLOCK.search(data)
    return data[:found.start()] if found else data
