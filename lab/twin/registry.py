"""A Windows registry: case-insensitive keys and value names that keep their case, typed values, and the
modeled rule (lab/twin/modeled.py) for keys and values the twin does not know."""

from __future__ import annotations

from . import modeled
from .errors import NotSimulated

HIVES = {
    "HKLM": "HKLM", "HKEY_LOCAL_MACHINE": "HKLM",
    "HKCU": "HKCU", "HKEY_CURRENT_USER": "HKCU",
    "HKCR": "HKCR", "HKEY_CLASSES_ROOT": "HKCR",
    "HKU": "HKU", "HKEY_USERS": "HKU",
    "HKCC": "HKCC", "HKEY_CURRENT_CONFIG": "HKCC",
}
VALUE_TYPES = {"string", "expandstring", "multistring", "dword", "qword", "binary", "none"}
_LIMITS = {"dword": 32, "qword": 64}


class RegistryError(KeyError):
    pass


def normalize(path: str) -> str:
    """'HKLM:\\Software\\X', 'Registry::HKEY_LOCAL_MACHINE\\Software\\X', 'HKLM\\Software\\X/' -> 'HKLM\\Software\\X'."""
    p = path.strip().replace("/", "\\")
    if p.lower().startswith("registry::"):
        p = p[len("registry::"):]
    p = p.lstrip("\\")
    hive, _, rest = p.partition("\\")
    hive = hive.rstrip(":")
    if hive.upper() not in HIVES:
        raise RegistryError(f"not a registry path: {path}")
    parts = [x for x in rest.split("\\") if x]
    return "\\".join([HIVES[hive.upper()], *parts])


def checked_data(vtype: str, data):
    """The data as the registry stores it; RegistryError for data Windows cannot hold in that type."""
    if vtype not in VALUE_TYPES:
        raise RegistryError(f"unknown registry value type {vtype}")
    if vtype in _LIMITS:
        bits = _LIMITS[vtype]
        if isinstance(data, bool) or not isinstance(data, int) or not -(2 ** (bits - 1)) <= data < 2 ** bits:
            raise RegistryError(f"REG_{vtype.upper()} data must be an integer of {bits} bits, not {data!r}")
        return data & (2 ** bits - 1)  # .NET hands a negative Int32 back as the same bits, unsigned here
    if vtype == "multistring":
        if not isinstance(data, list):
            raise RegistryError(f"REG_MULTI_SZ data must be a list of strings, not {data!r}")
        return ["" if x is None else str(x) for x in data]
    if vtype in ("binary", "none"):
        data = data or []
        if not isinstance(data, list) or not all(isinstance(b, int) and 0 <= b <= 255 for b in data):
            raise RegistryError(f"REG_BINARY data must be a list of bytes, not {data!r}")
        return list(data)
    return "" if data is None else str(data)


def dotnet_value(value: dict):
    """What RegistryKey.GetValue hands back for a stored value (strings unexpanded, bytes as a list of ints).

    State written before the model checked types may still hold odd data: it is read the way the registry
    would return those bytes, never raised as a lab error.
    """
    vtype, data = value["type"], value.get("data")
    if vtype in _LIMITS:
        try:
            return int(data or 0) & (2 ** _LIMITS[vtype] - 1)
        except (TypeError, ValueError):
            return 0
    if vtype == "multistring":
        return ["" if x is None else str(x) for x in (data if isinstance(data, list) else [data] if data else [])]
    if vtype in ("binary", "none"):
        return [int(b) & 0xFF for b in data] if isinstance(data, list) else []
    return "" if data is None else str(data)


