"""The WS-Man faults a Windows host sends, as one table (after OMI's wsmanerrorhandling.c)."""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from . import soap


@dataclass(frozen=True)
class Fault:
    http_status: int
    code: str  # s:Sender | s:Receiver
    subcode: str  # w:TimedOut ...
    wsman_code: int
    reason: str
    fault_detail: str | None = None


OPERATION_TIMEOUT = Fault(
    500,
    "s:Receiver",
    "w:TimedOut",
    2150858793,
    "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.",
)
UNKNOWN_SHELL = Fault(
    500,
    "s:Sender",
    "w:InvalidSelectors",
    2150858843,
    "The request for the Windows Remote Shell with ShellId {shell_id} failed because the shell was not found "
    "on the server. Possible causes are: the specified ShellId is incorrect or the shell no longer exists "
    "on the server. Provide the correct ShellId or create a new shell and retry the operation.",
    "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors",
)
UNKNOWN_COMMAND = Fault(
    500,
    "s:Sender",
    "w:InvalidSelectors",
    2150858843,
    "The WS-Management service cannot process the request because the request contained a command "
    "identifier that does not exist: {command_id}.",
    "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors",
)
MAX_SHELLS = Fault(
    500,
    "s:Receiver",
    "w:InternalError",
    2150859173,
    "The WS-Management service cannot process the request. This user is allowed a maximum number of {limit} "
    "concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user.",
)
SCHEMA_VALIDATION = Fault(
    500,
    "s:Sender",
    "w:SchemaValidationError",
    2150858817,
    "The SOAP XML in the message does not match the corresponding XML schema definition: {detail}",
)


def render(fault: Fault, relates_to: str, machine: str, **fmt) -> bytes:
    reason = escape(fault.reason.format(**fmt))
    detail = f"<w:FaultDetail>{fault.fault_detail}</w:FaultDetail>" if fault.fault_detail else ""
    body = (
        f"<s:Fault><s:Code><s:Value>{fault.code}</s:Value><s:Subcode><s:Value>{fault.subcode}</s:Value>"
        f'</s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">{reason}</s:Text></s:Reason>'
        f'<s:Detail>{detail}<f:WSManFault xmlns:f="{soap.NS["f"]}" Code="{fault.wsman_code}" '
        f'Machine="{escape(machine)}"><f:Message>{reason}</f:Message></f:WSManFault></s:Detail></s:Fault>'
    )
    return soap.envelope(soap.FAULT_ACTION, relates_to, body)
