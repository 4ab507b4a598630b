"""Helpers shared by the module twins: argument handling as Ansible.Basic and Ansible.ModuleUtils.Legacy do it,
environment expansion, Windows paths, checksums, and the profile-style registry/files/services fragments."""

from __future__ import annotations

import functools
import hashlib
import json
import re
import zipfile

from ..config import REPO
from ..twin.filesystem import FileSystemError, normalize
from ..twin.registry import RegistryError
from ..twin.services import ServiceError

HASHES = ("md5", "sha1", "sha256", "sha384", "sha512")
_TRUE = ("y", "yes", "on", "1", "true", "t", "1.0")
_FALSE = ("n", "no", "off", "0", "false", "f", "0.0")
_BAD_PATH_CHARS = re.compile(r'["<>|\x00-\x1f]')


class ArgError(ValueError):
    pass


def environment(twin) -> dict[str, str]:
    return twin.environment()


def expand_env(twin, text: str, powershell: bool = False) -> str:
    """%NAME% -> value when NAME is defined (as .NET does); with powershell=True also $env:NAME."""
    env = environment(twin)
    text = twin.expand_env(text)
    if powershell:
        text = re.sub(r"\$env:([A-Za-z_][\w()]*)", lambda m: env.get(m.group(1).upper(), ""), text)
    return text


def twin_errors(run):
    """A twin error (a file in the way, a bad registry path, ...) fails the module as an unhandled .NET error would."""
    @functools.wraps(run)
    def wrapper(ctx):
        try:
            return run(ctx)
        except (FileSystemError, RegistryError, ServiceError, zipfile.BadZipFile) as e:
            ctx.fail(f"Unhandled exception while executing module: {e.args[0] if e.args else e}")
    return wrapper


def fail_with(ctx, msg: str, result: dict):
    """FailJson with what the module had put in its result so far (its msg replaced by the failure's)."""
    ctx.fail(msg, **{k: v for k, v in result.items() if k != "msg"})


def not_simulated(ctx, module: str, option: str):
    ctx.fail(f"lab: not simulated: {module} option {option}")


def module_name(ctx, default: str) -> str:
    return ctx.meta.get("_ansible_module_name") or default


# paths ---------------------------------------------------------------------------------------
def abspath(ctx, path: str) -> str:
    """A module path made absolute the way Windows does it (relative to the session's cwd, the profile dir)."""
    p = path.replace("/", "\\")
    if p.startswith("\\\\"):
        ctx.fail(f"lab: not simulated: UNC path {path}")
    if not re.match(r"^[A-Za-z]:\\", p + "\\"):
        p = environment(ctx.twin)["USERPROFILE"] + "\\" + p
    try:
        return normalize(p)
    except FileSystemError as e:
        ctx.fail(str(e))


def has_trailing_sep(path: str) -> bool:
    return path.endswith(("\\", "/"))


def checksum(fs, path: str, algorithm: str = "sha1") -> str:
    return hashlib.new(algorithm, fs.read(path)).hexdigest()


def extension(name: str) -> str:
    """System.IO.Path.GetExtension: '' for 'a.' and names without a dot, '.x' otherwise."""
    i = name.rfind(".")
    return name[i:] if 0 <= i < len(name) - 1 else ""


# value conversion ------------------------------------------------------------------------------
def dotnet_type(value) -> str:
    return {bool: "System.Boolean", int: "System.Int32", float: "System.Double", str: "System.String",
            list: "System.Object[]", dict: "System.Collections.Hashtable"}.get(type(value), "System.Object")


def to_str(value) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, dict)):
        return dotnet_type(value)
    return "" if value is None else str(value)


def to_bool(value) -> bool:
    if isinstance(value, bool):
        return value
    s = to_str(value).lower().strip()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise ArgError(f"The value '{s}' is not a valid boolean. Valid booleans include: {', '.join(_TRUE + _FALSE)}")


def to_int(value) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        return int(to_str(value).strip())
    except ValueError:
        raise ArgError("Input string was not in a correct format.") from None


def to_list(value) -> list:
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return [s.strip() for s in value.split(",")]
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    raise ArgError(f"{dotnet_type(value)} cannot be converted to a list")


def to_dict(value) -> dict:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return json.loads(value)
    if isinstance(value, str) and "=" in value:
        return dict((f.split("=", 1) + [None])[:2] for f in value.replace(",", " ").split())
    raise ArgError("string cannot be converted to a dict, must either be a JSON string or in the key=value form")


