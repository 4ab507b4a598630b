"""Twin of ansible.windows.win_service: account, dependencies, description, display name, path, start mode and state."""

from ..twin.errors import Win32Error
from ._basic import parse_args, reject_unsimulated
from ._failures import twin_errors

OPTIONS = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["started", "stopped", "restarted", "absent", "paused"]},
    "start_mode": {"type": "str", "choices": ["auto", "manual", "disabled", "delayed"]},
    "display_name": {"type": "str"}, "description": {"type": "str"}, "path": {"type": "str"},
    "username": {"type": "str"}, "password": {"type": "str"},
    "update_password": {"type": "str", "choices": ["always", "on_create"]},
    "dependencies": {"type": "list", "elements": "str"},
    "dependency_action": {"type": "str", "default": "set", "choices": ["add", "remove", "set"]},
    "force_dependent_services": {"type": "bool", "default": False},
    "desktop_interact": {"type": "bool", "default": False},
    # real options the twin does not model
    "error_control": {"type": "str", "choices": ["critical", "ignore", "normal", "severe"]},
    "failure_actions": {"type": "list"}, "failure_actions_on_non_crash_failure": {"type": "bool"},
    "failure_command": {"type": "str"}, "failure_reboot_msg": {"type": "str"},
    "failure_reset_period_sec": {"type": "uint32", "aliases": ["failure_reset_period"]},
    "load_order_group": {"type": "str"},
    "pre_shutdown_timeout_ms": {"type": "uint32", "aliases": ["pre_shutdown_timeout"]},
    "required_privileges": {"type": "list", "elements": "str"},
    "service_type": {"type": "str", "choices": ["win32_own_process", "win32_share_process", "user_own_process",
                                                "user_share_process"]},
    "sid_info": {"type": "str", "choices": ["none", "restricted", "unrestricted"]},
}
UNSIMULATED = {k: None for k in list(OPTIONS)[list(OPTIONS).index("error_control"):]} | {"desktop_interact": False}
STATE_DIFF = {"running": "started", "stopped": "stopped", "paused": "paused"}
WELL_KNOWN = {"NT AUTHORITY\\SYSTEM": ("localsystem", "system", "s-1-5-18", ".\\localsystem"),
              "NT AUTHORITY\\LOCAL SERVICE": ("localservice", "local service", "nt authority\\localservice",
                                              "s-1-5-19"),
              "NT AUTHORITY\\NETWORK SERVICE": ("networkservice", "network service", "nt authority\\networkservice",
                                                "s-1-5-20")}


def account(twin, name):
    """The NTAccount name Windows translates an account to (what the SID comparison in the real module sees)."""
    low = name.strip().lower()
    for canonical, spellings in WELL_KNOWN.items():
        if low == canonical.lower() or low in spellings:
            return canonical
    if low.startswith(".\\") or "\\" not in low and "@" not in low:
        return f"{twin.state['hostname']}\\{name.strip().split(chr(92))[-1]}"
    return name.strip()


def same_account(twin, a, b):
    return account(twin, a).lower() == account(twin, b).lower()


class _Scm:
    """Start-Service, Stop-Service -Force:$force and Restart-Service over the twin's SCM, as the module sees them."""

    def __init__(self, ctx, force):
        self.ctx, self.scm, self.force = ctx, ctx.twin.services, force

    def start(self, svc):
        try:
            self.scm.start(svc.name)
        except Win32Error:
            self.ctx.fail(f"Unhandled exception while executing module: Service '{svc.display_name} ({svc.name})' "
                          "cannot be started due to the following error: "
                          f"Cannot start service {svc.name} on computer '.'.")

    def stop(self, svc):
        """Stop the service (and, with force, its running dependents first); returns the dependents stopped."""
        running = [d for d in self.scm.dependents(svc.name) if d.state != "stopped"]
        if running and not self.force:
            self.ctx.fail(f"Unhandled exception while executing module: Cannot stop service '{svc.display_name} "
                          f"({svc.name})' because it has dependent services. It can only be stopped if the Force "
                          "flag is set.")
        stopped = []
        if not self.ctx.check_mode:
            for dep in running:
                stopped += self.stop(self.scm.get(dep.name)) + [dep]
            self.scm.stop(svc.name)
        return stopped


def describe(twin, svc):
    """Get-ServiceDiff: the service as the real module reports it in its diff."""
    return {"name": svc.name, "display_name": svc.display_name, "path": svc.path,
            "description": svc.description or None, "dependencies": list(svc.dependencies),
            "desktop_interact": False, "start_mode": svc.start_mode, "state": STATE_DIFF[svc.state],
            "username": account(twin, svc.username or "LocalSystem"), "password": "REDACTED",
            "error_control": "normal", "failure_actions": [], "failure_actions_on_non_crash_failure": False,
            "failure_command": None, "failure_reboot_msg": None, "failure_reset_period_sec": 0,
            "load_order_group": "", "pre_shutdown_timeout_ms": 180000, "required_privileges": [],
            "service_type": "win32_own_process", "sid_info": "none"}


