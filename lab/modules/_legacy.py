"""Ansible.ModuleUtils.Legacy's Get-AnsibleParam, for the modules that still read their options with it."""

from __future__ import annotations

from ._basic import BAD_PATH_CHARS
from ._dotnet import ConversionError, to_int, to_list, to_str


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
        value = ctx.expand(to_str(value))
        if BAD_PATH_CHARS.search(value):
            ctx.fail(f"Get-AnsibleParam: Parameter '{found or name}' has an invalid path '{value}' specified.")
    elif type == "str":
        value = to_str(value)
    elif type == "bool":
        value = value is True or to_str(value).lower() in ("yes", "on", "1", "true")
    elif type == "int":
        try:
            value = to_int(value)
        except ConversionError:
            value = None
    elif type == "list":
        try:
            value = to_list(value)
        except ConversionError:
            ctx.fail(f"Get-AnsibleParam: Parameter '{found or name}' is not a YAML list.")
    return value
