"""WS-Management SOAP codec: parse a WinRS request, build the replies Windows sends.

Matching is done on namespace URIs, never on prefixes, because pywinrm, pypsrp and
Windows all use different prefixes for the same elements.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "p": "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
    "x": "http://schemas.xmlsoap.org/ws/2004/09/transfer",
    "f": "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault",
}
SHELL_URI = NS["rsp"]
ACTIONS = {
    "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create": "Create",
    "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete": "Delete",
    SHELL_URI + "/Command": "Command",
    SHELL_URI + "/Send": "Send",
    SHELL_URI + "/Receive": "Receive",
    SHELL_URI + "/Signal": "Signal",
}
ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
FAULT_ACTION = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"


class SoapError(ValueError):
    """The request is not a WS-Man message the lab understands (becomes a SchemaValidation fault)."""


def _q(prefix: str, tag: str) -> str:
    return f"{{{NS[prefix]}}}{tag}"


@dataclass
class Request:
    action: str  # short name: Create, Command, ...
    action_uri: str
    message_id: str
    operation_timeout: float | None
    shell_id: str | None
    options: dict[str, str] = field(default_factory=dict)
    body: ET.Element | None = None

    # Operation specific accessors -------------------------------------------------
    def command_line(self) -> tuple[str, list[str]]:
        cl = self.body.find(_q("rsp", "CommandLine"))
        if cl is None:
            raise SoapError("Command without rsp:CommandLine")
        command = (cl.findtext(_q("rsp", "Command")) or "").strip()
        args = [(el.text or "") for el in cl.findall(_q("rsp", "Arguments"))]
        return command, args

    def command_id(self) -> str | None:
        for el in self.body.iter():
            cid = el.get("CommandId")
            if cid:
                return cid
        return None

    def stdin_chunk(self) -> tuple[bytes, bool]:
        import base64

        stream = self.body.find(f"{_q('rsp', 'Send')}/{_q('rsp', 'Stream')}")
        if stream is None:
            raise SoapError("Send without rsp:Stream")
        end = (stream.get("End") or "").lower() == "true"
        return base64.b64decode(stream.text or ""), end

    def signal_code(self) -> str:
        return (self.body.findtext(f"{_q('rsp', 'Signal')}/{_q('rsp', 'Code')}") or "").strip()

    def shell_environment(self) -> dict[str, str]:
        """The rsp:Environment variables of a Create request."""
        shell = self.body.find(_q("rsp", "Shell"))
        env = {}
        if shell is not None:
            for var in shell.iter(_q("rsp", "Variable")):
                env[var.get("Name", "")] = var.text or ""
        return env

    def codepage(self) -> int:
        """WINRS_CODEPAGE of a Create request (437, the OEM code page of an en-US host, when absent)."""
        text = self.options.get("WINRS_CODEPAGE", "437").strip()
        if not text.isdigit():
            raise SoapError(f"WINRS_CODEPAGE {text!r} is not a number")
        return int(text)


def parse_duration(text: str | None) -> float | None:
    """Parse xs:duration as WS-Man uses it (PT20S, PT20.000S, PT1M30S)."""
    if not text or not text.startswith("PT"):
        return None
    seconds, number = 0.0, ""
    for ch in text[2:]:
        if ch.isdigit() or ch == ".":
            number += ch
        elif ch in "HMS":
            seconds += float(number or 0) * {"H": 3600, "M": 60, "S": 1}[ch]
            number = ""
    return seconds


def parse_request(data: bytes) -> Request:
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise SoapError(f"request is not XML: {exc}") from exc
    header = root.find(_q("s", "Header"))
    body = root.find(_q("s", "Body"))
    if header is None or body is None:
        raise SoapError("not a SOAP 1.2 envelope")
    action_uri = (header.findtext(_q("a", "Action")) or "").strip()
    if action_uri not in ACTIONS:
        raise SoapError(f"unsupported action {action_uri!r}")
    shell_id = None
    for sel in header.iter(_q("w", "Selector")):
        if sel.get("Name") == "ShellId":
            shell_id = (sel.text or "").strip()
    options = {}
    for opt in header.iter(_q("w", "Option")):
        options[opt.get("Name", "")] = (opt.text or "").strip()
    return Request(
        action=ACTIONS[action_uri],
        action_uri=action_uri,
        message_id=(header.findtext(_q("a", "MessageID")) or "").strip(),
        operation_timeout=parse_duration(header.findtext(_q("w", "OperationTimeout"))),
        shell_id=shell_id,
        options=options,
        body=body,
    )


# Replies -------------------------------------------------------------------------

_ENVELOPE = (
    '<s:Envelope xml:lang="en-US" xmlns:s="{s}" xmlns:a="{a}" xmlns:x="{x}" xmlns:w="{w}" '
    'xmlns:rsp="{rsp}" xmlns:p="{p}">'
    "<s:Header><a:Action>{action}</a:Action><a:MessageID>uuid:{mid}</a:MessageID>"
    "<a:To>{anon}</a:To><a:RelatesTo>{relates}</a:RelatesTo></s:Header>"
    "<s:Body>{body}</s:Body></s:Envelope>"
)


def envelope(action_uri: str, relates_to: str, body: str) -> bytes:
    return _ENVELOPE.format(
        action=escape(action_uri),
        mid=str(uuid.uuid4()).upper(),
        anon=ANONYMOUS,
        relates=escape(relates_to),
        body=body,
        **NS,
    ).encode("utf-8")


def reply(req: Request, body: str) -> bytes:
    return envelope(req.action_uri + "Response", req.message_id, body)


def create_response(req: Request, address: str, shell_id: str, idle_timeout_s: int) -> bytes:
    body = (
        f"<x:ResourceCreated><a:Address>{escape(address)}</a:Address><a:ReferenceParameters>"
        f"<w:ResourceURI>{SHELL_URI}/cmd</w:ResourceURI>"
        f'<w:SelectorSet><w:Selector Name="ShellId">{shell_id}</w:Selector></w:SelectorSet>'
        "</a:ReferenceParameters></x:ResourceCreated>"
        f'<rsp:Shell xmlns:rsp="{SHELL_URI}"><rsp:ShellId>{shell_id}</rsp:ShellId>'
        f"<rsp:ResourceUri>{SHELL_URI}/cmd</rsp:ResourceUri>"
        f"<rsp:IdleTimeOut>PT{idle_timeout_s}.000S</rsp:IdleTimeOut>"
        "<rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams>"
        "</rsp:Shell>"
    )
    return reply(req, body)


def command_response(req: Request, command_id: str) -> bytes:
    return reply(req, f"<rsp:CommandResponse><rsp:CommandId>{command_id}</rsp:CommandId></rsp:CommandResponse>")


def receive_response(req: Request, command_id: str, streams: list[tuple[str, str]], exit_code: int | None) -> bytes:
    """streams: (name, base64 text) pairs; exit_code None means the command is still running."""
    parts = [f'<rsp:Stream Name="{name}" CommandId="{command_id}">{b64}</rsp:Stream>' for name, b64 in streams]
    if exit_code is None:
        parts.append(f'<rsp:CommandState CommandId="{command_id}" State="{SHELL_URI}/CommandState/Running"/>')
    else:
        parts.append(f'<rsp:Stream Name="stdout" CommandId="{command_id}" End="true"></rsp:Stream>')
        parts.append(f'<rsp:Stream Name="stderr" CommandId="{command_id}" End="true"></rsp:Stream>')
        parts.append(
            f'<rsp:CommandState CommandId="{command_id}" State="{SHELL_URI}/CommandState/Done">'
            f"<rsp:ExitCode>{int(exit_code)}</rsp:ExitCode></rsp:CommandState>"
        )
    return reply(req, "<rsp:ReceiveResponse>" + "".join(parts) + "</rsp:ReceiveResponse>")
