"""Twin of ansible.windows.win_reboot_info: the last boot, the restart event before it, and why a restart is
pending, read where win_reboot_info.ps1 reads them (the registry follows the modeled rule)."""

import datetime

from ..twin import power
from ._basic import parse_args
from ._failures import twin_errors

RECENT = 5 * 60  # an Event 1074 older than five minutes before the boot belongs to an earlier restart


def _iso(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def truthy(data) -> bool:
    """PowerShell's truth of a registry value: an array by its elements (one element: that element's truth)."""
    if isinstance(data, list):
        return len(data) > 1 or (len(data) == 1 and truthy(data[0]))
    return bool(data)


def reason_code(text: str):
    """Format-ReasonCode: the event's code as an integer when PowerShell can convert it to [long]."""
    try:
        return int(text, 16) if str(text).lower().startswith("0x") else int(text)
    except ValueError:
        return text


def last_reboot(twin) -> dict:
    boot = int(twin.power.last_boot)  # CIM datetimes as the module sees them: whole seconds are what it prints
    event = twin.power.last_shutdown_event
    details = None
    if event and event["time"] >= twin.power.last_boot - RECENT:
        details = {"process": event["process"], "reason": event["reason"],
                   "reason_code": reason_code(event["reason_code"]), "type": event["type"],
                   "comment": event["comment"], "initiated_by": event["user"], "event_time": _iso(event["time"])}
    return {"time": _iso(boot), "time_epoch": round(twin.power.last_boot, 6), "details": details}


def value(reg, key: str, name: str):
    """(Get-ItemProperty -LiteralPath key -Name name -ErrorAction SilentlyContinue).name"""
    found = reg.get_value(key, name) if reg.key_exists(key) else None
    return None if found is None else found.get("data")


def reasons(twin) -> list[dict]:
    reg, found = twin.registry, []
    if reg.key_exists(power.CBS_REBOOT_PENDING):
        found.append({"source": "component_based_servicing",
                      "description": "Component Based Servicing has a pending reboot."})
    if reg.key_exists(power.WU_REBOOT_REQUIRED):
        found.append({"source": "windows_update",
                      "description": "Windows Update has installed updates that require a reboot."})
    if truthy(value(reg, power.SESSION_MANAGER, "PendingFileRenameOperations")):
        found.append({"source": "pending_file_rename",
                      "description": "There are pending file rename operations that require a reboot."})
    pending = value(reg, power.COMPUTER_NAME, "ComputerName")
    active = value(reg, power.ACTIVE_COMPUTER_NAME, "ComputerName")
    if truthy(pending) and truthy(active) and str(pending).lower() != str(active).lower():
        found.append({"source": "pending_computer_rename",
                      "description": f"Computer name change pending from '{active}' to '{pending}'."})
    if reg.key_exists(power.NETLOGON) and any(value(reg, power.NETLOGON, n) is not None
                                              for n in power.NETLOGON_JOIN_VALUES):
        found.append({"source": "domain_join",
                      "description": "A domain join operation is pending and requires a reboot."})
    if truthy(value(reg, power.SERVER_MANAGER_CACHE, "RestartRequired")):
        found.append({"source": "server_manager",
                      "description": "Server Manager indicates a component change requires a reboot."})
    return found


@twin_errors
def run(ctx):
    parse_args(ctx, "win_reboot_info", {})
    found = reasons(ctx.twin)
    return {"changed": False, "last_reboot": last_reboot(ctx.twin), "reboot_required": bool(found),
            "reboot_required_reasons": found}
