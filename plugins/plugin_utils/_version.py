# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows product versions (``2.5.79.0``, ``1.0.6385.0012``) compared numerically, component by component.

String comparison gets these wrong (``"2.5.190.0" < "2.5.79.0"`` as strings), so every comparison in the
project goes through :func:`parse_version`. It returns a tuple of ints with trailing zero components dropped,
so plain tuple comparison is correct and ``2.5.79`` equals ``2.5.79.0``::

    parse_version("2.5.78.9") < parse_version("2.5.79.0") < parse_version("2.5.190.0")

Standard library only; no Ansible import, so unit tests and the lab can use it directly.
"""

from __future__ import annotations

import re

_VERSION = re.compile(r"^\d+(?:\.\d+){0,5}$")


def parse_version(value) -> tuple[int, ...] | None:
    """``"2.5.79.0"`` -> ``(2, 5, 79)``; ``None`` for missing, ``"unknown"`` or anything not digits and dots."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not _VERSION.match(text):
        return None
    parts = [int(part) for part in text.split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def compare_versions(left, right) -> int:
    """-1, 0 or 1, like ``cmp``; ValueError when either side is not a version."""
    a, b = parse_version(left), parse_version(right)
    if a is None or b is None:
        raise ValueError(f"not a version: {left if a is None else right!r}")
    return (a > b) - (a < b)


def version_below(value, minimum) -> bool | None:
    """True when ``value`` < ``minimum``; None when ``value`` is not a version (unknown evidence)."""
    parsed = parse_version(value)
    if parsed is None:
        return None
    return compare_versions(value, minimum) < 0
