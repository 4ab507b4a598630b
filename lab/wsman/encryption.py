"""NTLM message encryption over plain HTTP, framed byte-exact as pywinrm's encryption.py expects."""

from __future__ import annotations

import re
import struct

BOUNDARY = b"--Encrypted Boundary"
PROTOCOL = "application/HTTP-SPNEGO-session-encrypted"
CONTENT_TYPE = f'multipart/encrypted;protocol="{PROTOCOL}";boundary="Encrypted Boundary"'


class EncryptionError(ValueError):
    """A sealed body could not be unwrapped (Windows answers 400)."""


def is_encrypted(content_type: str | None) -> bool:
    return bool(content_type) and PROTOCOL.lower() in content_type.lower()


def unwrap(ctx, body: bytes) -> bytes:
    parts = body.split(BOUNDARY + b"\r\n")
    if len(parts) < 3:
        raise EncryptionError("not a multipart/encrypted body")
    match = re.search(rb"Length=(\d+)", parts[1])
    if not match:
        raise EncryptionError("missing OriginalContent length")
    expected = int(match.group(1))
    payload = parts[2]
    header = b"\tContent-Type: application/octet-stream\r\n"
    if not payload.startswith(header):
        raise EncryptionError("missing octet-stream part")
    payload = payload[len(header) :]
    if payload.endswith(BOUNDARY + b"--\r\n"):
        payload = payload[: -len(BOUNDARY + b"--\r\n")]
    (sig_len,) = struct.unpack("<I", payload[:4])
    sealed = payload[4:]
    try:
        plain = ctx.unwrap(sealed[:sig_len] + sealed[sig_len:]).data
    except Exception as exc:  # pyspnego raises several types for a bad seal
        raise EncryptionError(f"cannot unseal message: {exc}") from exc
    if len(plain) != expected:
        raise EncryptionError("unsealed length differs from OriginalContent")
    return plain


def wrap(ctx, plain: bytes) -> bytes:
    sealed = ctx.wrap(plain, encrypt=True).data  # signature(16) + ciphertext
    return (
        BOUNDARY + b"\r\n"
        b"\tContent-Type: " + PROTOCOL.encode() + b"\r\n"
        b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=" + str(len(plain)).encode() + b"\r\n"
        + BOUNDARY + b"\r\n"
        b"\tContent-Type: application/octet-stream\r\n"
        + struct.pack("<I", 16) + sealed
        + BOUNDARY + b"--\r\n"
    )
