"""Twin of ansible.windows.win_package: what an installer does is the twin's (lab/twin/products.py)."""

import hashlib
import re

from ..twin.web import WebError
from ._basic import parse_args, reject_unsimulated
from ._failures import fail_with, not_simulated, twin_errors
from ._paths import abspath
from ._web import WEB_REQUEST_OPTIONS, web_request_unsimulated
from .win_stat import HASHES

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


def quote(arg: str) -> str:
    """ConvertTo-EscapedArgument (the Windows argv rules)."""
    if arg and not re.search(r'[\s"]', arg):
        return arg
    arg = re.sub(r'(\\*)"', r'\1\1\\"', arg)
    return '"' + re.sub(r"(\\+)$", r"\1\1", arg) + '"'


def describe(ctx, where):
    """What the installer at a path or URL does, from the twin; not simulated when the twin does not say."""
    spec = ctx.twin.products.installer_for(where)
    if spec is None:
        ctx.fail(f"lab: not simulated: installer {where} is not described in the profile's installers:")
    return spec


def download(ctx, url, result):
    try:
        response = ctx.twin.web.get(url)
    except WebError as exc:
        fail_with(ctx, f"Unhandled exception while executing module: {exc}", result)
    if response.status >= 400:
        fail_with(ctx, f"Unhandled exception while executing module: The remote server returned an error: "
                  f"({response.status}).", result)
    return response.body


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
    twin, fs, state, products = ctx.twin, ctx.twin.files, p["state"], ctx.twin.products
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
    if is_url and not (product_id and state == "present" and products.uninstall_key(product_id)):
        body = download(ctx, raw_path, result)  # the module downloads a temp copy
    available = is_url and body is not None or bool(path) and fs.exists(path)
    if available and p["provider"] in ("auto", "msi") and source.lower().endswith(".msi"):
        spec = describe(ctx, source)
        provider, product_id = "msi", spec.get("product_id")
    elif available and p["provider"] == "msi":
        ctx.fail(f"Unhandled exception while executing module: {source} is not a valid MSI package")
    installed = products.uninstall_key(product_id) is not None
    if p["creates_path"]:
        installed = fs.exists(abspath(ctx, p["creates_path"]))
        if p["creates_version"] and installed:
            entry = fs.get(abspath(ctx, p["creates_path"]))
            if entry["type"] == "dir":
                ctx.fail("Unhandled exception while executing module: creates_path must be a file not a directory "
                         "when creates_version is set")
            installed = p["creates_version"] == version4(entry.get("version") or "0.0.0.0")
    if p["creates_service"]:
        installed = twin.services.find(p["creates_service"]) is not None

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
    """The provider's Set: run the installer (or uninstaller) and apply what the twin says it does."""
    twin, products, present = ctx.twin, ctx.twin.products, p["state"] == "present"
    env = ctx.environment
    if provider == "msi":
        log = p["log_path"] or env["TEMP"] + "\\ansible-moduletmp-lab\\msiexec.log"
        action = ["/i", source] if present else ["/x", product_id]
        command = " ".join(quote(a) for a in [env["SYSTEMROOT"] + "\\System32\\msiexec.exe", *action,
                                               "/L*V", log, "/qn", "/norestart"])
        if p["log_path"]:
            twin.files.write(p["log_path"], f"=== lab: simulated msiexec log for {source or product_id} ===\r\n"
                             .encode("utf-16"))
    elif source:
        command = quote(source)
    else:
        key = products.uninstall_key(product_id)
        values = {n.lower(): v["data"] for n, v in twin.registry.values(key).items()}
        command = values.get("quietuninstallstring") or values.get("uninstallstring")
        if not command:
            ps_key = key.replace("\\", ":\\", 1)
            fail_with(ctx, f"Failed to find registry uninstall string at registry path '{ps_key}'", result)
        command = ctx.expand(command)
    if args:
        command += f" {args}"
    if spec is None and source:
        spec = describe(ctx, source)
    if spec is None:  # uninstall by product id: the installer with that id says what goes
        spec = products.installer_with_product_id(product_id)
        if spec is None:
            ctx.fail(f"lab: not simulated: uninstalling {product_id}: no entry of the profile's installers: "
                     "has that product_id")
    rc = products.exit_code(spec, present)
    result["rc"] = rc
    if rc not in p["expected_return_code"]:
        extra = {"stdout": "", "stderr": ""}
        if p["log_path"] and twin.files.exists(p["log_path"]):
            extra["log"] = twin.files.read(p["log_path"]).decode("utf-16")
        ctx.fail(f"unexpected rc from '{command}': see rc, stdout, and stderr for more details", **result, **extra)
    if rc == 3010:
        result["reboot_required"] = True
    if present:
        products.install(spec, msi=provider == "msi")
    else:
        products.uninstall(spec, product_id)
