"""Where the twin knows everything, and where it knows only part: the rule behind every "does not exist".

A node (a directory or a registry key) is *complete* when the twin knows all its children, or *partial* when it
knows some of them: Windows' own folders and keys in the base layer are partial, except where the base layer
lists every child a fresh install has. A partial node may name the children it does model (`models`, glob
patterns): those are known to be absent unless present. Nodes that products, profiles or a run create are
complete: the lab made them, so it knows what is in them.

A lookup that finds nothing walks up to the nearest node that exists. If that node is complete, or models the
missing child's name, the answer is "does not exist"; otherwise the lab cannot know, and says so
(`NotSimulated`). The same rule holds for files, registry keys and values, and services.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from .errors import NotSimulated

# how nodes created now are marked (set by the profile loader; a run always creates complete nodes)
RUNTIME, PROFILE, BASE = "runtime", "profile", "base"


def is_complete(entry: dict | None) -> bool:
    return entry is not None and not entry.get("partial")


def models(entry: dict | None, name: str) -> bool:
    """True when `entry` knows whether a child called `name` exists."""
    if entry is None:
        return False
    if not entry.get("partial"):
        return True
    return any(fnmatchcase(name.lower(), str(p).lower()) for p in entry.get("models") or ())


def absent(what: str, path: str, ancestor: dict | None, ancestor_path: str, child: str) -> None:
    """Return (the answer is "does not exist") or raise NotSimulated, by the rule above."""
    if models(ancestor, child):
        return None
    raise NotSimulated(f"{what} {path}: the lab models only part of {ancestor_path}")


def mark(entry: dict, modeled) -> None:
    """Apply a base-layer `modeled:` declaration: '*' (complete) or a list of child names and patterns.
    ('**', the whole subtree, is applied by the tree itself: each node below gets '*'.)"""
    if modeled in ("*", "**"):
        entry.pop("partial", None)
        entry.pop("models", None)
        return
    if not isinstance(modeled, list) or not all(isinstance(p, str) for p in modeled):
        raise ValueError(f"modeled must be '*' or a list of names, not {modeled!r}")
    entry["partial"] = True
    entry["models"] = sorted(set(entry.get("models") or ()) | set(modeled), key=str.lower)


def new_node(mode: str, parent: dict | None, name: str, implicit: bool) -> dict:
    """The completeness marks for a node created now: partial in the base layer; for a profile, partial too when
    it is an implicit parent folder or key under a partial node that does not model its name (it stands for a
    real one the lab does not list). A modeled name is a product's own area: what the product creates there,
    the lab knows completely."""
    if mode == BASE or (mode == PROFILE and implicit and parent is not None and not models(parent, name)):
        return {"partial": True}
    return {}
