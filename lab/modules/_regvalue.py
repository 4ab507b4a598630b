"""How win_regedit and win_reg_stat present registry values (type names, hex byte strings, diff values).

The values themselves, as .NET reads them, come from the twin (lab.twin.registry.dotnet_value)."""

import re

KIND = {"string": "String", "expandstring": "ExpandString", "multistring": "MultiString", "dword": "DWord",
        "qword": "QWord", "binary": "Binary", "none": "None"}
REG_TYPE = {"string": "REG_SZ", "expandstring": "REG_EXPAND_SZ", "multistring": "REG_MULTI_SZ",
            "dword": "REG_DWORD", "qword": "REG_QWORD", "binary": "REG_BINARY", "none": "REG_NONE"}
PS_PATH = re.compile(r"^HK(CC|CR|CU|LM|U):\\", re.IGNORECASE)


def hex_bytes(text: str) -> list[int]:
    """Convert-RegExportHexStringToByteArray: 'hex:be,ef', 'be:ef' or 'beef' -> [190, 239]."""
    s = re.sub(r"^hex:", "", text.lower())
    s = re.sub(r"[^a-f0-9\\,x\-:]", "", s).replace(",", ":")
    if not s:
        return []
    if len(s) == 1:
        return [int(s, 16)]
    if ":" not in s and len(s) % 2 == 0:
        return [int(s[i:i + 2], 16) for i in range(0, len(s), 2)]
    if ":" in s:
        return [int(x, 16) for x in re.split(":+", s) if x]
    return []


def diff_value(vtype: str, data) -> dict:
    """Get-DiffValue of win_regedit."""
    if vtype in ("binary", "none"):
        return {"type": KIND[vtype], "value": [f"0x{b:02x}" for b in data]}
    if vtype == "dword":
        return {"type": KIND[vtype], "value": f"0x{data:08x}"}
    if vtype == "qword":
        return {"type": KIND[vtype], "value": f"0x{data:016x}"}
    return {"type": KIND[vtype], "value": data}
