"""A Windows registry: case-insensitive keys and value names that keep their original case."""

from __future__ import annotations

HIVES = {
    "HKLM": "HKLM", "HKEY_LOCAL_MACHINE": "HKLM",
    "HKCU": "HKCU", "HKEY_CURRENT_USER": "HKCU",
    "HKCR": "HKCR", "HKEY_CLASSES_ROOT": "HKCR",
    "HKU": "HKU", "HKEY_USERS": "HKU",
    "HKCC": "HKCC", "HKEY_CURRENT_CONFIG": "HKCC",
}
VALUE_TYPES = {"string", "expandstring", "multistring", "dword", "qword", "binary", "none"}


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


class Registry:
    """data: {normalized lower-case key: {"path": original, "values": {lower name: {name, type, data}}}}"""

    def __init__(self, data: dict | None = None):
        self.data: dict[str, dict] = data if data is not None else {}

    @staticmethod
    def _k(path: str) -> str:
        return normalize(path).lower()

    def key_exists(self, path: str) -> bool:
        k = self._k(path)
        if k in self.data:
            return True
        return any(other.startswith(k + "\\") for other in self.data) or "\\" not in k

    def create_key(self, path: str) -> bool:
        """Create the key and its parents; True if anything was created."""
        norm = normalize(path)
        parts = norm.split("\\")
        created = False
        for i in range(2, len(parts) + 1):
            sub = "\\".join(parts[:i])
            if sub.lower() not in self.data:
                self.data[sub.lower()] = {"path": sub, "values": {}}
                created = True
        return created

    def delete_key(self, path: str) -> bool:
        k = self._k(path)
        doomed = [x for x in self.data if x == k or x.startswith(k + "\\")]
        for x in doomed:
            del self.data[x]
        return bool(doomed)

    def key_path(self, path: str) -> str:
        entry = self.data.get(self._k(path))
        return entry["path"] if entry else normalize(path)

    def values(self, path: str) -> dict[str, dict]:
        entry = self.data.get(self._k(path))
        return {v["name"]: v for v in entry["values"].values()} if entry else {}

    def get_value(self, path: str, name: str) -> dict | None:
        entry = self.data.get(self._k(path))
        if not entry:
            return None
        return entry["values"].get((name or "").lower())

    def set_value(self, path: str, name: str, vtype: str, data) -> None:
        if vtype not in VALUE_TYPES:
            raise RegistryError(f"unknown registry value type {vtype}")
        self.create_key(path)
        self.data[self._k(path)]["values"][(name or "").lower()] = {"name": name or "", "type": vtype, "data": data}

    def delete_value(self, path: str, name: str) -> bool:
        entry = self.data.get(self._k(path))
        if not entry:
            return False
        return entry["values"].pop((name or "").lower(), None) is not None

    def subkeys(self, path: str) -> list[str]:
        k = self._k(path)
        depth = k.count("\\") + 1
        names = set()
        for other, entry in self.data.items():
            if other.startswith(k + "\\"):
                names.add(entry["path"].split("\\")[depth] if entry["path"].count("\\") >= depth else "")
        return sorted(n for n in names if n)
