"""Twin of ansible.windows.win_regedit (no `hive` loading); its diff is the real {path: {name: {type, value}}}."""

from ..twin.registry import dotnet_value
from ._basic import parse_args
from ._dotnet import to_str
from ._failures import not_simulated, twin_errors
from ._regvalue import PS_PATH, diff_value, hex_bytes

OPTIONS = {
    "path": {"type": "str", "required": True, "aliases": ["key"]},
    "name": {"type": "str", "aliases": ["entry", "value"]},
    "data": {"type": "raw"},
    "type": {"type": "str", "default": "string", "aliases": ["datatype"],
             "choices": ["none", "binary", "dword", "expandstring", "multistring", "string", "qword"]},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
    "delete_key": {"type": "bool", "default": True},
    "hive": {"type": "path"},
}


def convert(ctx, vtype, name, data):
    """The data conversions win_regedit.ps1 does before comparing."""
    if vtype in ("binary", "none"):
        if data is None or isinstance(data, str):
            return hex_bytes(data or "")
        if isinstance(data, int):
            if data > 255:
                ctx.fail(f"cannot convert binary data '{data}' to byte array, please specify this value as a yaml "
                         "byte array or a comma separated hex value string")
            return [data]
        return [int(b, 0) if isinstance(b, str) else int(b) for b in data]
    if vtype in ("dword", "qword"):
        limit, hexes = (0xFFFFFFFF, "0xffffffff") if vtype == "dword" else (0xFFFFFFFFFFFFFFFF, "0xffffffffffffffff")
        if data is None:
            data = 0
        if isinstance(data, float):
            if not data.is_integer():
                ctx.fail(f"data '{data}' cannot be a decimal or float value with a remainder when type is dword "
                         "or qword")
            data = int(data)
        elif isinstance(data, str):
            try:
                data = int(data.strip(), 0)
            except ValueError:
                ctx.fail(f"Unhandled exception while executing module: Cannot convert value \"{data}\" to type "
                         "\"System.UInt64\". Error: \"Input string was not in a correct format.\"")
        if int(data) > limit:
            ctx.fail(f"data cannot be larger than {hexes} when type is {vtype}")
        return int(data) & limit
    if vtype in ("string", "expandstring"):
        return ("" if name else None) if data is None else to_str(data)
    if data is None:  # multistring
        return []
    return [to_str(x) for x in data] if isinstance(data, list) else [to_str(data)]


def differs(existing, new):
    """Compare-RegistryProperty: arrays element-wise and case-insensitively, scalars with -cne (left operand's type)."""
    if isinstance(existing, list):
        new = new if isinstance(new, list) else [new]
        return [to_str(x).lower() for x in existing] != [to_str(x).lower() for x in new]
    if isinstance(existing, str):
        return existing != to_str(new)
    if isinstance(new, str):
        try:
            return existing != int(new, 0)
        except ValueError:
            return True
    return existing != new


@twin_errors
def run(ctx):
    p = parse_args(ctx, "win_regedit", OPTIONS)
    if p["hive"] is not None:
        not_simulated(ctx, "win_regedit", "hive")
    path, name, vtype, reg = p["path"], p["name"], p["type"], ctx.twin.registry
    result = {"changed": False, "data_changed": False, "data_type_changed": False, "diff": {"before": "", "after": ""}}
    if name is None and vtype != "string":
        ctx.warn("the data type when name is not specified can only be 'string', the type has automatically been "
                 "converted")
        vtype = "string"
    if not PS_PATH.match(path):
        ctx.fail(f"path: {path} is not a valid powershell path, see module documentation for examples.")
    name = name or None
    data = convert(ctx, vtype, name, p["data"])
    key_exists = reg.key_exists(path)
    diff = result["diff"]

    if p["state"] == "absent":
        if not key_exists:
            return result
        if p["delete_key"] and not name:
            if not ctx.check_mode:
                reg.delete_key(path)
            result["changed"] = True
            diff.update(before={path: {}}, after={})
            return result
        value = reg.get_value(path, name or "")
        if value is None:
            return result
        if not ctx.check_mode:
            reg.delete_value(path, name or "")
        result["changed"] = True
        diff.update(before={path: {name or "": diff_value(value["type"], dotnet_value(value))}}, after={path: {}})
        return result

    if not key_exists:
        if not ctx.check_mode:
            reg.create_key(path)
        result["changed"] = True
        diff.update(before={}, after={path: {}})
        if ctx.check_mode:
            return result
    else:
        diff.update(before={path: {}}, after={path: {}})
    if data is None:
        return result
    label = name or ""
    value = reg.get_value(path, label)
    if value is not None:
        existing = dotnet_value(value)
        type_changed = vtype != value["type"]
        data_changed = differs(existing, data)
        result.update(data_type_changed=type_changed, data_changed=data_changed)
        diff["before"][path][label] = diff_value(value["type"], existing)
        diff["after"][path][label] = diff_value(vtype, data) if type_changed or data_changed \
            else diff["before"][path][label]
        if not (type_changed or data_changed):
            return result
        label = value["name"]  # an existing value keeps the case of its name
    else:
        diff["after"][path][label] = diff_value(vtype, data)
    if not ctx.check_mode:
        reg.set_value(path, label, vtype, data)
    result["changed"] = True
    return result
