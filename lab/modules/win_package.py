"""Twin of ansible.windows.win_package: installers are described by the profile's `installers:` map."""

import hashlib
import ntpath
import re
from urllib.parse import unquote, urlsplit

from ._common import (
    HASHES,
    WEB_REQUEST_OPTIONS,
    abspath,
    environment,
    expand_env,
    fail_with,
    not_simulated,
    parse_args,
    reject_unsimulated,
    remove_fragment,
    twin_errors,
    web_body,
    web_content,
    web_request_unsimulated,
)

OPTIONS = {
    "arguments": {"type": "raw"},
    "expected_return_code": {"type": "list", "elements": "int", "default": [0, 3010]},
    "path": {"type": "str"}, "chdir": {"type": "path"}, "checksum": {"type": "str"},
    "checksum_algorithm": {"type": "str", "default": "sha1", "choices": list(HASHES)},
    "verify_signature": {"type": "bool", "default": False}, "product_id": {"type": "str"},
    "state": {"type": "str", "default": "present", "choices": ["absent", "present"]},
    "creates_path": {"type": "path"}, "creates_version": {"type": "str"}, "creates_service": {"type": "str"},
    "log_path": {"type": "path"},
    "provider": {"type": "str", "default": "auto", "choices": ["msi", "msix", "msp", "registry", "auto"]},
    "wait_for_children": {"type": "bool", "default": False},
    **WEB_REQUEST_OPTIONS,
}
UNINSTALL = r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall"
UNINSTALL_ROOTS = [f"{hive}\\{sw}\\Microsoft\\Windows\\CurrentVersion\\Uninstall"
                   for hive in ("HKLM", "HKCU") for sw in ("SOFTWARE", "SOFTWARE\\Wow6432Node")]


def quote(arg: str) -> str:
    """ConvertTo-EscapedArgument (the Windows argv rules)."""
    if arg and not re.search(r'[\s"]', arg):
        return arg
    arg = re.sub(r'(\\*)"', r'\1\1\\"', arg)
    return '"' + re.sub(r"(\\+)$", r"\1\1", arg) + '"'


def uninstall_key(reg, product_id):
    """Where the registry provider finds the product (the twin decides msi presence the same way)."""
    if not product_id:
        return None
    return next((f"{root}\\{product_id}" for root in UNINSTALL_ROOTS if reg.key_exists(f"{root}\\{product_id}")), None)


def describe(ctx, where):
    """The profile's installers: entry for a path or URL, by full lower-case path/URL or by file name."""
    installers = {k.lower(): v for k, v in (ctx.twin.state.get("installers") or {}).items()}
    name = ntpath.basename(unquote(urlsplit(where).path) if where.lower().startswith("http") else where)
    spec = installers.get(where.lower()) or installers.get(name.lower())
    if spec is None:
        ctx.fail(f"lab: not simulated: installer {where} is not described in the profile's installers:")
    return spec


def version4(text: str) -> str:
    parts = (str(text).split(".") + ["0"] * 4)[:4]
    return ".".join(str(int(x or 0)) for x in parts)


@twin_errors
def run(ctx):
    p = parse_args(ctx, "win_package", OPTIONS, required_by={"creates_version": ["creates_path"]},
                   required_if=[["state", "present", ["path"]], ["state", "absent", ["path", "product_id"], True]])
    reject_unsimulated(ctx, "win_package", p, {"verify_signature": False})
    if p["provider"] in ("msix", "msp"):
        not_simulated(ctx, "win_package", f"provider={p['provider']}")
    web_request_unsimulated(ctx, "win_package", p)
    twin, reg, fs, state = ctx.twin, ctx.twin.registry, ctx.twin.files, p["state"]
    result = {"changed": False, "reboot_required": False}
    args = p["arguments"]
    if isinstance(args, list):
        args = " ".join(quote(str(a)) for a in args)
    raw_path, spec, body = p["path"], None, None
    is_url = bool(raw_path) and raw_path.lower().startswith("http")
    path = None if is_url or not raw_path else abspath(ctx, raw_path)  # type str: no %VAR% expansion
    if path and not fs.exists(path) and not ctx.check_mode:
        ctx.fail(f"the file at the path '{raw_path}' cannot be reached")
    source = raw_path if is_url else path

    # Get-InstalledStatus: an MSI names its own ProductCode, other installers only through product_id
    provider, product_id = "registry", p["product_id"]
    if is_url and not (product_id and state == "present" and uninstall_key(reg, product_id)):
        body = web_body(ctx, raw_path, web_content(ctx, raw_path))  # the module downloads a temp copy
    available = is_url and body is not None or bool(path) and fs.exists(path)
    if available and p["provider"] in ("auto", "msi") and source.lower().endswith(".msi"):
        spec = describe(ctx, source)
        provider, product_id = "msi", spec.get("product_id")
    elif available and p["provider"] == "msi":
        ctx.fail(f"Unhandled exception while executing module: {source} is not a valid MSI package")
    installed = uninstall_key(reg, product_id) is not None
    if p["creates_path"]:
        installed = fs.exists(abspath(ctx, p["creates_path"]))
        if p["creates_version"] and installed:
            entry = fs.get(abspath(ctx, p["creates_path"]))
            if entry["type"] == "dir":
                ctx.fail("Unhandled exception while executing module: creates_path must be a file not a directory "
                         "when creates_version is set")
            installed = p["creates_version"] == version4(entry.get("version") or "0.0.0.0")
    if p["creates_service"]:
        installed = twin.services.get(p["creates_service"]) is not None

    changed = (state == "present") != installed
    result["rc"] = 0
    if changed and not ctx.check_mode:
        if state == "present" and source:
            data = body if body is not None else fs.read(path)
            result["checksum"] = got = hashlib.new(p["checksum_algorithm"], data).hexdigest().upper()
            if p["checksum"] and p["checksum"].upper() != got:
                fail_with(ctx, f"The checksum for {source} did not match '{p['checksum']}', it was '{got}'", result)
        execute(ctx, p, result, provider, product_id, spec, source, args)
    if state == "absent" and p["product_id"] is None and is_url:
        fail_with(ctx, "Unable to find Product ID from the URL path. Please specify product_id when using "
                  "state=absent", result)
    result["changed"] = changed
    return result


