# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The prerequisites of Entra Connect Sync 2.x on the server that will run its installer, judged on the
controller (role entra.sync_upgrade.sync_prerequisites; facts: docs/product-facts.md §3).

The role reads the host with ansible.windows modules and hands the results here:
  registry_reads(groups)          what win_reg_stat must read (paths from the evidence catalog, _evidence.py)
  input_errors(options)           the role's input, checked before anything runs
  powershell_check(version)       PowerShell 5.1, checked before any module runs
  evaluate(evidence, needs)       the checks: [{name, ok, found, required, fix}]
  plan(checks, options)           what this run will change: TLS 1.2 values, a restart; what blocks the host
  result(plan, outcome)           the published sync_prerequisites_result
No Ansible import, so pytest reaches every rule directly. The supported OS builds and the .NET minimum come
from the lifecycle policy (policy/lifecycle.yml, as the assessment reads them), never from here.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

from . import _evidence as ev
from ._classify import DOTNET_RELEASES
from ._decide import load_policy
from ._version import parse_version

GIB = 1024 ** 3  # "GB" as Windows counts disk sizes
MIN_POWERSHELL = "5.1"
EXTENDED_SUPPORT_ONLY = {14393}  # Windows Server 2016: supported only with extended (paid) support
# editions: Standard or higher; Essentials (EditionID ServerSolution) only from 2019
STANDARD_OR_HIGHER = re.compile(r"^Server(Standard|Datacenter|Azure)", re.I)
ESSENTIALS = re.compile(r"^ServerSolution", re.I)
ADMINISTRATORS_SID = "S-1-5-32-544"
ADSYNC_ADMINS = "ADSyncAdmins"

# the toolkit's own record that it set the TLS 1.2 values during a boot (they apply only after a restart)
MARKER_KEY = ev.HKLM + "SOFTWARE\\EntraSyncUpgrade\\Prerequisites"
MARKER_VALUE = "Tls12SetDuringBoot"

REGISTRY_GROUPS = {
    "os": [("edition", ev.CURRENT_VERSION, "EditionID"), ("product_name", ev.CURRENT_VERSION, "ProductName"),
           ("build", ev.CURRENT_VERSION, "CurrentBuildNumber"),
           ("installation_type", ev.CURRENT_VERSION, "InstallationType")],
    "dotnet": [("dotnet_release", ev.NDP4_FULL, "Release")],
    "tls12": [(f"tls12:{path}\\{name}", path, name) for path, name, _ in ev.TLS12],
    "marker": [("tls12_marker", MARKER_KEY, MARKER_VALUE)],
}
FIXABLE = {"tls12": "sync_prerequisites_fix_tls12", "pending_reboot": "sync_prerequisites_allow_reboot"}
CHECK_KEYS = ("name", "ok", "found", "required", "fix")  # what a published check holds


@functools.cache
def _policy():
    """The lifecycle policy the assessment decides by: supported OS builds, the .NET minimum."""
    return load_policy()