def to_path(twin, value) -> str:
    s = to_str(value)
    if s.startswith("\\\\?\\"):
        return s
    s = expand_env(twin, s)
    if _BAD_PATH_CHARS.search(s):
        raise ArgError("string value contains invalid path characters, cannot convert to path")
    return s


def _convert(twin, kind: str, value):
    if kind == "path":
        return to_path(twin, value)
    return {"str": to_str, "bool": to_bool, "int": to_int, "list": to_list, "dict": to_dict,
            "raw": lambda v: v}[kind](value)


# Ansible.Basic.AnsibleModule -----------------------------------------------------------------------
def parse_args(ctx, name: str, options: dict, *, mutually_exclusive=(), required_if=(), required_by=None,
               required_one_of=(), required_together=()) -> dict:
    """Validate ctx.params against an Ansible.Basic argument spec; returns the params with defaults applied."""
    mod = module_name(ctx, name)
    params = dict(ctx.params)
    legal = {k: k for k in options}
    for spec in options.values():
        legal.update({a: a for a in spec.get("aliases", ())})
    for key in list(params):  # options are matched case-insensitively and renamed to the spec's case
        match = next((x for x in legal if x.lower() == key.lower()), None)
        if match and match != key:
            params[match] = params.pop(key)
    for k, spec in options.items():
        for alias in spec.get("aliases", ()):
            if alias in params:
                params[k] = params[alias]
    unsupported = sorted(p for p in params if p not in legal)
    if unsupported and ctx.meta.get("_ansible_ignore_unknown_opts"):  # set by actions such as remote stat
        unsupported = []
    if unsupported:
        ctx.fail(f"Unsupported parameters for ({mod}) module: {', '.join(unsupported)}. "
                 f"Supported parameters include: {', '.join(sorted(legal))}")
    for group in mutually_exclusive:
        if sum(g in params for g in group) > 1:
            ctx.fail(f"parameters are mutually exclusive: {', '.join(group)}")
    missing = []
    for k, spec in options.items():  # unlike Ansible.Basic, an explicit null counts as absent (no crash paths)
        if "default" in spec and params.get(k) is None:
            params[k] = spec["default"]
        if spec.get("required") and params.get(k) is None:
            missing.append(k)
    if missing:
        ctx.fail(f"missing required arguments: {', '.join(missing)}")
    for k, spec in options.items():
        if params.get(k) is None:
            continue
        kind = spec.get("type", "str")
        try:
            params[k] = value = _convert(ctx.twin, kind, params[k])
        except (ArgError, ValueError) as e:
            ctx.fail(f"argument for {k} is of type {dotnet_type(params[k])} and we were unable to convert to "
                     f"{kind}: {e}")
        if spec.get("elements") and kind == "list":
            try:
                params[k] = value = [_convert(ctx.twin, spec["elements"], v) for v in value]
            except (ArgError, ValueError) as e:
                ctx.fail(f"argument for list entry {k} is of type {dotnet_type(value)} and we were unable to "
                         f"convert to {spec['elements']}: {e}")
        if spec.get("choices"):
            values = value if kind == "list" else [value]
            lower = {str(c).lower(): c for c in spec["choices"]}
            bad = [str(v) for v in values if str(v).lower() not in lower]
            if bad:
                ctx.fail(f"value of {k} must be {'one or more of' if kind == 'list' else 'one of'}: "
                         f"{', '.join(map(str, spec['choices']))}. Got no match for: {', '.join(bad)}")
            canon = [lower[str(v).lower()] for v in values]
            params[k] = canon if kind == "list" else canon[0]
    for group in required_together:
        if any(g in params for g in group) and not all(g in params for g in group):
            ctx.fail(f"parameters are required together: {', '.join(group)}")
    for group in required_one_of:
        if not any(g in params for g in group):
            ctx.fail(f"one of the following is required: {', '.join(group)}")
    for key, val, needs, *anyof in required_if:
        if params.get(key) is None or to_str(params[key]) != to_str(val):
            continue
        lacking = [n for n in needs if n not in params]
        if len(lacking) >= (len(needs) if anyof and anyof[0] else 1):
            ctx.fail(f"{key} is {val} but {'any' if anyof and anyof[0] else 'all'} of the following are missing: "
                     f"{', '.join(lacking)}")
    for key, needs in (required_by or {}).items():
        lacking = [n for n in needs if n not in params] if key in params else []
        if lacking:
            ctx.fail(f"missing parameter(s) required by '{key}': {', '.join(lacking)}")
    return {k: params.get(k) for k in options}


def reject_unsimulated(ctx, module: str, params: dict, defaults: dict) -> None:
    """Fail loudly for real options the twin does not model, unless left at their default (None if absent)."""
    for option, default in defaults.items():
        if params.get(option) is not None and params.get(option) != default:
            not_simulated(ctx, module, option)