@twin_errors
def run(ctx):
    p = parse_args(ctx, "win_service", OPTIONS, required_by={"password": ["username"]})
    reject_unsimulated(ctx, "win_service", p, UNSIMULATED)
    twin, check, services = ctx.twin, ctx.check_mode, ctx.twin.services
    scm = _Scm(ctx, p["force_dependent_services"])
    result = {"changed": False, "exists": False}
    path = ctx.expand(p["path"]) if p["path"] is not None else None
    svc = services.find(p["name"])
    before = describe(twin, svc) if svc else ""

    if p["state"] == "absent":
        if svc:
            scm.stop(svc)
            if not check:
                services.delete(svc.name)
            result["changed"] = True
        return {**result, "diff": {"before": before, "after": ""}}

    detect = svc is not None or any(p[k] is not None for k in (
        "description", "display_name", "dependencies", "path", "start_mode", "state", "username", "password"))
    if not detect and p["dependency_action"] == "set":
        return {**result, "diff": {"before": before, "after": before}}

    update_password = p["update_password"] == "always"
    if svc is None:
        if path is None:
            ctx.fail(f"Service '{p['name']}' is not installed, need to set 'path' to create a new service")
        update_password = result["changed"] = True
        if not check:
            svc = services.create(p["name"], path=path, start_mode="auto")
    if svc is None:  # check mode, creating: the real module echoes the arguments ([String] params turn null into "")
        after = {"name": p["name"], "display_name": p["display_name"] or "", "path": path,
                 "description": p["description"], "dependencies": p["dependencies"], "desktop_interact": False,
                 "start_mode": p["start_mode"] or "", "state": p["state"] or "", "username": None}
    else:
        changed = configure(ctx, p, svc, path, update_password)
        svc = services.get(svc.name)
        changed |= set_state(ctx, scm, p["state"], svc)
        result["changed"] |= changed
        svc = services.get(svc.name)
        after = describe(twin, svc) if not check else {**describe(twin, svc), **planned(ctx, p, svc, path)}
        if p["state"]:
            after["state"] = p["state"]

    username = after["username"]
    if username and same_account(twin, username, "LocalSystem"):
        username = "LocalSystem"
    state = after["state"].replace("_", "")
    result.update(exists=True, dependencies=after["dependencies"], description=after["description"],
                  desktop_interact=False, display_name=after["display_name"], name=after["name"],
                  path=after["path"], start_mode=after["start_mode"], username=username,
                  state="running" if state in ("restarted", "started") else state,
                  can_pause_and_continue=None, depended_by=[])
    live = services.find(p["name"])
    if live:
        result["depended_by"] = [d.name for d in services.dependents(live.name)]
        # the twin knows no service that accepts pause and continue (a real LanmanServer does)
        result["can_pause_and_continue"] = False
    return {**result, "diff": {"before": before, "after": after}}


def planned(ctx, p, svc, path):
    """What configure() would set, for check mode (which leaves svc untouched)."""
    out = {}
    if p["username"]:
        out["username"] = account(ctx.twin, p["username"])
    if p["dependencies"] is not None:
        out["dependencies"] = new_dependencies(p, svc)
    if p["description"] is not None:
        out["description"] = p["description"] or None
    for key, value in (("display_name", p["display_name"]), ("path", path), ("start_mode", p["start_mode"])):
        if value:
            out[key] = value
    return out


def new_dependencies(p, svc):
    existing, wanted = list(svc.dependencies), p["dependencies"]
    if p["dependency_action"] == "add":
        return existing + [d for d in wanted if d not in existing]
    if p["dependency_action"] == "remove":
        return [d for d in existing if d not in wanted]
    return [d for d in existing if d in wanted] + [d for d in wanted if d not in existing]


def configure(ctx, p, svc, path, update_password):
    twin, changes = ctx.twin, {}
    if p["username"] and not same_account(twin, p["username"], svc.username or "LocalSystem"):
        wanted = account(twin, p["username"])
        changes["username"] = "LocalSystem" if wanted == "NT AUTHORITY\\SYSTEM" else wanted
        update_password = True
    password_changed = bool(update_password and p["password"])
    if p["dependencies"] is not None and new_dependencies(p, svc) != svc.dependencies:
        changes["dependencies"] = new_dependencies(p, svc)
    if p["description"] is not None and (p["description"] or None) != (svc.description or None):
        changes["description"] = p["description"]
    current = {"display_name": svc.display_name, "path": svc.path, "start_mode": svc.start_mode}
    for key, value in (("display_name", p["display_name"]), ("path", path), ("start_mode", p["start_mode"])):
        if value and value != current[key]:
            changes[key] = value
    if changes and not ctx.check_mode:
        twin.services.configure(svc.name, **changes)
    return bool(changes) or password_changed


def set_state(ctx, scm, state, svc):
    if state == "started" and svc.state != "running":
        if not ctx.check_mode:
            scm.start(svc)
    elif state == "stopped" and svc.state != "stopped":
        scm.stop(svc)
    elif state == "restarted":
        stopped = scm.stop(svc)
        if not ctx.check_mode:
            scm.start(svc)
            for dep in reversed(stopped):
                scm.start(dep)
    elif state == "paused" and svc.state != "paused":
        ctx.fail(f"failed to pause service {svc.name}: The service does not support pausing")
    else:
        return False
    return True