def execute(ctx, p, result, provider, product_id, spec, source, args):
    """The provider's Set: run the installer (or uninstaller) and apply what the profile says it does."""
    twin, reg, present = ctx.twin, ctx.twin.registry, p["state"] == "present"
    if provider == "msi":
        log = p["log_path"] or environment(twin)["TEMP"] + "\\ansible-moduletmp-lab\\msiexec.log"
        action = ["/i", source] if present else ["/x", product_id]
        command = " ".join(quote(a) for a in [environment(twin)["SYSTEMROOT"] + "\\System32\\msiexec.exe", *action,
                                               "/L*V", log, "/qn", "/norestart"])
        if p["log_path"]:
            twin.files.write(p["log_path"], f"=== lab: simulated msiexec log for {source or product_id} ===\r\n"
                             .encode("utf-16"))
    elif source:
        command = quote(source)
    else:
        key = uninstall_key(reg, product_id)
        values = {n.lower(): v["data"] for n, v in reg.values(key).items()}
        command = values.get("quietuninstallstring") or values.get("uninstallstring")
        if not command:
            ps_key = key.replace("\\", ":\\", 1)
            fail_with(ctx, f"Failed to find registry uninstall string at registry path '{ps_key}'", result)
        command = expand_env(twin, command)
    if args:
        command += f" {args}"
    if spec is None and source:
        spec = describe(ctx, source)
    if spec is None:  # uninstall by product id: the profile's installer with that id says what goes
        spec = next((s for s in (twin.state.get("installers") or {}).values()
                     if str(s.get("product_id", "")).lower() == str(product_id).lower()), None)
        if spec is None:
            ctx.fail(f"lab: not simulated: uninstalling {product_id}: no entry of the profile's installers: "
                     "has that product_id")
    rc = int(spec.get("exit_code" if present else "uninstall_exit_code",
                      3010 if present and spec.get("reboot_required") else 0))
    result["rc"] = rc
    if rc not in p["expected_return_code"]:
        extra = {"stdout": "", "stderr": ""}
        if p["log_path"] and twin.files.exists(p["log_path"]):
            extra["log"] = twin.files.read(p["log_path"]).decode("utf-16")
        ctx.fail(f"unexpected rc from '{command}': see rc, stdout, and stderr for more details", **result, **extra)
    if rc == 3010:
        result["reboot_required"] = True
    if present:
        install(twin, spec, msi=provider == "msi")
    else:
        uninstall(twin, spec, product_id)


def install(twin, spec, msi):
    product_id = spec.get("product_id")
    uninstall_string = spec.get("uninstall_string") or (f"MsiExec.exe /X{product_id}" if msi else None)
    if spec.get("install_location"):
        twin.files.mkdir(spec["install_location"])
    twin.apply(spec)
    if product_id:
        key = f"{UNINSTALL}\\{product_id}"
        for name, value in (("DisplayName", spec.get("name")), ("DisplayVersion", spec.get("version")),
                            ("Publisher", spec.get("publisher")), ("InstallLocation", spec.get("install_location")),
                            ("UninstallString", uninstall_string),
                            ("QuietUninstallString", spec.get("quiet_uninstall_string"))):
            if value is not None:
                twin.registry.set_value(key, name, "string", str(value))
        twin.registry.create_key(key)


def uninstall(twin, spec, product_id):
    remove_fragment(twin, spec)
    if spec.get("install_location"):
        twin.files.remove(spec["install_location"])
    for root in UNINSTALL_ROOTS:
        if product_id:
            twin.registry.delete_key(f"{root}\\{product_id}")
