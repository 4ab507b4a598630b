"""Twin of ansible.windows.win_reg_stat (win_reg_stat.ps1, Legacy module utils)."""

from ..twin.registry import dotnet_value
from ._failures import twin_errors
from ._legacy import legacy_param
from ._regvalue import PS_PATH, REG_TYPE


def property_value(ctx, value: dict, default: bool) -> dict:
    """Get-PropertyValue: `value` expanded, `raw_value` as stored (bytes as 0x.. strings)."""
    data = dotnet_value(value)
    if value["type"] in ("binary", "none"):
        raw = [f"0x{b:02x}" for b in data]
    else:
        raw = data
    if value["type"] == "expandstring":
        data = ctx.expand(data)
    return {"type": "REG_SZ" if default else REG_TYPE[value["type"]], "value": data, "raw_value": raw}


@twin_errors
def run(ctx):
    path = legacy_param(ctx, "path", type="str", required=True, aliases=("key",))
    name = legacy_param(ctx, "name", type="str", aliases=("entry", "value"))
    if not PS_PATH.match(path):
        ctx.fail(f"path: {path} is not a valid registry path, see module documentation for examples.")
    reg = ctx.twin.registry
    if not reg.key_exists(path):
        return {"changed": False, "exists": False}
    if name is None:
        properties = {n: property_value(ctx, v, n == "") for n, v in reg.values(path).items()}
        return {"changed": False, "exists": True, "properties": properties, "sub_keys": reg.subkeys(path)}
    value = reg.get_value(path, name)
    if value is None:
        return {"changed": False, "exists": False}
    return {"changed": False, "exists": True, **property_value(ctx, value, name == "")}
