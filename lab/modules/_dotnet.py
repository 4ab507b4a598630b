"""Values as PowerShell casts them: what a module's argument becomes when Ansible.Basic converts it."""

from __future__ import annotations

import json
import re

_TRUE = ("y", "yes", "on", "1", "true", "t", "1.0")
_FALSE = ("n", "no", "off", "0", "false", "f", "0.0")
UINT32_MAX = 0xFFFFFFFF


class ConversionError(ValueError):
    pass


def type_name(value) -> str:
    return {bool: "System.Boolean", int: "System.Int32", float: "System.Double", str: "System.String",
            list: "System.Object[]", dict: "System.Collections.Hashtable"}.get(type(value), "System.Object")


def to_str(value) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, dict)):
        return type_name(value)
    return "" if value is None else str(value)


def to_bool(value) -> bool:
    if isinstance(value, bool):
        return value
    s = to_str(value).lower().strip()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise ConversionError(f"The value '{s}' is not a valid boolean. Valid booleans include: "
                          f"{', '.join(_TRUE + _FALSE)}")


def to_int(value) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        return int(to_str(value).strip())
    except ValueError:
        raise ConversionError("Input string was not in a correct format.") from None


def to_uint32(value) -> int:
    """[UInt32]$value: decimal or 0x-hex text, in range 0..4294967295."""
    text = to_str(value).strip()
    try:
        number = int(text, 16) if re.fullmatch(r"0[xX][0-9a-fA-F]+", text) else int(float(text))
    except ValueError:
        raise ConversionError(f'Cannot convert value "{text}" to type "System.UInt32". Error: "Input string was '
                              'not in a correct format."') from None
    if not 0 <= number <= UINT32_MAX:
        raise ConversionError(f'Cannot convert value "{text}" to type "System.UInt32". Error: "Value was either too '
                              'large or too small for a UInt32."')
    return number


def to_list(value) -> list:
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return [s.strip() for s in value.split(",")]
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    raise ConversionError(f"{type_name(value)} cannot be converted to a list")


def to_dict(value) -> dict:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return json.loads(value)
    if isinstance(value, str) and "=" in value:
        return dict((f.split("=", 1) + [None])[:2] for f in value.replace(",", " ").split())
    raise ConversionError("string cannot be converted to a dict, must either be a JSON string or in the key=value "
                          "form")
