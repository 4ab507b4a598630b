# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Why a host could not be assessed: the assessment status and a cause that says what to check.

Statuses (docs/decision-rules.md, "Assessment status"):
  assessed      the probe ran and its evidence was classified
  unreachable   no TCP connection, or no answer in time
  auth_failed   the host answered but refused the credentials (401, a refused NTLM or Basic logon)
  tls_failed    the HTTPS connection failed its certificate check, or the CA file is missing
  probe_failed  the host ran the probe and it failed there (its error text, CLIXML decoded)
A host a run did not cover (left out by --limit) has no status at all: it is not in the run.
Plain Python, no Ansible import: the connection plugin's error text is the only input.
"""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

ASSESSED, UNREACHABLE, AUTH_FAILED, TLS_FAILED, PROBE_FAILED = (
    "assessed", "unreachable", "auth_failed", "tls_failed", "probe_failed")
STATUSES = (ASSESSED, UNREACHABLE, AUTH_FAILED, TLS_FAILED, PROBE_FAILED)
NOT_ASSESSED = STATUSES[1:]

# (status, pattern over the error text, what to check); the first match wins, most specific first
_CONNECTION_CAUSES = [
    (TLS_FAILED, r"Could not find a suitable TLS CA certificate bundle|invalid path: .*\.(pem|crt|cer)",
     "the CA file named by ansible_winrm_ca_trust_path does not exist: point it at the CA that issued the "
     "host's WinRM certificate"),
    (TLS_FAILED, r"certificate has expired|certificate is not yet valid",
     "the host's WinRM HTTPS certificate has expired (or is not valid yet): renew it on the host "
     "(winrm enumerate winrm/config/listener shows its thumbprint)"),
    (TLS_FAILED, r"Hostname mismatch|IP address mismatch|doesn't match|not valid for",
     "the host's WinRM certificate was not issued for the name or address Ansible connects to: connect by a name "
     "in its subject alternative names, or reissue it"),
    (TLS_FAILED, r"unable to get local issuer certificate|self[- ]signed certificate|unknown ca|"
                 r"certificate verify failed|CERTIFICATE_VERIFY_FAILED",
     "the host's WinRM certificate is not issued by a CA in ansible_winrm_ca_trust_path: add the issuing CA, "
     "or fix the certificate"),
    (TLS_FAILED, r"SSLError|SSL: |TLSV1_ALERT|WRONG_VERSION_NUMBER|sslv3 alert",
     "the TLS handshake failed: check that the port is the HTTPS listener (5986) and its TLS settings"),
    (AUTH_FAILED, r"credentials were rejected|\b401\b|Unauthorized|InvalidCredentialsError|"
                  r"did not respond with .*challenge|logon failure",
     "the host refused the logon: check ansible_user and ansible_password (a changed password or a locked-out "
     "account), and that the account may use WinRM (local Administrators or Remote Management Users)"),
    (UNREACHABLE, r"timed out|Timeout|ConnectTimeout|ReadTimeout",
     "no answer in time: check that the host is up, that the firewall lets the WinRM port through, and "
     "ansible_winrm_operation_timeout_sec / read_timeout_sec"),
    (UNREACHABLE, r"Connection refused|ConnectionRefused|Errno 111|No route to host|Network is unreachable|"
                  r"Name or service not known|nodename nor servname|getaddrinfo failed|Temporary failure in name "
                  r"resolution|Connection reset|Max retries exceeded|NewConnectionError|RemoteDisconnected",
     "no WinRM connection: check the host name or address, that the host is up, the port (5986 for HTTPS), and "
     "that the WinRM service and its listener run (winrm quickconfig -transport:https)"),
]


def connection_failure(message: str) -> tuple[str, str]:
    """(status, cause) for the text of a failed WinRM connection; unknown text counts as unreachable."""
    text = " ".join(str(message or "").split())
    for status, pattern, advice in _CONNECTION_CAUSES:
        if re.search(pattern, text, re.I):
            return status, f"{advice} (error: {text[:400]})"
    return UNREACHABLE, f"the WinRM connection failed: {text[:400] or 'no error text'}"


def clixml_text(stderr: str) -> str:
    """PowerShell's CLIXML error stream as readable lines ('#< CLIXML' and _xHHHH_ escapes decoded)."""
    text = str(stderr or "")
    if "#< CLIXML" not in text:
        return text.strip()
    lines = []
    for document in re.findall(r"<Objs\b.*?</Objs>", text, re.S):
        try:
            root = ET.fromstring(document)
        except ET.ParseError:
            continue
        for element in root.iter():
            if element.tag.endswith("}S") and element.get("S") == "Error" and element.text:
                lines.append(re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), element.text))
    joined = "".join(lines) if lines else re.sub(r"<[^>]+>", " ", text.replace("#< CLIXML", ""))
    return "\n".join(line.rstrip() for line in joined.replace("\r\n", "\n").split("\n") if line.strip())


def probe_failure(rc: int, stderr: str, stdout: str = "") -> str:
    """The cause of a probe that failed on the host: its own error, readable, and what to check."""
    error = clixml_text(stderr) or str(stdout or "").strip()[:400] or "no error text"
    hint = ""
    if "language mode" in error.lower():
        hint = ("; PowerShell runs in ConstrainedLanguage mode there (AppLocker, WDAC or __PSLockdownPolicy): "
                "allow the probe, or run it under an exempt account")
    elif re.search(r"access is denied|unauthorizedaccess", error, re.I):
        hint = "; the account lacks a right the probe needs: use a local administrator"
    return f"the detection probe failed on the host (rc {rc}): {error[:1500]}{hint}"