# ansible.windows WebRequest module util: its options fragment ------------------------------------
WEB_REQUEST_OPTIONS = {
    # transport details the lab accepts without effect ...
    "url_timeout": {"type": "int", "default": 30, "aliases": ["timeout"]},
    "follow_redirects": {"type": "str", "default": "safe", "choices": ["all", "none", "safe"]},
    "headers": {"type": "dict"}, "http_agent": {"type": "str", "default": "ansible-httpget"},
    "maximum_redirection": {"type": "int", "default": 50}, "validate_certs": {"type": "bool", "default": True},
    "force_basic_auth": {"type": "bool", "default": False}, "url_username": {"type": "str"},
    "url_password": {"type": "str"}, "use_default_credential": {"type": "bool", "default": False},
    "use_proxy": {"type": "bool", "default": True}, "proxy_url": {"type": "str"}, "proxy_username": {"type": "str"},
    "proxy_password": {"type": "str"}, "proxy_use_default_credential": {"type": "bool", "default": False},
    # ... and ones it does not simulate (a method other than GET, client certificates)
    "url_method": {"type": "str", "aliases": ["method"]}, "client_cert": {"type": "str"},
    "client_cert_password": {"type": "str"},
}


def web_request_unsimulated(ctx, module: str, params: dict) -> None:
    if (params.get("url_method") or "GET").upper() != "GET":
        not_simulated(ctx, module, "url_method")
    reject_unsimulated(ctx, module, params, {"client_cert": None, "client_cert_password": None})


def web_content(ctx, url: str) -> dict:
    """The profile's `web:` entry for url; failing loudly when the lab has none."""
    entry = (ctx.twin.state.get("web") or {}).get(url)
    if entry is None:
        ctx.fail(f"lab: not simulated: no web content for {url} (add it to the profile's web:)")
    return entry


def web_body(ctx, url: str, entry: dict) -> bytes:
    """The bytes a `web:` entry serves: `content` text (UTF-8) or a file of the repository (`path_on_controller`)."""
    if "path_on_controller" in entry:
        source = REPO / entry["path_on_controller"]
        if not source.is_file():
            ctx.fail(f"lab: web content for {url}: no file {source} on the controller")
        return source.read_bytes()
    return str(entry.get("content", "")).encode("utf-8")


# Ansible.ModuleUtils.Legacy: Get-AnsibleParam ------------------------------------------------------
def legacy_param(ctx, name: str, type: str | None = None, default=None, required: bool = False,
                 aliases=(), choices=None):
    params = {k.lower(): v for k, v in ctx.params.items()}
    found = next((n for n in (name, *aliases) if n.lower() in params), None)
    if found is None:
        if required:
            ctx.fail(f"Get-AnsibleParam: Missing required argument: {name}")
        value = default
    else:
        value = params[found.lower()]
        if choices:
            match = next((c for c in choices if value is not None and to_str(value).lower() == c.lower()), None)
            if match is None:
                ctx.fail(f"Get-AnsibleParam: Argument {found} needs to be one of {','.join(choices)} "
                         f"but was {to_str(value)}.")
            value = match
    if value is None:
        return None
    if type == "path":
        value = expand_env(ctx.twin, to_str(value))
        if _BAD_PATH_CHARS.search(value):
            ctx.fail(f"Get-AnsibleParam: Parameter '{found or name}' has an invalid path '{value}' specified.")
    elif type == "str":
        value = to_str(value)
    elif type == "bool":
        value = value is True or to_str(value).lower() in ("yes", "on", "1", "true")
    elif type == "int":
        try:
            value = to_int(value)
        except ArgError:
            value = None
    elif type == "list":
        try:
            value = to_list(value)
        except ArgError:
            ctx.fail(f"Get-AnsibleParam: Parameter '{found or name}' is not a YAML list.")
    return value


# profile-style fragments (used by win_package's installers) -------------------------------------
def remove_fragment(twin, fragment: dict) -> None:
    """Undo Twin.apply: the declared values (and keys left empty), files and services go."""
    for key, values in (fragment.get("registry") or {}).items():
        for vname in values or {}:
            twin.registry.delete_value(key, "" if vname == "(default)" else vname)
        if not twin.registry.values(key) and not twin.registry.subkeys(key):
            twin.registry.delete_key(key)
    for path in fragment.get("files") or {}:
        twin.files.remove(path)
    for sname in fragment.get("services") or {}:
        twin.services.remove(sname)

