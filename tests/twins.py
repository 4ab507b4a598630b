"""Twins for unit tests: built like the lab's own, from a Windows base layer plus the test's fragment."""

from __future__ import annotations

from lab.config import PROFILES_DIR
from lab.twin import profile
from lab.twin.host import Twin


def build_twin(spec: dict, base: str = "base/windows-server-2019", modeled: dict | None = None,
               host: str = "t") -> Twin:
    """A twin of `base` with `spec` (a profile-style fragment) on top; `modeled` adds base-layer declarations of
    what the lab models (only the base layer may make them)."""
    fragment_list = profile.fragments(base, PROFILES_DIR)
    if modeled:
        fragment_list.append(("base/unit-test", {"modeled": modeled}))
    fragment_list.append(("unit-test", spec))
    return Twin.from_fragments(host, "unit-test", fragment_list)


def remove_key(twin: Twin, path: str) -> None:
    """Take a registry key and its subtree out of the twin's state, as if the host had never had it (a test's
    surgery on the model, not something a program on the host could do to a partly modeled key)."""
    prefix = twin.registry._k(path)
    for key in [k for k in twin.registry.data if k == prefix or k.startswith(prefix + "\\")]:
        del twin.registry.data[key]
