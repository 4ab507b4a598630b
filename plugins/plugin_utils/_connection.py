# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Is this host's connection safe to use? The preflight the assessment runs before contacting a host.

`connection_problems` reads a host's connection variables (as Ansible resolved them) and returns one message per
unsafe setting, each naming the setting and how to fix or explicitly allow it; an empty list means the connection
may be used. Two dangers are refused unless the run explicitly allows them:

- credentials or messages in the clear over plain HTTP: Basic authentication (pywinrm's transports ``basic``,
  ``plaintext``, and ``ssl`` without a client certificate all send an HTTP Basic header), a client certificate
  (not usable without TLS), or any transport with ``message_encryption: never``. Over HTTP, pywinrm encrypts the
  messages only for ``ntlm``, ``kerberos`` and ``credssp`` (pywinrm 0.5.0, winrm/transport.py,
  Transport.build_session: ``encryption_available``; ``message_encryption: auto`` encrypts when the endpoint is
  not https), so those stay allowed;
- server certificate validation turned off (``ansible_winrm_server_cert_validation: ignore``, or the psrp
  connection's ``ansible_psrp_cert_validation: ignore``/false): anyone between the controller and the server can
  then read the password.

The defaults follow Ansible's winrm connection plugin (ansible/plugins/connection/winrm.py): port 5986; scheme
``http`` only when the port is 5985, otherwise ``https``; with no transport set, ``kerberos`` for a user@REALM
account, otherwise ``ssl`` over https and ``plaintext`` over http (both Basic). Standard library only.
"""

from __future__ import annotations

import ast

# the variables connection_problems reads (never the password)
CONNECTION_VARIABLES = (
    "ansible_connection", "ansible_port", "ansible_user",
    "ansible_winrm_user", "ansible_winrm_port", "ansible_winrm_scheme", "ansible_winrm_transport",
    "ansible_winrm_message_encryption", "ansible_winrm_server_cert_validation",
    "ansible_psrp_port", "ansible_psrp_protocol", "ansible_psrp_auth", "ansible_psrp_message_encryption",
    "ansible_psrp_cert_validation",
)
ENCRYPTING_TRANSPORTS = ("ntlm", "kerberos", "credssp")  # pywinrm can encrypt their messages over HTTP
BASIC_TRANSPORTS = ("basic", "plaintext", "ssl")  # an HTTP Basic header: the password, base64-encoded
ALLOW_HTTP_VAR = "sync_assess_allow_unencrypted_http"
ALLOW_CERT_VAR = "sync_assess_allow_unvalidated_certificate"


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _transports(value, user: str, scheme: str) -> list[str]:
    if isinstance(value, str) and value.strip().startswith("["):  # a list that reached us as its text
        try:
            value = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            pass
    if isinstance(value, list | tuple):
        items = [_text(v).lower() for v in value]
    else:
        items = [t.strip().lower() for t in _text(value).split(",")]
    items = [t for t in items if t]
    if items:
        return items
    if "@" in user:
        return ["kerberos"]
    return ["ssl"] if scheme == "https" else ["plaintext"]


def _scheme(settings: dict) -> tuple[str, str]:
    """(scheme, port text) as the winrm plugin resolves them."""
    port = _text(settings.get("ansible_winrm_port") or settings.get("ansible_port")) or "5986"
    scheme = _text(settings.get("ansible_winrm_scheme")).lower()
    return (scheme or ("http" if port == "5985" else "https")), port


def _off(value) -> bool:
    return _text(value).lower() in ("ignore", "false", "no", "0", "off")


def _winrm(settings: dict, allow_http: bool, allow_cert: bool) -> list[str]:
    problems = []
    scheme, port = _scheme(settings)
    user = _text(settings.get("ansible_winrm_user") or settings.get("ansible_user"))
    transports = _transports(settings.get("ansible_winrm_transport"), user, scheme)
    encryption = _text(settings.get("ansible_winrm_message_encryption")).lower() or "auto"
    where = f"WinRM over plain HTTP (ansible_winrm_scheme={scheme}, port {port})"
    if scheme == "http" and not allow_http:
        clear = [t for t in transports if t in BASIC_TRANSPORTS]
        if clear:
            problems.append(
                f"{where} with Basic authentication (ansible_winrm_transport {', '.join(clear)}) sends the password "
                "in the clear: use HTTPS (ansible_winrm_scheme: https, port 5986) or an encrypting transport (ntlm, "
                f"kerberos, credssp), or set {ALLOW_HTTP_VAR}: true to accept it")
        if "certificate" in transports:
            problems.append(f"{where} with certificate authentication: a client certificate needs HTTPS; use "
                            "ansible_winrm_scheme: https")
        if encryption == "never" and any(t in ENCRYPTING_TRANSPORTS for t in transports):
            problems.append(
                f"{where} with ansible_winrm_message_encryption: never sends every command and its output in the "
                f"clear: remove the setting (auto encrypts over HTTP) or use HTTPS, or set {ALLOW_HTTP_VAR}: true "
                "to accept it")
    if scheme == "https" and _off(settings.get("ansible_winrm_server_cert_validation")) and not allow_cert:
        problems.append(
            "ansible_winrm_server_cert_validation: ignore turns off the check of the server's certificate, so the "
            "password can be read by anyone in between: trust the server's CA instead (ansible_winrm_ca_trust_path: "
            f"<CA file>, as the lab does with its own CA), or set {ALLOW_CERT_VAR}: true to accept it")
    return problems


def _psrp(settings: dict, allow_http: bool, allow_cert: bool) -> list[str]:
    problems = []
    protocol = _text(settings.get("ansible_psrp_protocol")).lower()
    port = _text(settings.get("ansible_psrp_port") or settings.get("ansible_port"))
    scheme = protocol or ("http" if port == "5985" else "https")
    auth = _text(settings.get("ansible_psrp_auth")).lower() or "negotiate"
    encryption = _text(settings.get("ansible_psrp_message_encryption")).lower() or "auto"
    if scheme == "http" and not allow_http and (auth == "basic" or encryption == "never"):
        problems.append(f"PSRP over plain HTTP (ansible_psrp_auth {auth}, message encryption {encryption}) sends "
                        f"the password or the messages in the clear: use HTTPS, or set {ALLOW_HTTP_VAR}: true to "
                        "accept it")
    if scheme == "https" and _off(settings.get("ansible_psrp_cert_validation")) and not allow_cert:
        problems.append("ansible_psrp_cert_validation is off, so the password can be read by anyone in between: "
                        f"trust the server's CA instead, or set {ALLOW_CERT_VAR}: true to accept it")
    return problems


def connection_problems(settings: dict, allow_unencrypted_http: bool = False,
                        allow_unvalidated_certificate: bool = False) -> list[str]:
    """One message per unsafe connection setting of a host (empty when its connection may be used).

    ``settings``: the host's connection variables (ansible_connection, ansible_port, ansible_user and the
    ansible_winrm_* / ansible_psrp_* ones that are set); missing ones take the connection plugin's default."""
    settings = dict(settings or {})
    connection = _text(settings.get("ansible_connection")).lower()
    if connection.endswith("winrm"):
        return _winrm(settings, bool(allow_unencrypted_http), bool(allow_unvalidated_certificate))
    if connection.endswith("psrp"):
        return _psrp(settings, bool(allow_unencrypted_http), bool(allow_unvalidated_certificate))
    return []
