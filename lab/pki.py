"""The lab certificate authority: created on first start, kept in .lab/pki, trusted by the lab inventory."""

from __future__ import annotations

import datetime as dt
import fcntl
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .twin.winrm import CERTIFICATES


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "entra-sync-upgrade lab"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


# The certificates a host's HTTPS listener can present (twin/winrm.py): the lab's own, and the three ways a real
# server's certificate fails validation against the lab CA (a name it was not issued for, another issuer, expired).


def _ca(cn: str, now: dt.datetime):
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(_name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=825))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _server_cert(ca, ca_key, names: list[str], addresses: list[str], not_before, not_after):
    key = ec.generate_private_key(ec.SECP256R1())
    san = [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(names[0]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


def _pem(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def ensure_pki(directory: Path) -> dict[str, tuple[Path, Path]]:
    """ca.pem (the lab CA clients trust) and, per kind in CERTIFICATES, (cert.pem, key.pem); created once."""
    pairs = {kind: (directory / f"server-{kind}.pem", directory / f"server-{kind}.key") for kind in CERTIFICATES}
    directory.mkdir(parents=True, exist_ok=True)
    # every lab of a checkout shares the CA (lab/config.py): two starting at once must not each create half of it
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _create(directory, pairs)
    return pairs


def _create(directory: Path, pairs: dict[str, tuple[Path, Path]]) -> None:
    ca_pem = directory / "ca.pem"
    if ca_pem.exists() and all(c.exists() and k.exists() for c, k in pairs.values()):
        return
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    ca, ca_key = _ca("entra-sync-upgrade lab CA", now)
    other, other_key = _ca("an issuer the lab's clients do not trust", now)
    loopback = (["localhost"], ["127.0.0.1"])
    certs = {
        "lab": _server_cert(ca, ca_key, *loopback, now, now + dt.timedelta(days=397)),
        "wrong_name": _server_cert(ca, ca_key, ["wrong-name.lab.invalid"], [], now, now + dt.timedelta(days=397)),
        "other_ca": _server_cert(other, other_key, *loopback, now, now + dt.timedelta(days=397)),
        "expired": _server_cert(ca, ca_key, *loopback, now - dt.timedelta(days=400), now - dt.timedelta(days=3)),
    }
    ca_pem.write_bytes(_pem(ca))
    for kind, (cert, key) in certs.items():
        pairs[kind][0].write_bytes(_pem(cert))
        _write_private(pairs[kind][1], _key_pem(key))


def channel_binding_hash(cert_pem: Path) -> bytes:
    """tls-server-end-point hash of the server certificate (RFC 5929: SHA-256 for an ecdsa-with-SHA256 cert)."""
    cert = x509.load_pem_x509_certificate(cert_pem.read_bytes())
    algo = cert.signature_hash_algorithm
    if algo is None or algo.name in ("md5", "sha1"):
        algo = hashes.SHA256()
    digest = hashes.Hash(algo)
    digest.update(cert.public_bytes(serialization.Encoding.DER))
    return digest.finalize()
