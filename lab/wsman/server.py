"""HTTP(S) front end of one simulated host: per-connection NTLM, per-request Basic, message encryption.

One `HostServer` listens on the host's HTTPS port and one on its HTTP port. Each TCP connection gets
its own handler instance, which is where the NTLM context lives (NTLM authenticates the connection).
"""

from __future__ import annotations

import base64
import hmac
import logging
import socket
import ssl
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import spnego
from spnego.channel_bindings import GssChannelBindings

from . import encryption, faults, soap
from .requestlog import RequestLog
from .shells import (
    InjectedFault,
    ReceiveTimedOut,
    ShellManager,
    ShellQuotaExceeded,
    ShellSettings,
    UnknownCommand,
    UnknownShell,
)

log = logging.getLogger("lab.wsman")

MAX_ENVELOPE_BYTES = 500 * 1024  # MaxEnvelopeSizekb default on 2012+; a bigger request gets 413
MAX_OPERATION_TIMEOUT = 60.0  # MaxTimeoutms: a longer OperationTimeout is clamped


class Endpoint:
    """What every listener of one host shares: its name, shells, request log and credentials."""

    def __init__(self, name: str, shells: ShellManager, request_log: RequestLog, username: str, password: str,
                 describe_command=None, listener=None, availability=None):
        self.name = name
        self.shells = shells
        self.log = request_log
        self.username = username
        self.password = password
        # describe_command(command, args) -> dict for the request log (what kind of script ran)
        self.describe_command = describe_command or (lambda command, args: {})
        # listener() -> the host's WinRM listener settings now: {"certificate": lab|wrong_name|other_ca|expired,
        # "auth": accept|refuse} (a host whose account is locked or whose password changed refuses every logon)
        self.listener = listener or (lambda: {})
        # availability() -> (down, boot): whether the host is restarting, and which boot it is in
        self.availability = availability or (lambda: (False, 0))
        self.boot: int | None = None
        self.connections = 0
        self._lock = threading.Lock()

    def next_connection(self) -> int:
        with self._lock:
            self.connections += 1
            return self.connections

    def current_boot(self) -> int | None:
        """The boot the host is in, or None while it restarts. A new boot has lost every shell of the old one."""
        down, boot = self.availability()
        with self._lock:
            if self.boot is not None and boot != self.boot:
                self.shells.clear()
            self.boot = boot
        return None if down else boot

    def refuses_logons(self) -> bool:
        return self.listener().get("auth", "accept") == "refuse"

    def basic_ok(self, header_value: str) -> str | None:
        if self.refuses_logons():
            return None
        try:
            user, _, pw = base64.b64decode(header_value).decode("latin-1").partition(":")
        except ValueError:
            return None
        short = user.split("\\")[-1].split("@")[0]
        if short.lower() == self.username.lower() and hmac.compare_digest(pw, self.password):
            return user
        return None


class WSManHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-HTTPAPI/2.0"
    sys_version = ""

    # per-connection state
    def setup(self):
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()
        super().setup()
        self.endpoint: Endpoint = self.server.endpoint
        self.conn_id = self.endpoint.next_connection()
        self.boot = self.endpoint.current_boot()  # a restart ends every connection made before it
        self.ntlm_ctx = None
        self.ntlm_scheme = None
        self.principal = None

    def log_message(self, fmt, *args):  # quiet: the request log is the record
        log.debug("%s: " + fmt, self.endpoint.name, *args)

    # HTTP -----------------------------------------------------------------------------
    def do_GET(self):
        self._send(405, b"", "text/plain")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        boot = self.endpoint.current_boot()
        if boot is None or boot != self.boot:  # restarting, or this connection was made before the restart
            self._log(op="reset", status=0, bytes_in=length, error="host restarting")
            return self._reset()
        if self.path.split("?")[0].lower() != "/wsman":
            return self._send(404, b"", "text/plain")
        if length > MAX_ENVELOPE_BYTES:
            self._log(op="?", status=413, bytes_in=length, bytes_out=0)
            return self._send(413, b"", "text/plain")
        if not self._authenticate():
            return
        ctype = self.headers.get("Content-Type", "")
        encrypted = encryption.is_encrypted(ctype)
        if not body:
            # requests-ntlm's empty POST that bootstraps encryption: 200 with an empty body
            self._log(op="auth", status=200, bytes_in=0, bytes_out=0)
            return self._send(200, b"", "application/soap+xml;charset=UTF-8")
        if encrypted:
            if self.ntlm_ctx is None or not self.ntlm_ctx.complete:
                return self._send(400, b"", "text/plain")
            try:
                body = encryption.unwrap(self.ntlm_ctx, body)
            except encryption.EncryptionError:
                self._log(op="?", status=400, bytes_in=length, bytes_out=0, error="undecryptable body")
                return self._send(400, b"", "text/plain")
        elif not self.server.tls:
            # AllowUnencrypted=false: plain SOAP over HTTP is refused
            self._log(op="?", status=401, bytes_in=length, bytes_out=0, error="unencrypted over http")
            return self._challenge(basic=False)
        try:
            status, reply, entry = self._dispatch(body)
        except InjectedFault as exc:
            return self._apply_fault(exc.args[0], length)
        if encrypted:
            payload = encryption.wrap(self.ntlm_ctx, reply)
            self._send(status, payload, encryption.CONTENT_TYPE)
        else:
            self._send(status, reply, "application/soap+xml;charset=UTF-8")
        self._log(status=status, bytes_in=length, bytes_out=len(reply), **entry)

    def _apply_fault(self, fault: dict, bytes_in: int) -> None:
        """An injected fault meets the reply that carries a command's result (the command has run)."""
        asked = (fault.get("last_fired") or {}).get("asked")
        entry = {"op": "Receive", "bytes_in": bytes_in, "fault": f"injected {fault['kind']}", "asked": asked}
        if fault["kind"] == "http_500":  # HTTP.sys (or a proxy in front of it) answers 500 with no SOAP body
            self._log(status=500, bytes_out=0, **entry)
            return self._send(500, b"", "text/html")
        if fault["kind"] == "operation_timeout":  # no reply within the client's read timeout, then the reset
            self._log(status=0, error=f"reply withheld {float(fault['seconds']):g} s", **entry)
            time.sleep(float(fault["seconds"]))
        else:
            self._log(status=0, error="connection reset mid-command", **entry)
        self._reset()

    def _reset(self) -> None:
        """Drop the connection with a TCP reset, as a host going down (or come back) does to an old one."""
        self.close_connection = True
        reset_connection(self.connection)

    def _send(self, status: int, payload: bytes, ctype: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            if isinstance(value, list):
                for item in value:
                    self.send_header(key, item)
            else:
                self.send_header(key, value)
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    def _log(self, **entry) -> None:
        self.endpoint.log.write(host=self.endpoint.name, conn=self.conn_id,
                                scheme="https" if self.server.tls else "http", **entry)

    # Authentication ---------------------------------------------------------------------
    def _challenge(self, basic: bool, scheme_token: str | None = None) -> None:
        if scheme_token:
            headers = {"WWW-Authenticate": scheme_token}
        else:
            offered = ["Negotiate"] + (['Basic realm="WSMAN"'] if basic else [])
            headers = {"WWW-Authenticate": offered}
        self._send(401, b"", "text/plain", headers)

    def _authenticate(self) -> bool:
        auth = self.headers.get("Authorization")
        if not auth:
            if self.ntlm_ctx is not None and self.ntlm_ctx.complete:
                return True
            self._log(op="auth", status=401)
            self._challenge(basic=self.server.tls)
            return False
        scheme, _, token = auth.partition(" ")
        if scheme.lower() == "basic":
            if not self.server.tls:
                self._log(op="auth", status=401, error="basic over http")
                self._challenge(basic=False)
                return False
            self.principal = self.endpoint.basic_ok(token.strip())
            if self.principal is None:
                self._log(op="auth", status=401, error="bad credentials")
                self._challenge(basic=True)
                return False
            return True
        if scheme.lower() in ("ntlm", "negotiate"):
            return self._ntlm_step(scheme, token.strip())
        self._log(op="auth", status=401, error=f"unsupported scheme {scheme}")
        self._challenge(basic=self.server.tls)
        return False

    def _ntlm_step(self, scheme: str, token: str) -> bool:
        try:
            raw = base64.b64decode(token)
            if self.ntlm_ctx is None or self.ntlm_ctx.complete:
                protocol = "ntlm" if raw.startswith(b"NTLMSSP\0") else "negotiate"
                self.ntlm_ctx = spnego.server(protocol=protocol,
                                              channel_bindings=getattr(self.request, "channel_bindings", None))
                self.ntlm_scheme = scheme
            out = self.ntlm_ctx.step(raw)
            if self.ntlm_ctx.complete and self.endpoint.refuses_logons():
                raise PermissionError("the host refuses this account's logon")
        except Exception as exc:  # InvalidTokenError, BadBindingsError, ... all mean: not authenticated
            self.ntlm_ctx = None
            self._log(op="auth", status=401, error=f"ntlm: {type(exc).__name__}")
            self._challenge(basic=self.server.tls)
            return False
        if not self.ntlm_ctx.complete:
            self._send(401, b"", "text/plain", {"WWW-Authenticate": f"{scheme} {base64.b64encode(out).decode()}"})
            return False
        self.principal = self.ntlm_ctx.client_principal
        if out:  # SPNEGO clients expect the final token back
            self._pending_auth_header = f"{scheme} {base64.b64encode(out).decode()}"
        return True

    # WS-Man -----------------------------------------------------------------------------
    def _dispatch(self, body: bytes) -> tuple[int, bytes, dict]:
        ep = self.endpoint
        try:
            req = soap.parse_request(body)
        except soap.SoapError as exc:
            return 500, faults.render(faults.SCHEMA_VALIDATION, "", ep.name, detail=str(exc)), {"op": "invalid"}
        entry: dict = {"op": req.action}
        try:
            if req.action == "Create":
                authentication = "ntlm" if self.ntlm_ctx is not None else "basic"
                shell = ep.shells.create(ShellSettings(req.shell_environment(), req.codepage(), authentication))
                address = f"{'https' if self.server.tls else 'http'}://{ep.name}:{self.server.server_port}/wsman"
                return 200, soap.create_response(req, address, shell.id, int(ep.shells.idle_timeout)), entry
            if req.action == "Delete":
                ep.shells.delete(req.shell_id)
                return 200, soap.reply(req, ""), entry
            if req.action == "Command":
                command, args = req.command_line()
                cmd = ep.shells.command(req.shell_id, command, args)
                entry.update(ep.describe_command(command, args))
                return 200, soap.command_response(req, cmd.id), entry
            if req.action == "Send":
                data, end = req.stdin_chunk()
                ep.shells.send(req.shell_id, req.command_id(), data, end)
                entry["stdin_bytes"] = len(data)
                return 200, soap.reply(req, "<rsp:SendResponse/>"), entry
            if req.action == "Receive":
                timeout = min(req.operation_timeout or 20.0, MAX_OPERATION_TIMEOUT)
                cid = req.command_id()
                streams, exit_code = ep.shells.receive(req.shell_id, cid, timeout)
                if exit_code is not None:
                    entry["exit_code"] = exit_code
                return 200, soap.receive_response(req, cid, streams, exit_code), entry
            if req.action == "Signal":
                ep.shells.signal(req.shell_id, req.command_id())
                return 200, soap.reply(req, "<rsp:SignalResponse/>"), entry
        except UnknownShell:
            entry["fault"] = "unknown shell"
            return 500, faults.render(faults.UNKNOWN_SHELL, req.message_id, ep.name, shell_id=req.shell_id), entry
        except UnknownCommand:
            entry["fault"] = "unknown command"
            return 500, faults.render(faults.UNKNOWN_COMMAND, req.message_id, ep.name,
                                      command_id=req.command_id()), entry
        except ReceiveTimedOut:
            entry["fault"] = "operation timeout"
            return 500, faults.render(faults.OPERATION_TIMEOUT, req.message_id, ep.name), entry
        except ShellQuotaExceeded as exc:
            entry["fault"] = "max shells"
            return 500, faults.render(faults.MAX_SHELLS, req.message_id, ep.name, limit=exc.args[0]), entry
        except soap.SoapError as exc:
            entry["fault"] = "schema"
            return 500, faults.render(faults.SCHEMA_VALIDATION, req.message_id, ep.name, detail=str(exc)), entry
        raise AssertionError(req.action)

    def end_headers(self):
        pending = getattr(self, "_pending_auth_header", None)
        if pending:
            self.send_header("WWW-Authenticate", pending)
            self._pending_auth_header = None
        super().end_headers()


def reset_connection(sock) -> None:
    """Close with RST instead of FIN (SO_LINGER on, zero timeout): the client sees 'connection reset'."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass


class HostServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], endpoint: Endpoint,
                 certificates: dict[str, tuple[ssl.SSLContext, bytes]] | None = None):
        """certificates: kind -> (TLS context, tls-server-end-point hash); None for the HTTP listener."""
        self.endpoint = endpoint
        self.tls = certificates is not None
        self.certificates = certificates or {}
        super().__init__(address, WSManHandler)

    def get_request(self):
        sock, addr = self.socket.accept()
        if self.endpoint.current_boot() is None:  # restarting: nothing listens, the connection is reset
            self.endpoint.log.write(host=self.endpoint.name, op="reset", status=0, error="host restarting",
                                    scheme="https" if self.tls else "http")
            reset_connection(sock)
            sock.close()
            raise OSError("host restarting")  # socketserver drops the request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls:
            # the certificate the host presents now; the handshake runs in the connection's own thread, so one
            # slow client cannot stall accept()
            kind = self.endpoint.listener().get("certificate", "lab")
            context, cbt_hash = self.certificates.get(kind) or self.certificates["lab"]
            sock = context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
            # CbtHardeningLevel=Strict on HTTPS: NTLM must carry this certificate's channel binding
            sock.channel_bindings = GssChannelBindings(application_data=b"tls-server-end-point:" + cbt_hash)
        return sock, addr

    def handle_error(self, request, client_address):
        log.debug("connection error from %s on %s", client_address, self.endpoint.name, exc_info=True)
