"""Ansible.Basic.AnsibleModule's argument handling: options matched case-insensitively, aliases, defaults,
type conversion (as PowerShell casts), choices and the required/mutually-exclusive rules."""

from __future__ import annotations

import re

from ._dotnet import ConversionError, to_bool, to_dict, to_int, to_list, to_str, to_uint32, type_name
from ._failures import not_simulated

BAD_PATH_CHARS = re.compile(r'["<>|\x00-\x1f]')
# a type given as a converter delegate in the real module's spec (e.g. win_service's [UInt32] cast)
DELEGATES = {"uint32": to_uint32}


def module_name(ctx, default: str) -> str:
    return ctx.meta.get("_ansible_module_name") or default


def to_path(ctx, value) -> str:
    """type='path': environment variables expanded in the module's process (its task environment included)."""
    s = to_str(value)
    if s.startswith("\\\\?\\"):
        return s
    s = ctx.expand(s)
    if BAD_PATH_CHARS.search(s):
        raise ConversionError("string value contains invalid path characters, cannot convert to path")
    return s


def _convert(ctx, kind: str, value):
    if kind == "path":
        return to_path(ctx, value)
    if kind in DELEGATES:
        return DELEGATES[kind](value)
    return {"str": to_str, "bool": to_bool, "int": to_int, "list": to_list, "dict": to_dict,
            "raw": lambda v: v}[kind](value)


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
            params[k] = value = _convert(ctx, kind, params[k])
        except (ConversionError, ValueError) as e:
            label = "delegate" if kind in DELEGATES else kind
            ctx.fail(f"argument for {k} is of type {type_name(params[k])} and we were unable to convert to "
                     f"{label}: {e}")
        if spec.get("elements") and kind == "list":
            try:
                params[k] = value = [_convert(ctx, spec["elements"], v) for v in value]
            except (ConversionError, ValueError) as e:
                ctx.fail(f"argument for list entry {k} is of type {type_name(value)} and we were unable to "
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