class Registry:
    """data: {lower key path: {"path", "values": {lower name: {name, type, data}}, "partial"?, "models"?}}

    Hive roots always exist. `mode` (modeled.RUNTIME, PROFILE or BASE) says how keys created now are marked.
    """

    def __init__(self, data: dict | None = None):
        self.data: dict[str, dict] = data if data is not None else {}
        self.mode = modeled.RUNTIME

    @staticmethod
    def _k(path: str) -> str:
        return normalize(path).lower()

    def _entry(self, norm_lower: str) -> dict | None:
        entry = self.data.get(norm_lower)
        if entry is None and "\\" not in norm_lower:  # a hive root: always there, partial unless the base says
            return {"path": norm_lower.upper(), "values": {}, "partial": True}
        return entry

    def _lookup(self, path: str) -> dict | None:
        """The key's entry; None when the twin knows it does not exist; NotSimulated when it cannot know."""
        k = self._k(path)
        entry = self._entry(k)
        if entry is not None:
            return entry
        parts = k.split("\\")
        for i in range(len(parts) - 1, 0, -1):
            ancestor = self._entry("\\".join(parts[:i]))
            if ancestor is not None:
                modeled.absent("registry key", normalize(path), ancestor, ancestor["path"],
                               normalize(path).split("\\")[i])
                return None
        return None

    # reads --------------------------------------------------------------------------------------------------
    def key_exists(self, path: str) -> bool:
        return self._lookup(path) is not None

    def key_path(self, path: str) -> str:
        entry = self.data.get(self._k(path))
        return entry["path"] if entry else normalize(path)

    def get_value(self, path: str, name: str) -> dict | None:
        entry = self._lookup(path)
        if entry is None:
            return None
        value = entry["values"].get((name or "").lower())
        if value is None:
            modeled.absent("registry value", f"{entry['path']}\\{name or '(default)'}", entry, entry["path"],
                           name or "")
        return value

    def values(self, path: str) -> dict[str, dict]:
        """Every value of the key (GetValueNames); only a complete key can be listed."""
        entry = self._lookup(path)
        if entry is None:
            return {}
        self._require_complete(entry, "the values of")
        return {v["name"]: v for v in entry["values"].values()}

    def subkeys(self, path: str) -> list[str]:
        entry = self._lookup(path)
        if entry is None:
            return []
        self._require_complete(entry, "the subkeys of")
        return self._children(self._k(path))

    def peek_values(self, path: str) -> dict[str, dict]:
        """The values the twin holds for a key, whatever it models (for models that derive state from them)."""
        entry = self.data.get(self._k(path))
        return {v["name"]: v for v in entry["values"].values()} if entry else {}

    def peek_value(self, path: str, name: str) -> dict | None:
        """One value the twin holds (name in any case), whatever it models."""
        entry = self.data.get(self._k(path))
        return entry["values"].get((name or "").lower()) if entry else None

    def peek_key(self, path: str) -> bool:
        """Whether the twin holds the key, whatever it models."""
        return self._k(path) in self.data

    def peek_subkeys(self, path: str) -> list[str]:
        """The subkeys the twin holds, whatever it models."""
        return self._children(self._k(path))

    def _children(self, k: str) -> list[str]:
        depth = k.count("\\") + 1
        names = {entry["path"].split("\\")[depth] for other, entry in self.data.items()
                 if other.startswith(k + "\\") and entry["path"].count("\\") >= depth}
        return sorted(names, key=str.lower)

    @staticmethod
    def _require_complete(entry: dict, what: str) -> None:
        if entry.get("partial"):
            raise NotSimulated(f"listing {what} {entry['path']}: the lab models only part of it")

    # writes -------------------------------------------------------------------------------------------------
    def create_key(self, path: str) -> bool:
        """Create the key and its parents; True if anything was created."""
        norm = normalize(path)
        parts = norm.split("\\")
        created = False
        for i in range(2, len(parts) + 1):
            sub = "\\".join(parts[:i])
            if sub.lower() not in self.data:
                parent = self._entry("\\".join(parts[:i - 1]).lower())
                self.data[sub.lower()] = {"path": sub, "values": {},
                                          **modeled.new_node(self.mode, parent, parts[i - 1], i < len(parts))}
                created = True
        return created

    def delete_key(self, path: str) -> bool:
        entry = self._lookup(path)
        if entry is None:
            return False
        self._require_complete(entry, "(to delete) the subkeys of")
        k = self._k(path)
        doomed = [x for x in self.data if x == k or x.startswith(k + "\\")]
        for x in doomed:
            del self.data[x]
        return bool(doomed)

    def set_value(self, path: str, name: str, vtype: str, data) -> None:
        data = checked_data(vtype, data)
        self.create_key(path)
        self.data[self._k(path)]["values"][(name or "").lower()] = {"name": name or "", "type": vtype, "data": data}

    def delete_value(self, path: str, name: str) -> bool:
        if self.get_value(path, name) is None:
            return False
        return self.data[self._k(path)]["values"].pop((name or "").lower(), None) is not None

    def model(self, path: str, names) -> None:
        """Base layer: declare what the twin models under a key (creating it, partial, if it is not there)."""
        self.create_key(path)
        k = self._k(path)
        self.data.setdefault(k, self._entry(k))  # a hive root gets an entry of its own
        modeled.mark(self.data[k], names)
        if names == "**":
            for other, entry in self.data.items():
                if other.startswith(k + "\\"):
                    modeled.mark(entry, "*")