def _supported_text(policy) -> str:
    names = [str(policy.supported_builds[b]).removeprefix("Windows Server ") for b in sorted(policy.supported_builds)]
    return "Windows Server " + (", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0])


def registry_reads(groups) -> list[dict]:
    """[{id, path (PowerShell form, HKLM:\\...), name}] for the named groups (os, dotnet, tls12, marker)."""
    unknown = [g for g in groups if g not in REGISTRY_GROUPS]
    if unknown:
        raise ValueError(f"unknown registry groups {unknown}; known: {sorted(REGISTRY_GROUPS)}")
    return [{"id": rid, "path": ps_path(path), "name": name} for g in groups for rid, path, name in REGISTRY_GROUPS[g]]


def ps_path(path: str) -> str:
    """'HKLM\\SOFTWARE\\X' -> 'HKLM:\\SOFTWARE\\X' (the form win_reg_stat and win_regedit take)."""
    hive, _, rest = path.partition("\\")
    return f"{hive}:\\{rest}"


# input ------------------------------------------------------------------------------------------------------
def parse_time(text) -> dt.datetime | None:
    """An ISO 8601 time with an offset or Z; None when it is not one."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def input_errors(options: dict) -> list[str]:
    """What is wrong with the role's input (variable names as the admin sets them); [] when it is usable."""
    errors = []
    drive = str(options.get("drive") or "")
    if not re.fullmatch(r"[A-Za-z]", drive):
        errors.append(f"sync_prerequisites_install_drive must be one drive letter, not {drive!r}")
    for name, low in (("min_free_gb", 0), ("reboot_timeout", 1)):
        value = options.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < low:
            errors.append(f"sync_prerequisites_{name} must be a number of at least {low}, not {value!r}")
    count = options.get("object_count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
        errors.append(f"sync_prerequisites_object_count must be a non-negative integer or null, not {count!r}")
    tiers = options.get("disk_gb_by_objects") or []
    if not tiers or any(not isinstance(t, dict) or set(t) != {"objects_below", "gb"} for t in tiers):
        errors.append("sync_prerequisites_disk_gb_by_objects must be a list of {objects_below, gb} (the last "
                      "objects_below may be null)")
    window = options.get("change_window") or {}
    if window:
        start, end = parse_time(window.get("start")), parse_time(window.get("end"))
        if set(window) != {"start", "end"} or start is None or end is None:
            errors.append("sync_prerequisites_change_window must be {start, end}, ISO 8601 times with a zone "
                          "(2026-11-28T22:00:00Z), or {}")
        elif end <= start:
            errors.append("sync_prerequisites_change_window ends before it starts")
    return errors


# evidence ---------------------------------------------------------------------------------------------------
def _registry(evidence: dict) -> dict:
    """id -> (exists, data) from the registered win_reg_stat loop."""
    out = {}
    for read in evidence.get("registry") or []:
        item = read.get("item") or {}
        out[item.get("id")] = (bool(read.get("exists")), read.get("value"), read.get("type"))
    return out


def _check(name: str, ok: bool, found, required: str, fix: str | None) -> dict:
    return {"name": name, "ok": bool(ok), "found": found, "required": required, "fix": None if ok else fix}


def disk_gb_required(object_count, tiers: list[dict]) -> tuple[int, str]:
    """Microsoft's disk size for the object count (PR hardware table); the smallest tier when unknown."""
    if object_count is None:
        return tiers[0]["gb"], "object count unknown: the smallest tier"
    for tier in tiers:
        if tier["objects_below"] is None or object_count < tier["objects_below"]:
            return tier["gb"], f"{object_count:,} objects"
    return tiers[-1]["gb"], f"{object_count:,} objects"


def _volume(disks, drive: str) -> dict | None:
    for disk in disks or []:
        for part in disk.get("partitions") or []:
            if str(part.get("drive_letter") or "").upper() == drive.upper():
                return (part.get("volumes") or [None])[0]
    return None


def evaluate(evidence: dict, needs: dict) -> list[dict]:
    """The checks, in the order an admin fixes them. `evidence`: powershell (version text), registry (the
    win_reg_stat results), domain (setup's windows_domain facts), reboot (win_reboot_info), disks
    (win_disk_facts' ansible_disks), whoami (win_whoami). `needs`: drive, min_free_gb, object_count,
    disk_gb_by_objects, require_adsyncadmins."""
    reg = _registry(evidence)
    checks = [powershell_check(evidence.get("powershell"))]
    checks += _operating_system(reg, evidence.get("domain") or {})
    checks.append(_dotnet(reg))
    checks.append(_tls12(reg))
    checks.append(_pending_reboot(evidence.get("reboot") or {}, reg))
    checks += _disk(evidence.get("disks"), needs)
    checks += _rights(evidence.get("whoami") or {}, needs)
    return checks


def powershell_check(version) -> dict:
    """Windows PowerShell 5.1 or later: Ansible's modules need it (checked before any module runs)."""
    parsed = parse_version(version)
    ok = parsed is not None and parsed >= parse_version(MIN_POWERSHELL)
    return _check("powershell", ok, version or "unknown", f"Windows PowerShell {MIN_POWERSHELL}",
                  "install Windows Management Framework 5.1 (Windows Server 2016 and later ship it)")


def _operating_system(reg: dict, domain: dict) -> list[dict]:
    _, product, _ = reg.get("product_name", (False, None, None))
    _, build_text, _ = reg.get("build", (False, None, None))
    _, edition, _ = reg.get("edition", (False, None, None))
    _, install_type, _ = reg.get("installation_type", (False, None, None))
    build = int(build_text) if str(build_text or "").isdigit() else None
    name = f"{product or 'unknown'} (build {build if build is not None else 'unknown'})"
    policy = _policy()
    supported = _supported_text(policy)
    newest = policy.supported_builds[max(policy.supported_builds)]
    version_fix = (f"use a {newest} server: {policy.unsupported_builds[build]} is not supported"
                   if build in policy.unsupported_builds else f"use a {supported} server ({newest} recommended)")
    checks = [{**_check("os_version", build in policy.supported_builds, name, supported, version_fix),
               "build": build}]
    edition_ok = bool(edition) and (bool(STANDARD_OR_HIGHER.match(edition))
                                    or (bool(ESSENTIALS.match(edition)) and (build or 0) >= 17763))
    checks.append(_check("os_edition", edition_ok, edition or "unknown",
                         "Standard or Datacenter (Essentials from 2019)",
                         "use Standard or Datacenter edition"))
    checks.append(_check("desktop_experience", install_type == "Server", install_type or "unknown",
                         "Server with Desktop Experience (Server Core is not supported)",
                         "use a server installed with the Desktop Experience"))
    member = domain.get("ansible_windows_domain_member")
    checks.append(_check("domain_member", member is True,
                         f"{domain.get('ansible_windows_domain_role', 'unknown')} of "
                         f"{domain.get('ansible_windows_domain', 'unknown')}",
                         "joined to an Active Directory domain", "join the server to the domain"))
    return checks


def _dotnet(reg: dict) -> dict:
    exists, release, vtype = reg.get("dotnet_release", (False, None, None))
    release = release if exists and vtype == "REG_DWORD" and isinstance(release, int) else None
    if release is None:
        found = "no .NET Framework 4.5 or later"
    else:
        known = [r for r in DOTNET_RELEASES if r <= release]
        version = DOTNET_RELEASES[max(known)] if known else "4.5 or earlier"
        found = f".NET Framework {version} (Release {release})"
    policy = _policy()
    return _check("dotnet", release is not None and release >= policy.dotnet_min_release, found,
                  f".NET Framework {policy.dotnet_min_version} or later (Release {policy.dotnet_min_release}+)",
                  f"install .NET Framework 4.8 (or at least {policy.dotnet_min_version}), then restart")


def tls12_missing(reg: dict) -> list[dict]:
    """The TLS 1.2 values that are not as required: [{path, name, data}] in win_regedit's terms."""
    missing = []
    for path, name, want in ev.TLS12:
        exists, data, vtype = reg.get(f"tls12:{path}\\{name}", (False, None, None))
        if not (exists and vtype == "REG_DWORD" and data == want):
            missing.append({"path": ps_path(path), "name": name, "data": want})
    return missing


def _tls12(reg: dict) -> dict:
    missing = tls12_missing(reg)
    found = "all 8 values set" if not missing else (
        f"{8 - len(missing)} of 8 values set; missing or wrong: "
        + ", ".join(f"{m['path']}\\{m['name']}" for m in missing))
    return {**_check("tls12", not missing, found, "the 8 TLS 1.2 registry values (Get-ADSyncToolsTls12)",
                     "set the TLS 1.2 values (sync_prerequisites_fix_tls12: true), then restart"),
            "values": missing}


def tls12_set_during_this_boot(reboot: dict, reg: dict) -> bool:
    """True when the toolkit set the TLS 1.2 values since the last boot: they apply only after a restart."""
    exists, data, _ = reg.get("tls12_marker", (False, None, None))
    boot = (reboot.get("last_reboot") or {}).get("time")
    return bool(exists and boot and data == boot)


def _pending_reboot(reboot: dict, reg: dict) -> dict:
    reasons = [r.get("source") for r in reboot.get("reboot_required_reasons") or []]
    if tls12_set_during_this_boot(reboot, reg):
        reasons.append("tls12_values_set")
    found = "none" if not reasons else ", ".join(reasons)
    return {**_check("pending_reboot", not reasons, found, "no restart pending",
                     "restart the server (sync_prerequisites_allow_reboot: true, inside the change window)"),
            "reasons": reasons}


def _disk(disks, needs: dict) -> list[dict]:
    """disks: win_disk_facts' ansible_disks, or {error} when the module failed."""
    drive = str(needs["drive"]).upper()
    if isinstance(disks, dict):
        unread = f"not read: {disks.get('error')}"
        return [_check(name, False, unread, f"drive {drive}: readable", "read the disks as an administrator")
                for name in ("disk_size", "disk_free")]
    volume = _volume(disks, drive)
    if volume is None:
        missing = f"no volume {drive}: found"
        return [_check("disk_size", False, missing, f"drive {drive}:", "set sync_prerequisites_install_drive"),
                _check("disk_free", False, missing, f"drive {drive}:", "set sync_prerequisites_install_drive")]
    size, free = int(volume.get("size") or 0), int(volume.get("size_remaining") or 0)
    need_gb, basis = disk_gb_required(needs.get("object_count"), needs["disk_gb_by_objects"])
    min_free = float(needs["min_free_gb"])
    return [
        _check("disk_size", size >= need_gb * GIB, f"{drive}: {size / GIB:.0f} GB",
               f"{need_gb} GB ({basis}; Microsoft's hardware table)",
               f"give drive {drive}: at least {need_gb} GB"),
        _check("disk_free", free >= min_free * GIB, f"{drive}: {free / GIB:.1f} GB free",
               f"{min_free:g} GB free", f"free at least {min_free:g} GB on drive {drive}:"),
    ]


def _enabled(group: dict) -> bool:
    attributes = group.get("attributes") or []
    return "Enabled" in attributes and "Use for deny only" not in attributes


def _rights(whoami: dict, needs: dict) -> list[dict]:
    account = whoami.get("account") or {}
    who = f"{account.get('domain_name', '?')}\\{account.get('account_name', '?')}"
    groups = whoami.get("groups") or []
    admin = any(g.get("sid") == ADMINISTRATORS_SID and _enabled(g) for g in groups)
    checks = [_check("local_admin", admin, f"{who}{'' if admin else ' is not'} in Administrators",
                     "the installing account is a local administrator",
                     f"add {who} to the local Administrators group, or run as an administrator")]
    if needs.get("require_adsyncadmins"):
        member = any(str(g.get("account_name", "")).lower() == ADSYNC_ADMINS.lower() and _enabled(g) for g in groups)
        checks.append(_check("adsyncadmins", member, f"{who}{'' if member else ' is not'} in {ADSYNC_ADMINS}",
                             f"upgrading an existing install: the account is in {ADSYNC_ADMINS}",
                             f"add {who} to {ADSYNC_ADMINS} and log on again"))
    return checks


# plan and result --------------------------------------------------------------------------------------------
def in_window(window: dict, now: str, reboot_timeout: float) -> tuple[bool, str | None]:
    """Whether a restart may start now and end (reboot_timeout later) inside the change window."""
    if not window:
        return True, None
    start, end, moment = parse_time(window["start"]), parse_time(window["end"]), parse_time(now)
    if moment is None:
        raise ValueError(f"now is not an ISO 8601 time with a zone: {now!r}")
    if start <= moment and moment + dt.timedelta(seconds=reboot_timeout) <= end:
        return True, None
    return False, (f"outside the change window {window['start']} - {window['end']} (a restart may take "
                   f"{reboot_timeout:g} s)")


def plan(checks: list[dict], options: dict) -> dict:
    """What this run does about the failing checks. options: fix_tls12, allow_reboot, change_window, now,
    reboot_timeout. Returns set_tls12 (values to write), reboot (restart now), reboot_required, blocking
    (the failing checks this run leaves failing), cause, steps (the plan in words)."""
    failing = {c["name"]: c for c in checks if not c["ok"]}
    tls = failing.get("tls12")
    set_tls12 = list(tls["values"]) if tls and options.get("fix_tls12") else []
    reboot_required = "pending_reboot" in failing or bool(set_tls12)
    window_ok, window_cause = in_window(options.get("change_window") or {}, options["now"], options["reboot_timeout"])
    reboot = reboot_required and bool(options.get("allow_reboot")) and window_ok
    blocking = []  # in the order of the checks
    for check in checks:
        name = check["name"]
        if name == "tls12":
            left = tls is not None and not set_tls12
        elif name == "pending_reboot":
            left = reboot_required and not reboot
        else:
            left = name in failing
        if left:
            blocking.append(name)
    steps = [f"set {v['path']}\\{v['name']} to {v['data']}" for v in set_tls12]
    if reboot:
        reasons = (failing.get("pending_reboot") or {}).get("reasons", []) + (["tls12_values_set"] if set_tls12
                                                                               else [])
        steps.append(f"restart the server ({', '.join(dict.fromkeys(reasons))})")
    cause = None
    if blocking:
        fixes = []
        for name in blocking:
            if name == "pending_reboot":
                why = ("the TLS 1.2 values set in this run apply after a restart" if name not in failing
                       else f"restart pending ({failing[name]['found']})")
                hint = f"{why}: restart the server ({FIXABLE[name]}: true, inside the change window)"
                if window_cause and options.get("allow_reboot"):
                    hint = f"{hint}; not restarted now: {window_cause}"
            else:
                hint = failing[name]["fix"]
            fixes.append(f"{name}: {hint}")
        cause = "prerequisites not met: " + "; ".join(fixes)
    return {"set_tls12": set_tls12, "reboot": reboot, "reboot_required": reboot_required, "blocking": blocking,
            "cause": cause, "steps": steps}


def result(checks: list[dict], planned: dict, outcome: dict) -> dict:
    """sync_prerequisites_result. outcome: check_mode, tls12_changed (the values win_regedit changed),
    rebooted (win_reboot restarted the host), reboot_failed (its message), reasons_after_reboot (what
    win_reboot_info still lists after the restart)."""
    check_mode = bool(outcome.get("check_mode"))
    fixed = [] if check_mode else [f"{v['path']}\\{v['name']} = {v['data']}" for v in outcome.get("tls12_changed")
                                   or []]
    rebooted = bool(outcome.get("rebooted")) and not check_mode
    if rebooted:
        fixed.append("restarted")
    cause, reboot_required = planned["cause"], planned["reboot_required"] and not rebooted
    if outcome.get("reboot_failed"):
        cause, reboot_required = f"the restart failed: {outcome['reboot_failed']}", True
    elif rebooted and outcome.get("reasons_after_reboot"):
        cause = ("a restart is still pending after the restart: " + ", ".join(outcome["reasons_after_reboot"])
                 + " (restart again, or look at what keeps asking for one)")
        reboot_required = True
    if cause:
        status = "failed"
    elif check_mode:
        status = "planned" if planned["steps"] else "unchanged"
    else:
        status = "done" if fixed else "unchanged"
    published = [{key: check[key] for key in CHECK_KEYS} for check in checks]
    out = {"status": status, "cause": cause, "checks": published, "fixed": fixed,
           "reboot_required": reboot_required, "rebooted": rebooted, "warnings": warnings(checks)}
    if check_mode:
        out["plan"] = planned["steps"]
    return out


def warnings(checks: list[dict]) -> list[str]:
    """What passes but a change board should know."""
    os_check = next((c for c in checks if c["name"] == "os_version"), None)
    if os_check and os_check["ok"] and os_check.get("build") in EXTENDED_SUPPORT_ONLY:
        return ["Windows Server 2016 is supported for Entra Connect Sync only while it has extended (paid) "
                "support; 2022 is recommended (docs/product-facts.md §3)"]
    return []
