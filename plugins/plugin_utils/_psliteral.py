# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render Python values as PowerShell 2.0 literals.

The probe's request travels as PowerShell code, not JSON, because PowerShell 2.0 has no ConvertFrom-Json.
Only a small, inert subset is produced (no variables, no expandable strings, no casts), so the rendered text
can be evaluated by PowerShell and parsed back by the lab (lab/powershell/psliteral.py) to the same value.
"""

from __future__ import annotations

# PowerShell ends a single-quoted string at any of these, so each one is doubled inside a literal.
QUOTES = "'\u2018\u2019\u201a\u201b"
INT64 = (-(2**63), 2**63 - 1)


def render(value, indent: int | None = None) -> str:
    """dict -> @{...} (keys in order), list/tuple -> @(...), str -> '...', int, bool -> $true/$false, None -> $null.

    With `indent`, hashtable entries and array items go on their own lines (for a readable script).
    """
    return _render(value, indent, 0)


def _render(value, indent: int | None, depth: int) -> str:
    if value is None:
        return "$null"
    if value is True:
        return "$true"
    if value is False:
        return "$false"
    if isinstance(value, int):
        if not INT64[0] <= value <= INT64[1]:
            raise ValueError(f"integer out of the Int64 range PowerShell parses exactly: {value}")
        return str(value)
    if isinstance(value, str):
        return "'" + "".join(ch * 2 if ch in QUOTES else ch for ch in value) + "'"
    if isinstance(value, dict):
        return _hashtable(value, indent, depth)
    if isinstance(value, (list, tuple)):
        return _array(list(value), indent, depth)
    raise TypeError(f"no PowerShell literal for {type(value).__name__}")


def _hashtable(value: dict, indent: int | None, depth: int) -> str:
    seen: set[str] = set()
    entries = []
    for key, item in value.items():
        if not isinstance(key, str):
            raise TypeError(f"hashtable keys must be strings, not {type(key).__name__}")
        if key.lower() in seen:  # PowerShell hashtables ignore case: a literal with both keys fails to parse
            raise ValueError(f"duplicate hashtable key (PowerShell keys ignore case): {key!r}")
        seen.add(key.lower())
        entries.append(f"{_render(key, indent, depth + 1)} = {_render(item, indent, depth + 1)}")
    if not entries:
        return "@{}"
    if indent is None:
        return "@{" + "; ".join(entries) + "}"
    pad, inner = " " * indent * depth, " " * indent * (depth + 1)
    return "@{\n" + "".join(f"{inner}{e}\n" for e in entries) + pad + "}"


def _array(items: list, indent: int | None, depth: int) -> str:
    rendered = [_render(item, indent, depth + 1) for item in items]
    if len(rendered) == 1 and isinstance(items[0], (list, tuple)):
        # @(@(1, 2)) flattens to @(1, 2); the unary comma keeps a one-element array of an array
        rendered[0] = "," + rendered[0]
    if indent is None or len(rendered) < 2:
        return "@(" + ", ".join(rendered) + ")"
    pad, inner = " " * indent * depth, " " * indent * (depth + 1)
    # a newline is only a continuation after a comma, so each comma ends its line
    return "@(\n" + ",\n".join(inner + r for r in rendered) + "\n" + pad + ")"
